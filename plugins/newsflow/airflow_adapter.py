"""The one place where the library meets Airflow: run identity, intervals, the DB connection.

DAG files call these from ``@task`` functions; everything else in the library is Airflow-free.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

from newsflow import db

log = logging.getLogger(__name__)
CONN_ID = "newsflow_db"
NEWS_ARTICLES_URI = "newsflow://news/articles"


def database_url() -> str:
    """The news DB URL: the Airflow connection ``newsflow_db`` when defined, else the library's."""
    if os.environ.get("NEWSFLOW_DATABASE_URL"):
        return os.environ["NEWSFLOW_DATABASE_URL"]
    try:
        from airflow.sdk import Connection

        conn = Connection.get(CONN_ID)
    except Exception:  # not defined: fall back to the embedded server / settings
        return db.database_url()
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


def run_identity(context: Any) -> dict[str, Any]:
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
    return {
        "dag_id": dag_run.dag_id,
        "run_id": dag_run.run_id,
        "logical_date": context.get("logical_date"),
        "interval_start": start,
        "interval_end": end,
    }
