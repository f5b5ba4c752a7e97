"""Task bodies of the DAGs: take and return ids and counts (XCom-sized), never article bodies.

Each function is what one ``@task`` runs: it resolves the news database through the Airflow
boundary (:mod:`newsflow.airflow_adapter`) and calls a unit of work (:mod:`newsflow.jobs`) or
a library function, owning the transaction. The XCom payloads are TypedDicts, so a DAG file
and the next task agree on their shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any, TypedDict

from newsflow import airflow_adapter, db, ingest, jobs, migrate, runs
from newsflow.ingest import ChunkRef
from newsflow.settings import get_settings

log = logging.getLogger(__name__)


class RunRef(TypedDict):
    """Which ingest run the following tasks work on."""

    ingest_run_id: int


class ScanResult(RunRef):
    files: int
    pending: int


class ProcessSummary(RunRef):
    documents: int
    items: int
    states: dict[str, int]
    validation_success: bool | None


class FeedRef(TypedDict):
    id: int
    name: str
    url: str


class FeedsStart(RunRef):
    feeds: list[FeedRef]
    backfill: dict[str, int] | None


class RunReport(TypedDict):
    id: int
    status: str
    documents_seen: int
    documents_new: int
    articles_stored: int
    articles_updated: int
    duplicates: int
    quarantined: int
    failed: int


def _database() -> str:
    url = airflow_adapter.database_url()
    migrate.migrate(url)
    return url


def scan_inbox(context: Mapping[str, Any]) -> ScanResult:
    """Archive the interval's inbox entries (the documents the run will process)."""
    ident = airflow_adapter.run_identity(context)
    settings = get_settings()
    with db.connect(_database()) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        counts = jobs.archive_inbox(conn, run_id, settings.inbox, ident, settings)
    log.info("inbox %s: %s", settings.inbox, counts)
    return ScanResult(ingest_run_id=run_id, files=counts["files"], pending=counts["pending"])


def plan_chunks(run: RunRef) -> list[ChunkRef]:
    """The chunks of a run's pending documents, each the work of one mapped ``process``."""
    with db.connect(airflow_adapter.database_url()) as conn:
        chunks = ingest.plan_chunks(conn, int(run["ingest_run_id"]))
    log.info("%d chunks to process", len(chunks))
    return chunks


def chunk_label(chunk: ChunkRef) -> str:
    """How a mapped ``process`` task is labelled in the UI."""
    return (
        f"chunk {chunk['chunk'] + 1}: {chunk['documents']} documents "
        f"(#{chunk['first_id']}-#{chunk['last_id']})"
    )


def process_chunk(chunk: ChunkRef) -> ProcessSummary:
    """Prepare, validate, decide and load one chunk, committed on its own."""
    with db.connect(airflow_adapter.database_url()) as conn:
        result = jobs.process_chunks(conn, [chunk])
    log.info("%s: %s", chunk_label(chunk), result)
    return ProcessSummary(ingest_run_id=chunk["run_id"], **result)


def report(run: RunRef) -> RunReport:
    with db.connect(airflow_adapter.database_url()) as conn:
        row = jobs.finish(conn, int(run["ingest_run_id"]))
    summary = RunReport(
        id=int(row["id"]),
        status=str(row["status"]),
        documents_seen=int(row["documents_seen"]),
        documents_new=int(row["documents_new"]),
        articles_stored=int(row["articles_stored"]),
        articles_updated=int(row["articles_updated"]),
        duplicates=int(row["duplicates"]),
        quarantined=int(row["quarantined"]),
        failed=int(row["failed"]),
    )
    log.info("ingest run: %s", summary)
    return summary


def feeds_start(context: Mapping[str, Any]) -> FeedsStart:
    from newsflow.sources import feeds

    ident = airflow_adapter.run_identity(context)
    with db.connect(_database()) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        if airflow_adapter.is_backfill(context) and ident["interval_start"] is not None:
            assert ident["interval_end"] is not None
            counts = feeds.queue_archived_pages(
                conn, run_id, ident["interval_start"], ident["interval_end"]
            )
            conn.commit()
            log.info("backfill: reprocessing the raw archive of the interval: %s", counts)
            return FeedsStart(ingest_run_id=run_id, feeds=[], backfill=counts)
        due = [FeedRef(id=f["id"], name=f["name"], url=f["url"]) for f in feeds.due_feeds(conn)]
    log.info("%d feeds due", len(due))
    return FeedsStart(ingest_run_id=run_id, feeds=due, backfill=None)


def poll_feed(run: RunRef, feed: FeedRef) -> dict[str, Any]:
    from newsflow import fetch
    from newsflow.sources import feeds

    url = airflow_adapter.database_url()
    with (
        db.connect(url) as conn,
        db.connect_autocommit(url) as pages,
        db.connect_autocommit(url) as shared,
        fetch.Fetcher(shared=fetch.PostgresShared(shared)) as fetcher,
    ):
        (result,) = feeds.poll_feeds(
            conn, pages, int(run["ingest_run_id"]), [int(feed["id"])], fetcher
        )
        conn.commit()
    log.info("feed %s: %s", feed["name"], result)
    return dict(result)


def cluster_events() -> dict[str, Any]:
    from newsflow import events_store

    with db.connect(_database()) as conn:
        counts = events_store.cluster_pending(conn)
    log.info("events: %s", counts)
    return counts


def reprocess(context: Mapping[str, Any]) -> RunRef:
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
    with db.connect(_database()) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        counts = reprocessing.reprocess(conn, run_id, sel)
        conn.commit()
    log.info("reprocess %s: %s", sel, counts)
    return RunRef(ingest_run_id=run_id)
