"""Task bodies of the DAGs: take and return ids and counts (XCom-sized), never article bodies."""

from __future__ import annotations

import logging
from typing import Any

from newsflow import airflow_adapter, db, pipeline
from newsflow.settings import get_settings

log = logging.getLogger(__name__)


def scan_inbox(context: Any) -> dict[str, Any]:
    ident = airflow_adapter.run_identity(context)
    url = airflow_adapter.database_url()
    db.migrate(url)
    settings = get_settings()
    with db.connect(url) as conn:
        run_id = pipeline.start_run(conn, **ident)
        conn.commit()
        counts = pipeline.archive_inbox(
            conn,
            run_id,
            settings.inbox,
            interval_start=ident["interval_start"],
            interval_end=ident["interval_end"],
            settings=settings,
        )
    log.info("inbox %s: %s", settings.inbox, counts)
    return {"ingest_run_id": run_id, **counts}


def process(scan: dict[str, Any]) -> dict[str, Any]:
    with db.connect(airflow_adapter.database_url()) as conn:
        result = pipeline.process_run(conn, int(scan["ingest_run_id"]))
        conn.commit()
    log.info("processed: %s", result)
    return {"ingest_run_id": scan["ingest_run_id"], **result}


def report(processed: dict[str, Any]) -> dict[str, Any]:
    with db.connect(airflow_adapter.database_url()) as conn:
        row = pipeline.finish_run(conn, int(processed["ingest_run_id"]))
        conn.commit()
    keys = (
        "id",
        "status",
        "documents_seen",
        "documents_new",
        "articles_stored",
        "articles_updated",
        "duplicates",
        "quarantined",
        "failed",
    )
    summary = {k: row[k] for k in keys}
    log.info("ingest run: %s", summary)
    return summary
