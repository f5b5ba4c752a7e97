"""The one place where the library meets Airflow: run identity, intervals, the DB connection.

DAG files call :mod:`newsflow.tasks`, which uses these; everything else in the library is
Airflow-free.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn

from newsflow import db
from newsflow.runs import RunIdentity, identity
from newsflow.settings import get_settings

log = logging.getLogger(__name__)
CONN_ID = "newsflow_db"


class NoNewsDatabase(RuntimeError):
    """A task found neither the Airflow connection nor NEWSFLOW_DATABASE_URL."""


def _conninfo(conn: Any) -> str:
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        "host": conn.host or None,
        "port": conn.port or None,
        "user": conn.login or None,
        "password": conn.password or None,
        "dbname": conn.schema or None,
    }
    params.update(conn.extra_dejson or {})
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def database_url() -> str:
    """The news database for a task: the Airflow connection ``newsflow_db`` when it exists
    (what an operator manages in the UI or as ``AIRFLOW_CONN_NEWSFLOW_DB``), else
    ``NEWSFLOW_DATABASE_URL``. Only "connection not found" falls back; any other error
    propagates. A task never starts an embedded server: without either, it fails clearly."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(CONN_ID)
    except AirflowNotFoundException:
        url = get_settings().database_url
        if not url:
            raise NoNewsDatabase(
                f"no Airflow connection {CONN_ID!r} and no NEWSFLOW_DATABASE_URL: define the "
                f"connection (Admin > Connections, or AIRFLOW_CONN_{CONN_ID.upper()})"
            ) from None
        log.info("news database: NEWSFLOW_DATABASE_URL (%s)", db.describe_url(url))
        return url
    url = _conninfo(conn)
    log.info("news database: Airflow connection %s (%s)", CONN_ID, db.describe_url(url))
    return url


async def async_database_url(conn_id: str = CONN_ID) -> str | None:
    """The news database for a trigger in the triggerer (an asyncio loop, where the Task
    SDK's blocking ``Connection.get`` must not run): the Airflow connection ``conn_id`` through
    ``Connection.async_get``, else ``NEWSFLOW_DATABASE_URL``, else None (never the embedded
    server). Only "connection not found" falls back; any other error propagates."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = await Connection.async_get(conn_id)
    except AirflowNotFoundException:
        return get_settings().database_url
    return _conninfo(conn)


def run_identity(context: Mapping[str, Any]) -> RunIdentity:
    """dag_id, run_id, logical date and the [start, end) interval the run owns.

    Scheduled and backfill runs own their data interval. A manual run (triggered from the UI,
    with or without a logical date, or ``airflow dags test``) takes everything not yet processed,
    unless its conf says ``{"use_interval": true}``."""
    dag_run = context["dag_run"]
    conf = dict(dag_run.conf or {})
    start: datetime | None = context.get("data_interval_start")
    end: datetime | None = context.get("data_interval_end")
    run_type = str(getattr(dag_run, "run_type", "") or "").lower()
    manual = "manual" in run_type or "asset" in run_type
    if (manual and not conf.get("use_interval")) or conf.get("all") or start is None or end is None:
        start = end = None
    return identity(
        dag_run.dag_id,
        dag_run.run_id,
        logical_date=context.get("logical_date"),
        interval_start=start,
        interval_end=end,
    )


def is_arrival_run(context: Mapping[str, Any]) -> bool:
    """A run started by a watcher (an Asset event from the triggerer), or asked to behave like
    one (conf ``{"only_new": true}``): it takes what arrived since the last run, not the whole
    source again."""
    dag_run = context["dag_run"]
    run_type = str(getattr(dag_run, "run_type", "") or "").lower()
    return "asset" in run_type or bool(dict(dag_run.conf or {}).get("only_new"))


def is_backfill(context: Mapping[str, Any]) -> bool:
    return "backfill" in str(getattr(context["dag_run"], "run_type", "")).lower()


def fail_without_retry(message: str) -> NoReturn:
    """Fail the running task at once, retries or not (the failure is not transient)."""
    from airflow.sdk.exceptions import AirflowFailException

    raise AirflowFailException(message)


def server_connection_url(conn_id: str = CONN_ID) -> str | None:
    """The libpq URL of Airflow connection ``conn_id`` for an Airflow *server* process (the
    API server serving the News view), or None when no such connection is defined.

    Tasks ask the Task SDK (:func:`database_url`); a server process is not a task and has no
    supervisor to ask, so it reads the connection the way Airflow's own servers do: through
    the configured secrets backends, environment variables (``AIRFLOW_CONN_<ID>``) and the
    metadata database, in that order."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None
    return _conninfo(conn)


def worker_hostname() -> str:
    """The host name a worker reports (``[core] hostname_callable``): ``NEWSFLOW_WORKER_NAME``
    when set (several workers on one machine stay apart in the UI), else the machine's."""
    import socket

    return get_settings().worker_name or socket.getfqdn()
