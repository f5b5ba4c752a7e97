"""The News view's database: which one, and a small read-only connection pool.

The API server is not a task: it has no Task SDK supervisor to ask for the ``newsflow_db``
connection, so the URL is resolved here, once, on the first request (a server whose news
database is unreachable still starts; its pages say why):

1. ``NEWSFLOW_WEB_DATABASE_URL`` (a login role in ``newsflow_reader`` is the natural choice);
2. the Airflow connection ``NEWSFLOW_WEB_CONN_ID`` (default ``newsflow_db``, what the tasks
   use), read through Airflow's secrets backends, ``AIRFLOW_CONN_*`` variables and the
   metadata database (:func:`newsflow.airflow_adapter.server_connection_url`);
3. ``NEWSFLOW_DATABASE_URL``.

It never starts the embedded server. Whatever the role can do, every session is read-only
(``default_transaction_read_only``) and every statement is bounded by
``NEWSFLOW_WEB_STATEMENT_TIMEOUT_MS``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from newsflow import db
from newsflow.settings import Settings, get_settings

log = logging.getLogger(__name__)
POOL_MAX_SIZE = 4
POOL_TIMEOUT_SECONDS = 10.0


def describe(url: str) -> str:
    """``dbname on host`` of a libpq URL or conninfo string, never its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(url)
    except Exception:  # a malformed URL fails on connect with its own message
        return "(unreadable URL)"
    host = str(params.get("host") or "localhost")
    port = f":{params['port']}" if params.get("port") else ""
    user = f"{params['user']}@" if params.get("user") else ""
    return f"{params.get('dbname') or '?'} on {user}{host}{port}"


class NoNewsDatabase(RuntimeError):
    """Neither setting nor Airflow connection names a news database."""


def resolve_url(settings: Settings | None = None) -> tuple[str, str]:
    """The news database URL for the view and where it came from (for logs and the footer)."""
    settings = settings or get_settings()
    if settings.web_database_url:
        return settings.web_database_url, "NEWSFLOW_WEB_DATABASE_URL"
    try:
        from newsflow.airflow_adapter import server_connection_url
    except ImportError:  # no Airflow installed: settings only
        server_connection_url = None  # type: ignore[assignment]
    if server_connection_url is not None:
        url = server_connection_url(settings.web_conn_id)
        if url:
            return url, f"Airflow connection {settings.web_conn_id}"
    if settings.database_url:
        return settings.database_url, "NEWSFLOW_DATABASE_URL"
    raise NoNewsDatabase(
        f"no news database for the News view: define the Airflow connection "
        f"{settings.web_conn_id!r} (Admin > Connections, or "
        f"AIRFLOW_CONN_{settings.web_conn_id.upper()}), or set NEWSFLOW_WEB_DATABASE_URL"
    )


class NewsDatabase:
    """A lazily opened pool of read-only connections (rows as dicts)."""

    def __init__(
        self,
        resolve: Callable[[], tuple[str, str]] = resolve_url,
        *,
        statement_timeout_ms: int | None = None,
        max_size: int = POOL_MAX_SIZE,
    ) -> None:
        self._resolve = resolve
        self._timeout_ms = statement_timeout_ms
        self._max_size = max_size
        self._pool: ConnectionPool[db.Conn] | None = None
        self._lock = threading.Lock()
        self.described = "not connected yet"

    def _configure(self, conn: db.AnyConn) -> None:
        timeout = self._timeout_ms or get_settings().web_statement_timeout_ms
        db.execute(conn, "web/session", {"statement_timeout_ms": str(timeout)})
        conn.commit()

    def _open(self) -> ConnectionPool[db.Conn]:
        with self._lock:
            if self._pool is None:
                url, origin = self._resolve()
                self.described = f"{describe(url)} ({origin})"
                log.info("News view: news database %s", self.described)
                pool = ConnectionPool[db.Conn](
                    url,
                    min_size=1,
                    max_size=self._max_size,
                    kwargs={"row_factory": dict_row},
                    configure=self._configure,
                    timeout=POOL_TIMEOUT_SECONDS,
                    name="newsflow-web",
                    open=False,
                )
                pool.open(wait=False)
                self._pool = pool
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[db.Conn]:
        """A read-only connection inside one transaction (one snapshot per page)."""
        with self._open().connection() as conn:
            yield conn

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
