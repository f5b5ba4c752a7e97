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
    summary = {k: row[k] for k in ("id", "status", *pipeline.RUN_COUNTS)}
    log.info("ingest run: %s", summary)
    return summary


def feeds_start(context: Any) -> dict[str, Any]:
    from newsflow.sources import feeds

    ident = airflow_adapter.run_identity(context)
    url = airflow_adapter.database_url()
    db.migrate(url)
    backfill = "backfill" in str(getattr(context["dag_run"], "run_type", "")).lower()
    with db.connect(url) as conn:
        run_id = pipeline.start_run(conn, **ident)
        conn.commit()
        if backfill and ident["interval_start"] is not None:
            counts = feeds.queue_archived_pages(
                conn, run_id, ident["interval_start"], ident["interval_end"]
            )
            log.info("backfill: reprocessing the raw archive of the interval: %s", counts)
            return {"ingest_run_id": run_id, "feeds": [], "backfill": counts}
        due = feeds.due_feeds(conn)
    log.info("%d feeds due", len(due))
    return {"ingest_run_id": run_id, "feeds": due}


def poll_feed(run: dict[str, Any], feed: dict[str, Any]) -> dict[str, Any]:
    from newsflow import fetch
    from newsflow.sources import feeds

    url = airflow_adapter.database_url()
    with db.connect(url) as conn, db.connect(url, autocommit=True) as slots:
        fetcher = fetch.Fetcher(
            host_slots=lambda host, iv: feeds.reserve_host_slot(slots, host, iv)
        )
        with fetcher:
            result = feeds.poll_feed(conn, int(run["ingest_run_id"]), int(feed["id"]), fetcher)
        conn.commit()
    log.info("feed %s: %s", feed["name"], result)
    return result


def cluster_events() -> dict[str, Any]:
    from newsflow import events

    url = airflow_adapter.database_url()
    db.migrate(url)
    with db.connect(url) as conn:
        counts = events.cluster_pending(conn)
    log.info("events: %s", counts)
    return counts


def reprocess(context: Any) -> dict[str, Any]:
    from datetime import date

    from newsflow import reprocess as reprocessing

    params = context["params"]
    sel = reprocessing.Selection(
        start=date.fromisoformat(params["start_date"]) if params.get("start_date") else None,
        end=date.fromisoformat(params["end_date"]) if params.get("end_date") else None,
        sources=tuple(params.get("sources") or ()),
        extractor_version=params.get("extractor_version") or None,
        force=bool(params.get("force")),
    )
    ident = airflow_adapter.run_identity(context)
    url = airflow_adapter.database_url()
    db.migrate(url)
    with db.connect(url) as conn:
        run_id = pipeline.start_run(conn, **ident)
        conn.commit()
        counts = reprocessing.reprocess(conn, run_id, sel)
        conn.commit()
    log.info("reprocess %s: %s", sel, counts)
    return {"ingest_run_id": run_id, **counts}
