"""One live local Airflow (``python -m newsflow_tools.airflow_local up``) for the end-to-end tests.

The session fixture ``live_airflow`` starts ``airflow standalone`` exactly the way ``make up``
does, but on free ports, under a temporary ``NEWSFLOW_HOME`` (its own embedded Postgres holding
both Airflow's metadata database and the news database) and with ``NEWSFLOW_INBOX`` pointing to
a temporary inbox the tests fill. Airflow's output goes to ``airflow-standalone.log`` in the
session's pytest tmp dir (``e2e0/``). It is shared by every e2e test and stopped at the end of the
session (SIGINT, as Ctrl-C would), after which no process of it may be left.

The tests' own environment (``tests/conftest.py`` points Airflow at a SQLite file for the
in-process DAG tests) never reaches the live Airflow: it gets a clean environment, and every
Airflow CLI call the tests make uses ``airflow_local.build_env()`` computed for that same clean
environment (printed by a subprocess), so CLI and servers share one metadata database.

The news database is the embedded server's ``newsflow`` database, which the Airflow connection
``newsflow_db`` names. ``LiveAirflow.reset_news_db()`` replaces it by a fresh, migrated one (drop
and create under the same name) while no run is active, so a test can start from an empty news
database without restarting Airflow or changing its environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NEWSFLOW_DAGS = ("news_files", "news_feeds", "news_events")
START_TIMEOUT = 240.0
STOP_TIMEOUT = 60.0
FINISHED = {"success", "failed"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes_with(marker: str, *, include_postgres: bool = False) -> list[int]:
    """PIDs (other than ours) whose environment or command line mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if not cmdline:  # zombie or kernel thread
            continue
        is_postgres = b"postgres" in cmdline.split(b"\0")[0]
        if (marker.encode() in environ or marker.encode() in cmdline) and (
            include_postgres or not is_postgres
        ):
            found.append(int(entry.name))
    return found


def _describe(pids: list[int]) -> str:
    out = []
    for pid in pids:
        try:
            cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        out.append(f"{pid}: {cmd.decode(errors='replace')[:160]}")
    return "\n".join(out)


@dataclass
class LiveAirflow:
    url: str
    user: str
    password: str
    home: Path
    inbox: Path
    env: dict[str, str]  # the Airflow processes' environment (for CLI calls)
    base_env: dict[str, str]  # the clean environment `up` was started with
    news_url: str  # libpq URL of the news database (what `newsflow_db` names)
    admin_url: str  # the embedded server's maintenance database
    started_seconds: float = 0.0
    log_lines: list[str] = field(default_factory=list)
    _token: str | None = None

    # ------------------------------------------------------------------ REST API
    def token(self) -> str:
        if self._token is None:
            request = urllib.request.Request(
                self.url + "/auth/token",
                data=json.dumps({"username": self.user, "password": self.password}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                self._token = json.loads(response.read())["access_token"]
        return self._token

    def api(
        self, method: str, path: str, body: Any = None, *, params: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        """(status, decoded JSON or text) of one API call; never raises on HTTP errors."""
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        status, doc = self.api(method, path, body, **kwargs)
        assert 200 <= status < 300, f"{method} {path} -> {status}: {doc}"
        return doc

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.ok("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": paused})

    def end_unfinished_runs(self, dag_id: str) -> list[str]:
        """Mark the DAG's queued and running runs failed; their ids. A run an earlier test left
        behind when it paused the DAG resumes once the DAG is unpaused again, against whatever
        the news database is by then, and holds ``max_active_runs`` until it is done."""
        ended = []
        for run in self.dag_runs(dag_id):
            if run["state"] in ("queued", "running"):
                path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run['dag_run_id'])}"
                self.ok("PATCH", path, {"state": "failed"})
                ended.append(run["dag_run_id"])
        return ended

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.ok("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}")

    def dag_runs(self, dag_id: str, **params: Any) -> list[dict[str, Any]]:
        params.setdefault("limit", 100)
        return self.ok("GET", f"/api/v2/dags/{dag_id}/dagRuns", params=params)["dag_runs"]

    def wait_runs(
        self, dag_id: str, run_ids: list[str], timeout: float = 180.0
    ) -> list[dict[str, Any]]:
        """Wait until every run finished; assert success (with task logs when one failed)."""
        deadline = time.monotonic() + timeout
        while True:
            runs = [self.dag_run(dag_id, run_id) for run_id in run_ids]
            if all(run["state"] in FINISHED for run in runs):
                break
            assert time.monotonic() < deadline, (
                f"runs not finished after {timeout:.0f}s: "
                + ", ".join(f"{r['dag_run_id']}={r['state']}" for r in runs)
            )
            time.sleep(1.0)
        failed = [run for run in runs if run["state"] != "success"]
        assert not failed, "\n\n".join(self.explain_run(dag_id, r["dag_run_id"]) for r in failed)
        return runs

    def explain_run(self, dag_id: str, run_id: str) -> str:
        """Task states and the logs of failed tasks of one run, for assertion messages."""
        base = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances"
        _, doc = self.api("GET", base)
        lines = [f"run {run_id}:"]
        for ti in (doc or {}).get("task_instances", []):
            lines.append(f"  {ti['task_id']}: {ti['state']} (try {ti.get('try_number')})")
            if ti["state"] not in ("success", None):
                _, log = self.api(
                    "GET", f"{base}/{ti['task_id']}/logs/{max(ti.get('try_number') or 1, 1)}"
                )
                lines.append(json.dumps(log)[-4000:])
        return "\n".join(lines)

    # ------------------------------------------------------------------ CLI
    def airflow(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        airflow = str(Path(sys.executable).with_name("airflow"))
        return subprocess.run(
            [airflow, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # ------------------------------------------------------------------ news database
    def reset_news_db(self) -> str:
        """A fresh, migrated news database under the name ``newsflow_db`` points to."""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        from newsflow import migrate

        name = conninfo_to_dict(self.news_url)["dbname"]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        migrate.migrate(self.news_url)
        return self.news_url


def _clean_env(home: Path, inbox: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "NEWSFLOW_", "PYTEST_"))
        and k not in ("PYTHONPATH", "XDG_RUNTIME_DIR")
    }
    env.update(
        NEWSFLOW_HOME=str(home),
        NEWSFLOW_INBOX=str(inbox),
        NEWSFLOW_AIRFLOW_PORT=str(port),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(_free_port()),
        # Two cores: a few executor workers are plenty (a backfill runs three days at once).
        AIRFLOW__CORE__PARALLELISM="4",
        # `make up` unpauses new DAGs; here every run is one a test started, so scheduled
        # news_feeds/news_files runs never change the news database under a test.
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        GX_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def _airflow_env(base: dict[str, str]) -> dict[str, Any]:
    """build_env() and the database URLs, computed for ``base`` in a subprocess."""
    code = (
        "import json; from newsflow import db; from newsflow_tools import airflow_local; env = airflow_local.build_env(); "
        "print(json.dumps({'env': env, 'news': db.database_url(), "
        "'admin': db.embedded_admin_url('postgres'), 'login': airflow_local.login()}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def live_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAirflow]:
    if not Path("/proc/self/environ").exists():
        pytest.skip("the live Airflow fixture needs /proc (Linux)")
    # Not under pytest's basetemp: the embedded Postgres runs as the user ``pgserver`` when we
    # are root, and any pytest session starting on the machine resets /tmp/pytest-of-<user> to
    # mode 0700, which takes the data directory away from a running server (PANIC).
    scratch = Path(tempfile.mkdtemp(prefix="nf-e2e-"))
    home, inbox = scratch / "home", scratch / "inbox"
    inbox.mkdir()
    root = tmp_path_factory.mktemp("e2e")  # the standalone log, kept for inspection
    port = _free_port()
    base = _clean_env(home, inbox, port)
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsflow_tools.airflow_local",
            "up",
            "--wait-timeout",
            str(START_TIMEOUT),
        ],
        env=base,
        cwd=str(REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    log_file = root / "airflow-standalone.log"

    def _read() -> None:
        assert process.stdout is not None
        with log_file.open("w", encoding="utf-8") as out:
            for line in process.stdout:
                lines.append(line)
                out.write(line)
                out.flush()

    reader = threading.Thread(target=_read, daemon=True)
    reader.start()
    live: LiveAirflow | None = None
    try:
        deadline = started + START_TIMEOUT
        while not any("Airflow is up" in line for line in lines):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "the local Airflow did not come up "
                    f"(exit {process.poll()}):\n" + "".join(lines[-80:])
                )
            time.sleep(0.5)
        info = _airflow_env(base)
        user, password = info["login"]
        live = LiveAirflow(
            url=f"http://127.0.0.1:{port}",
            user=user,
            password=password,
            home=home,
            inbox=inbox,
            env=info["env"],
            base_env=base,
            news_url=info["news"],
            admin_url=info["admin"],
            log_lines=lines,
        )
        # Healthy is not yet parsed: wait until the DAG processor has serialised our DAGs.
        while True:
            present = [d for d in NEWSFLOW_DAGS if live.api("GET", f"/api/v2/dags/{d}")[0] == 200]
            if len(present) == len(NEWSFLOW_DAGS):
                break
            if time.monotonic() > deadline:
                _, errors = live.api("GET", "/api/v2/importErrors")
                pytest.fail(f"DAGs not parsed in time (have {present}); import errors: {errors}")
            time.sleep(1.0)
        live.started_seconds = time.monotonic() - started
        print(
            f"\ne2e: local Airflow healthy with DAGs after {live.started_seconds:.1f}s at {live.url}"
        )
        yield live
    finally:
        leftovers = _stop(process, home)
        reader.join(timeout=5)
        shutil.rmtree(scratch, ignore_errors=True)
    assert not leftovers, f"processes left after stopping Airflow:\n{leftovers}"


def _stop(process: subprocess.Popen, home: Path) -> str:
    """Ctrl-C the `up` process, then stop the embedded Postgres; describe any leftovers."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    deadline = time.monotonic() + 30
    while _processes_with(str(home)) and time.monotonic() < deadline:
        time.sleep(0.5)
    leftovers = _processes_with(str(home))
    described = _describe(leftovers)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env["NEWSFLOW_HOME"] = str(home)
    subprocess.run(
        [sys.executable, "-c", "from newsflow.db import stop_embedded_server as s; s()"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    deadline = time.monotonic() + 20
    while _processes_with(str(home), include_postgres=True) and time.monotonic() < deadline:
        time.sleep(0.5)
    postgres_left = _processes_with(str(home), include_postgres=True)
    described += _describe(postgres_left)
    for pid in postgres_left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return described
