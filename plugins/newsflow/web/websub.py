"""The WebSub callback over HTTP: ``/newsflow/websub/<feed id>`` on Airflow's API server.

A hub must reach it without an Airflow login, so it is its own FastAPI app, registered by the
plugin beside (and mounted before) the News app, which stays behind Airflow's login. It serves
nothing but :func:`newsflow.sources.feeds.websub.handle_callback`, which trusts no request: a
verification is answered only for a subscription we asked for, and a push counts only when
signed with that subscription's secret. A signed push makes the feed due now and notifies the
feeds watcher (on commit), which starts a ``news_feeds`` run within seconds.

Bodies are read up to :data:`~newsflow.sources.feeds.websub.MAX_PUSH_BYTES` (beyond: 413,
the rest unread); answers are ``text/plain`` with ``nosniff`` and a CSP that allows nothing,
so the echoed ``hub.challenge`` (the one third-party string sent back) is never markup.

It writes, so it uses the tasks' news database: the Airflow connection ``newsflow_db``
(:func:`newsflow.airflow_adapter.server_connection_url`), else ``NEWSFLOW_DATABASE_URL``;
never the embedded server, never the News view's read-only role.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from newsflow import db
from newsflow.settings import get_settings
from newsflow.sources.feeds import websub

log = logging.getLogger(__name__)
URL_PREFIX = "/newsflow/websub"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class _TooLarge(Exception):
    pass


def resolve_url() -> str | None:
    """The writable news database for the callback, or None."""
    try:
        from newsflow.airflow_adapter import CONN_ID, server_connection_url
    except ImportError:  # no Airflow: settings only
        return get_settings().database_url
    return server_connection_url(CONN_ID) or get_settings().database_url


class CallbackDatabase:
    """A lazily opened pool of a few writable connections (rows as dicts)."""

    def __init__(self, resolve: Callable[[], str | None] = resolve_url, max_size: int = 2):
        self._resolve = resolve
        self._max_size = max_size
        self._pool: Any = None
        self._lock = threading.Lock()

    def _open(self) -> Any:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        with self._lock:
            if self._pool is None:
                url = self._resolve()
                if not url:
                    return None
                self._pool = ConnectionPool(
                    url,
                    min_size=0,
                    max_size=self._max_size,
                    kwargs={"row_factory": dict_row},
                    configure=lambda conn: _search_path(conn),
                    timeout=10.0,
                    name="newsflow-websub",
                    open=True,
                )
            return self._pool

    def handle(
        self, method: str, feed_id: int, query: dict[str, str], headers: Any, body: bytes
    ) -> websub.Reply:
        pool = self._open()
        if pool is None:
            log.error("WebSub callback: no news database (connection newsflow_db)")
            return websub.Reply(503, "no news database")
        with pool.connection() as conn:  # commits on a clean exit
            return websub.handle_callback(conn, method, feed_id, query, headers, body)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def _search_path(conn: db.AnyConn) -> None:
    db.execute(conn, "db/search_path")
    conn.commit()


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _reply(status: int, body: str) -> Response:
    return PlainTextResponse(body, status_code=status, headers=HEADERS)


def create_websub_app(database: CallbackDatabase | None = None) -> FastAPI:
    """The callback app (no login: hubs are not Airflow users)."""
    callbacks = database or CallbackDatabase()
    app = FastAPI(title="newsflow WebSub", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.callbacks = callbacks

    @app.api_route("/{feed_id}", methods=["GET", "POST"])
    async def callback(request: Request, feed_id: str) -> Response:
        if not feed_id.isdigit() or len(feed_id) > 18:
            return _reply(404, "unknown subscription")
        body = b""
        if request.method == "POST":
            try:
                body = await _bounded_body(request, websub.MAX_PUSH_BYTES)
            except _TooLarge:
                return _reply(413, "too large")
        query = dict(request.query_params)
        answer = await run_in_threadpool(
            callbacks.handle, request.method, int(feed_id), query, dict(request.headers), body
        )
        return _reply(answer.status, answer.body)

    return app
