"""Run a local Airflow (``airflow standalone``) for this repository: ``make up``.

Usage::

    python -m newsflow_tools.airflow_local up      # start, wait until healthy, print URL and login
    python -m newsflow_tools.airflow_local env     # print ``export ...`` lines for ``eval`` in a shell

What ``up`` sets up before it starts ``airflow standalone``:

* ``AIRFLOW_HOME`` = ``$NEWSFLOW_HOME/airflow`` (``.newsflow/airflow``): airflow.cfg, logs,
  the simple-auth-manager password file;
* the DAGs folder ``<repo>/dags`` and plugins folder ``<repo>/plugins``, no example DAGs;
* Airflow's metadata database in its own database ``airflow`` on the embedded Postgres (created
  when missing), whether or not ``NEWSFLOW_DATABASE_URL`` points the news data elsewhere;
* the Airflow connection ``newsflow_db`` (``AIRFLOW_CONN_NEWSFLOW_DB``) to the news database,
  which is migrated first (``newsflow.migrate.migrate``);
* the simple auth manager with one fixed user (``NEWSFLOW_AIRFLOW_USER``, default ``admin``,
  role admin) and its password (``NEWSFLOW_AIRFLOW_PASSWORD``, default ``admin``) written to the
  password file, so the login is known and printed;
* DAGs unpaused when Airflow first sees them (``AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION``
  False): a local Airflow is started to run the pipeline, and a paused DAG leaves triggered
  runs and backfills queued and never builds events. A DAG paused by hand stays paused.

A variable already set in the environment wins over every default here (e.g.
``AIRFLOW__CORE__DAGS_FOLDER`` for a scratch DAGs folder, ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``
for another metadata database). The ports are settings (``newsflow.settings``):
``NEWSFLOW_AIRFLOW_HOST`` / ``NEWSFLOW_AIRFLOW_PORT`` (127.0.0.1:8080) for the UI and API, and
``NEWSFLOW_AIRFLOW_WORKER_LOG_PORT`` / ``NEWSFLOW_AIRFLOW_TRIGGER_LOG_PORT`` (8793 / 8794) for
the log servers, so two instances can run side by side. ``up`` checks every port before it
starts anything and names the one that is taken.

Ctrl-C (or SIGTERM, SIGHUP) stops every Airflow process: the whole process group is terminated,
then killed after a grace period, and ``up`` exits 0. The embedded Postgres keeps running
(``./newsflow db stop``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from newsflow.settings import PROJECT_ROOT, get_settings

SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
METADATA_DATABASE = "airflow"
HEALTH_PATH = "/api/v2/monitor/health"
STOP_GRACE_SECONDS = 30.0
PROGRESS_EVERY_SECONDS = 15.0
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


def airflow_home() -> Path:
    return get_settings().home / "airflow"


def login() -> tuple[str, str]:
    settings = get_settings()
    return settings.airflow_user, settings.airflow_password


def api_address() -> tuple[str, int]:
    settings = get_settings()
    return settings.airflow_host, settings.airflow_port


def base_url() -> str:
    host, port = api_address()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def ensure_metadata_database() -> str:
    """Create the ``airflow`` database on the embedded server if missing; return its SQLAlchemy URL."""
    import psycopg

    from newsflow import db

    db.ensure_embedded_server()
    with psycopg.connect(db.embedded_admin_url("postgres"), autocommit=True) as conn:
        db.create_database(conn, METADATA_DATABASE)
    return db.sqlalchemy_url(db.embedded_admin_url(METADATA_DATABASE))


def airflow_connection(url: str) -> str:
    """``AIRFLOW_CONN_NEWSFLOW_DB`` for a libpq URL, in Airflow's JSON form.

    JSON rather than a URI because the embedded server is reached through a unix socket
    (``?host=/path``), which an Airflow connection URI would put in ``extra`` instead of ``host``.
    """
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = parts.hostname or query.pop("host", "") or "localhost"
    conn: dict[str, object] = {
        "conn_type": "postgres",
        "host": host,
        "login": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "schema": parts.path.lstrip("/"),
    }
    if parts.port:
        conn["port"] = parts.port
    if query:
        conn["extra"] = query
    return json.dumps(conn)


def write_password_file(path: Path, user: str, password: str) -> None:
    """The simple auth manager's password file (``{"user": "password"}``), readable by us only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({user: password}) + "\n", encoding="utf-8")
    path.chmod(0o600)


def build_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for every Airflow process (``base``: ``os.environ``).

    Creates what it names: the ``airflow`` database on the embedded server (unless
    ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` is set), ``AIRFLOW_HOME`` and the password file.
    """
    from newsflow import db

    env = dict(os.environ if base is None else base)
    home = airflow_home()
    host, port = api_address()
    user, password = login()
    passwords_file = home / "simple_auth_manager_passwords.json"

    home.mkdir(parents=True, exist_ok=True)
    metadata_url = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") or ensure_metadata_database()
    news_url = db.database_url()

    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(get_settings().airflow_worker_log_port),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(get_settings().airflow_trigger_log_port),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # LocalExecutor forks ``parallelism`` workers up front (32 by default, ~6 GB RSS here).
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{user}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url(),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        # Pick up new DAG files within seconds rather than the default five minutes.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW_CONN_NEWSFLOW_DB": airflow_connection(news_url),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    # `airflow standalone` starts its components as `airflow ...` by name: put this
    # interpreter's bin folder first on PATH (pytest or python run without `uv run`).
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = os.pathsep.join(p for p in (bin_dir, env.get("PATH", "")) if p)
    # The DAGs import ``newsflow`` from the plugins folder in every Airflow subprocess.
    plugins = env["AIRFLOW__CORE__PLUGINS_FOLDER"]
    path = env.get("PYTHONPATH", "")
    if plugins not in path.split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (plugins, path) if p)
    # platformdirs warns on every Airflow command when this is unset (containers, CI).
    env.setdefault("XDG_RUNTIME_DIR", str(get_settings().home / "run"))

    Path(env["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    if env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(passwords_file):
        write_password_file(passwords_file, user, password)
    return env


def airflow_executable() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def health(url: str, timeout: float = 2.0) -> dict | None:
    """The API server's health document, or None while it does not answer."""
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout) as response:
            doc = json.loads(response.read())
            return doc if isinstance(doc, dict) else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def unhealthy(doc: dict | None) -> list[str]:
    """The components the health document does not report healthy (all while no answer)."""
    if not doc:
        return ["api-server"]
    return [n for n in HEALTH_COMPONENTS if (doc.get(n) or {}).get("status") != "healthy"]


def is_healthy(doc: dict | None) -> bool:
    return not unhealthy(doc)


def required_ports(env: dict[str, str]) -> list[tuple[str, int, str, str]]:
    """(host, port, what, the setting that moves it) for every port ``up`` will listen on."""
    host = env["AIRFLOW__API__HOST"]
    return [
        (host, int(env["AIRFLOW__API__PORT"]), "the Airflow UI and API", "NEWSFLOW_AIRFLOW_PORT"),
        (
            "0.0.0.0",
            int(env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]),
            "Airflow's worker log server",
            "NEWSFLOW_AIRFLOW_WORKER_LOG_PORT",
        ),
        (
            "0.0.0.0",
            int(env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"]),
            "Airflow's triggerer log server",
            "NEWSFLOW_AIRFLOW_TRIGGER_LOG_PORT",
        ),
    ]


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``port`` (binding it fails)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def taken_ports(env: dict[str, str]) -> list[str]:
    """One sentence per required port that is already taken."""
    problems = []
    seen: set[int] = set()
    for host, port, what, setting in required_ports(env):
        if port in seen:
            problems.append(f"port {port} is configured twice ({what}); set {setting}")
        elif port_in_use(host, port):
            problems.append(
                f"port {port} ({what}) is already in use: stop what listens there "
                f"(another `make up`?) or choose another port with {setting}=..."
            )
        seen.add(port)
    return problems


def stop_group(process: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> int:
    """SIGTERM the process group of ``process``; SIGKILL it if still alive after ``grace``."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return process.wait()
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.2)
    # Children (api-server workers, task runners) may outlive the standalone parent.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait()


def up(*, wait_timeout: float = 300.0) -> int:
    from newsflow import db, migrate

    started = time.monotonic()
    env = build_env()
    applied = migrate.migrate(db.database_url())
    if applied:
        print(f"newsflow: applied migrations {', '.join(m.path.name for m in applied)}", flush=True)
    url = base_url()
    if health(url, timeout=1.0) is not None:
        print(f"newsflow: an Airflow already answers on {url}; stop it first", file=sys.stderr)
        return 1
    problems = taken_ports(env)
    for problem in problems:
        print(f"newsflow: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(
        f"newsflow: starting airflow standalone (AIRFLOW_HOME={env['AIRFLOW_HOME']}, "
        f"DAGs {env['AIRFLOW__CORE__DAGS_FOLDER']}, news DB {db.describe_url(db.database_url())})",
        flush=True,
    )
    process = subprocess.Popen(
        [airflow_executable(), "standalone"], env=env, start_new_session=True
    )

    def _terminate(signum: int, frame: object) -> None:  # noqa: ARG001 - handler signature
        raise KeyboardInterrupt

    # Ctrl-C, ``kill`` and a closed terminal all stop the group. SIGINT is installed explicitly
    # because a shell starting us in the background leaves it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)
    user, password = login()
    try:
        deadline = time.monotonic() + wait_timeout
        next_report = time.monotonic() + PROGRESS_EVERY_SECONDS
        while missing := unhealthy(health(url)):
            if process.poll() is not None:
                print("newsflow: airflow standalone exited before it was healthy", file=sys.stderr)
                return process.returncode or 1
            if time.monotonic() > deadline:
                print(
                    f"newsflow: not healthy after {wait_timeout:.0f}s (waiting for "
                    f"{', '.join(missing)}); see the output above",
                    file=sys.stderr,
                )
                stop_group(process)
                return 1
            if time.monotonic() > next_report:
                print(
                    f"newsflow: waiting for {', '.join(missing)} "
                    f"({time.monotonic() - started:.0f}s)",
                    flush=True,
                )
                next_report += PROGRESS_EVERY_SECONDS
            time.sleep(1.0)
        elapsed = time.monotonic() - started
        paused = env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"].lower() in ("true", "1")
        print(
            "\n"
            f"newsflow: Airflow is up after {elapsed:.0f}s: {url}\n"
            f"newsflow: login {user} / {password}  "
            f"(password file {env['AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE']})\n"
            f"newsflow: the News view: {url}/plugin/news\n"
            f"newsflow: new DAGs start {'paused' if paused else 'unpaused'} "
            "(AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION)\n"
            "newsflow: Ctrl-C stops Airflow\n",
            flush=True,
        )
        code = process.wait()
        print(f"newsflow: airflow standalone exited ({code})", file=sys.stderr)
        return code if code > 0 else 1
    except KeyboardInterrupt:
        # A stop asked for (Ctrl-C, kill, closed terminal) is a normal end: exit 0, so that
        # `make up` does not report "Error 241" (the SIGTERM that ended Airflow, as -15).
        print("newsflow: stopping Airflow", file=sys.stderr, flush=True)
        stop_group(process)
        print("newsflow: Airflow stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        if process.poll() is None:
            stop_group(process)


def print_env() -> int:
    env = build_env()
    for key in sorted(env):
        if os.environ.get(key) != env[key]:
            print(f"export {key}={shlex.quote(env[key])}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsflow_tools.airflow_local", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", nargs="?", default="up", choices=["up", "env"])
    parser.add_argument(
        "--wait-timeout", type=float, default=300.0, help="seconds to wait for health"
    )
    args = parser.parse_args(argv)
    # platformdirs (via the embedded server) warns when this is unset (containers, CI).
    if not os.environ.get("XDG_RUNTIME_DIR"):
        run_dir = get_settings().home / "run"
        run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(run_dir)
    if args.command == "env":
        return print_env()
    return up(wait_timeout=args.wait_timeout)


if __name__ == "__main__":
    sys.exit(main())
