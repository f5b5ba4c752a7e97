"""The deployment files: docker-compose.yml, .env.example, docker/Dockerfile, and `make up`.

No Docker engine is needed: the compose file is validated with ``docker-compose config -q``
(Debian's docker-compose 1.29, or the ``docker compose`` plugin; skipped when neither is
installed) and its structure is checked from the YAML itself. The slow test at the end starts
the local Airflow (``python -m newsflow_tools.airflow_local up``) on free ports with a throwaway DAG,
logs in through the API and stops it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "docker" / "Dockerfile"
MIGRATE_ENTRYPOINT = REPO / "docker" / "entrypoint-newsflow-migrate.sh"

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
CORE_SERVICES = AIRFLOW_SERVICES | {"airflow-init", "postgres", "news-postgres", "newsflow-migrate"}
CELERY_SERVICES = {"redis", "airflow-worker", "flower"}
MOUNTS = {"dags", "plugins", "sql", "data"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def _clean_env() -> dict[str, str]:
    """No variable the compose file substitutes leaks in from the test's environment."""
    return {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}


def _run_compose(*args: str, project_dir: Path) -> subprocess.CompletedProcess[str]:
    command = _compose_command()
    if command is None:
        pytest.skip(
            "neither docker-compose nor the `docker compose` plugin is installed "
            "(apt-get install -y docker-compose)"
        )
    return subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--project-directory", str(project_dir), *args],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=120,
        check=False,
    )


# ---------------------------------------------------------------- docker-compose config


def test_compose_config_valid_on_a_clean_clone(tmp_path: Path) -> None:
    """No .env (an empty project directory): every ${VAR} has a default."""
    result = _run_compose("config", "-q", project_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "is not set" not in result.stderr, result.stderr


def test_compose_config_valid_with_env_example(tmp_path: Path) -> None:
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    result = _run_compose("config", "-q", project_dir=tmp_path)
    assert result.returncode == 0, result.stderr


def test_compose_resolved_defaults(tmp_path: Path) -> None:
    result = _run_compose("--profile", "celery", "config", project_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) >= CORE_SERVICES | CELERY_SERVICES
    for name in AIRFLOW_SERVICES | {"airflow-worker", "newsflow-migrate"}:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW_CONN_NEWSFLOW_DB"].startswith("postgresql://"), name
        assert "@news-postgres:5432/newsflow" in env["NEWSFLOW_DATABASE_URL"], name


# ---------------------------------------------------------------- structure of the YAML


def test_compose_services(compose: dict) -> None:
    services = compose["services"]
    assert set(services) >= CORE_SERVICES | CELERY_SERVICES
    assert services["airflow-apiserver"]["command"] == "api-server"
    assert any(str(p).endswith(":8080") for p in services["airflow-apiserver"]["ports"])
    for name in ("airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert services[name]["command"] == name.removeprefix("airflow-")
    for name in ("postgres", "news-postgres", "redis", *AIRFLOW_SERVICES):
        assert "healthcheck" in services[name], name


def test_core_services_need_no_profile(compose: dict) -> None:
    services = compose["services"]
    for name in CORE_SERVICES:
        assert "profiles" not in services[name], name
    for name in CELERY_SERVICES:
        assert services[name].get("profiles") == ["celery"], name


def test_local_executor_by_default_switchable(compose: dict) -> None:
    env = compose["x-airflow-common"]["environment"]
    assert re.fullmatch(r"\$\{AIRFLOW_EXECUTOR:-LocalExecutor\}", env["AIRFLOW__CORE__EXECUTOR"])
    # the broker is Redis by default; a worker on another machine points it elsewhere
    assert re.fullmatch(
        r"\$\{AIRFLOW_CELERY_BROKER_URL:-redis://[^}]+\}", env["AIRFLOW__CELERY__BROKER_URL"]
    )
    assert "@postgres/airflow" in env["AIRFLOW__CELERY__RESULT_BACKEND"]
    assert "@postgres/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    # one secret for every component that signs or checks task tokens
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"]


def test_celery_profile(compose: dict) -> None:
    services = compose["services"]
    worker = services["airflow-worker"]
    assert worker["command"] == "celery worker"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["flower"]["command"] == "celery flower"
    # Nothing outside the profile may depend on redis, or a plain `up` fails.
    for name in CORE_SERVICES:
        assert "redis" not in (services[name].get("depends_on") or {}), name


def test_project_folders_mounted(compose: dict) -> None:
    for name in AIRFLOW_SERVICES | {"airflow-worker", "newsflow-migrate"}:
        volumes = compose["services"][name]["volumes"]
        # "${NEWSFLOW_PROJ_DIR:-.}/dags:/opt/airflow/dags"
        mounts = {
            m.groups() for v in volumes for m in [re.search(r"}/(\w+):(/opt/airflow/\w+)", v)] if m
        }
        assert {(folder, f"/opt/airflow/{folder}") for folder in MOUNTS} <= mounts, name


def test_news_db_connection(compose: dict) -> None:
    env = compose["x-airflow-common"]["environment"]
    assert "news-postgres:5432/newsflow" in env["AIRFLOW_CONN_NEWSFLOW_DB"]
    assert "news-postgres:5432/newsflow" in env["NEWSFLOW_DATABASE_URL"]
    assert env["PYTHONPATH"] == "/opt/airflow/plugins"


def test_migrate_runs_first(compose: dict) -> None:
    services = compose["services"]
    migrate = services["newsflow-migrate"]
    assert migrate["entrypoint"].endswith("entrypoint-newsflow-migrate.sh")
    assert migrate["depends_on"]["news-postgres"]["condition"] == "service_healthy"
    assert "newsflow-migrate" not in migrate["depends_on"]
    for name in AIRFLOW_SERVICES | {"airflow-worker", "flower"}:
        depends = services[name]["depends_on"]
        assert depends["newsflow-migrate"]["condition"] == "service_completed_successfully", name
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
    init_env = services["airflow-init"]["environment"]
    assert init_env["_AIRFLOW_DB_MIGRATE"] == "true"


def test_env_example_matches_compose_defaults(compose: dict) -> None:
    """Copying .env.example changes nothing: its values are the compose file's defaults."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    defaults = dict(re.findall(r"\$\{(\w+):-([^}]*)\}", text))
    example = _env_example()
    assert {"AIRFLOW_CONN_NEWSFLOW_DB", "NEWSFLOW_DATABASE_URL", "AIRFLOW_EXECUTOR"} <= set(example)
    for key, value in example.items():
        assert key in defaults, f"{key} in .env.example is not used by docker-compose.yml"
        assert defaults[key] == value, f"{key}: .env.example {value!r} != compose {defaults[key]!r}"


def test_dockerfile_matches_lock() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"]: p["version"] for p in lock["package"]}
    airflow = locked["apache-airflow"]
    assert f"ARG AIRFLOW_IMAGE=apache/airflow:{airflow}-python3.11" in dockerfile
    assert f"ARG AIRFLOW_VERSION={airflow}" in dockerfile
    assert "uv export --frozen --no-dev" in dockerfile
    assert os.access(MIGRATE_ENTRYPOINT, os.X_OK)
    subprocess.run(["bash", "-n", str(MIGRATE_ENTRYPOINT)], check=True)


# ---------------------------------------------------------------- local Airflow (make up)


def test_airflow_connection_json() -> None:
    from newsflow_tools.airflow_local import airflow_connection

    socket_conn = json.loads(airflow_connection("postgresql://postgres:@/newsflow?host=/tmp/pg"))
    assert socket_conn == {
        "conn_type": "postgres",
        "host": "/tmp/pg",
        "login": "postgres",
        "password": "",
        "schema": "newsflow",
    }
    tcp = json.loads(airflow_connection("postgresql://u:p%40ss@db:5433/news?sslmode=require"))
    assert (tcp["host"], tcp["port"], tcp["password"]) == ("db", 5433, "p@ss")
    assert tcp["extra"] == {"sslmode": "require"}


def test_build_env_without_servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsflow_tools import airflow_local

    monkeypatch.setenv("NEWSFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", "postgresql://u:p@db:5432/news")
    monkeypatch.setenv("NEWSFLOW_AIRFLOW_PASSWORD", "s3cret")
    base = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg://a@db/airflow"}
    env = airflow_local.build_env(base)
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO / "dags")
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == str(REPO / "plugins")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == base["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert json.loads(env["AIRFLOW_CONN_NEWSFLOW_DB"])["host"] == "db"
    passwords = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    assert json.loads(passwords.read_text()) == {"admin": "s3cret"}
    assert passwords.stat().st_mode & 0o077 == 0
