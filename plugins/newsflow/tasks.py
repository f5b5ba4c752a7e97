"""Task bodies of the DAGs: take and return ids and counts (XCom-sized), never article bodies.

Each function is what one ``@task`` runs: it resolves the news database through the Airflow
boundary (:mod:`newsflow.airflow_adapter`) and calls a unit of work (:mod:`newsflow.jobs`) or
a library function, owning the transaction. The XCom payloads are TypedDicts, so a DAG file
and the next task agree on their shape. Tasks after the first find their ingest run by the
Airflow run's identity (``ingest_runs`` is keyed by DAG id and run id), so they need no
XCom for it, and a run with nothing to map over still reaches its report.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any, TypedDict

from newsflow import airflow_adapter, db, ingest, jobs, migrate, quality, runs
from newsflow.ingest import ChunkRef
from newsflow.settings import get_settings

log = logging.getLogger(__name__)


class ProcessSummary(TypedDict):
    ingest_run_id: int
    documents: int
    items: int
    states: dict[str, int]
    validation_success: bool | None
    seconds: dict[str, float]


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


def _run_id(conn: db.Conn, context: Mapping[str, Any]) -> int:
    """The ingest run of this Airflow run (opened by its first task)."""
    ident = airflow_adapter.run_identity(context)
    value = db.fetch_value(
        conn, "runs/by_identity", {"dag_id": ident["dag_id"], "run_id": ident["run_id"]}
    )
    if value is None:
        raise RuntimeError(f"no ingest run for {ident['dag_id']} {ident['run_id']}")
    return int(value)


def scan_inbox(context: Mapping[str, Any]) -> list[ChunkRef]:
    """Archive the interval's inbox entries (a run started by the inbox watcher: the files that
    arrived); the chunks the run's documents are processed in."""
    ident = airflow_adapter.run_identity(context)
    settings = get_settings()
    only_new = airflow_adapter.is_arrival_run(context)
    with db.connect(_database()) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        counts = jobs.archive_inbox(
            conn, run_id, settings.inbox, ident, settings, only_new=only_new
        )
        chunks = ingest.plan_chunks(conn, run_id, settings)
    log.info(
        "inbox %s: %d entries (%d to process, %d already ingested, %d refused); %d chunks",
        settings.inbox,
        counts["files"],
        counts["pending"],
        counts["already-ingested"],
        counts["quarantined"],
        len(chunks),
    )
    return chunks


def queue_take(context: Mapping[str, Any]) -> list[ChunkRef]:
    """Take messages off the Redis stream (re-claimed ones first) and archive them; the
    chunks to process. The entries stay pending until :func:`queue_acknowledge`; the run's
    sightings (``redis://<stream>/<entry id>``) remember which entries it took."""
    ident = airflow_adapter.run_identity(context)
    settings = get_settings()
    with db.connect(_database()) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        if not settings.queue_url:
            log.warning("NEWSFLOW_QUEUE_URL is not set: no queue to take messages from")
        counts = jobs.take_queue(conn, run_id, ident["dag_id"], settings)
        chunks = ingest.plan_chunks(conn, run_id, settings)
    log.info(
        "queue %s: %d messages (%d to process, %d already ingested, %d refused); %d chunks",
        settings.queue_stream,
        counts["messages"],
        counts.get("pending", 0),
        counts.get("already-ingested", 0),
        counts.get("quarantined", 0),
        len(chunks),
    )
    return chunks


def queue_acknowledge(context: Mapping[str, Any]) -> dict[str, int]:
    """Acknowledge the run's entries whose documents are settled in the database (stored,
    duplicate, quarantined); the others stay pending and are delivered again later."""
    settings = get_settings()
    with db.connect(airflow_adapter.database_url()) as conn:
        counts = jobs.acknowledge_queue(conn, _run_id(conn, context), settings)
    log.info(
        "queue %s: %d entries acknowledged, %d left pending (not settled)",
        settings.queue_stream,
        counts["acked"],
        counts["unsettled"],
    )
    return counts


def plan_chunks(context: Mapping[str, Any]) -> list[ChunkRef]:
    """The chunks of a run's pending documents, each the work of one mapped ``process``."""
    with db.connect(airflow_adapter.database_url()) as conn:
        chunks = ingest.plan_chunks(conn, _run_id(conn, context))
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
    states = ", ".join(f"{k} {v}" for k, v in sorted(result["states"].items())) or "nothing"
    slowest = max(result["seconds"].items(), key=lambda kv: kv[1], default=("-", 0.0))
    log.info(
        "%s: %s; %.1f s, the slowest stage %s (%.1f s)",
        chunk_label(chunk),
        states,
        sum(result["seconds"].values()),
        *slowest,
    )
    return ProcessSummary(ingest_run_id=chunk["run_id"], **result)


def report(context: Mapping[str, Any]) -> RunReport:
    """Close the run's ``ingest_runs`` row with its counts."""
    with db.connect(airflow_adapter.database_url()) as conn:
        row = jobs.finish(conn, _run_id(conn, context))
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


def quality_gate(context: Mapping[str, Any]) -> list[str]:
    """Hold the finished run against the data-quality thresholds: the summary lines an
    operator needs, logged; a run that fails the gate fails this task (the data stays)."""
    with db.connect(airflow_adapter.database_url()) as conn:
        result = quality.check(conn, _run_id(conn, context))
    for line in result.summary:
        log.info("%s", line)
    if not result.passed:  # deterministic: retrying would only delay the alert
        airflow_adapter.fail_without_retry(
            "the run's data is stored, but it fails the data-quality gate: "
            + "; ".join(result.problems)
        )
    return result.summary


def feeds_start(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Open the run; the due feeds grouped for the poll tasks (a backfill queues the pages
    archived in its interval instead, and polls nothing). A run also takes up the pages that
    earlier runs archived and never processed (:func:`feeds.resume_unsettled_pages`)."""
    from newsflow.sources import feeds
    from newsflow.sources.feeds import websub

    ident = airflow_adapter.run_identity(context)
    settings = get_settings()
    with db.connect(_database()) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        if airflow_adapter.is_backfill(context) and ident["interval_start"] is not None:
            assert ident["interval_end"] is not None
            counts = feeds.queue_archived_pages(
                conn, run_id, ident["interval_start"], ident["interval_end"]
            )
            conn.commit()
            log.info("backfill: reprocessing the raw archive of the interval: %s", counts)
            return []
        resumed = feeds.resume_unsettled_pages(conn, run_id, settings.max_attempts)
        conn.commit()
        if any(resumed.values()):
            log.info("pages archived earlier and never processed, taken up again: %s", resumed)
        due = feeds.due_feeds(conn)
        if settings.websub_callback_url:
            # a WebSub subscription to request or renew: its feed's poll (re)subscribes it
            ids = {int(f["id"]) for f in due}
            due += [
                {"id": f["id"], "name": f["name"], "url": f["url"]}
                for f in websub.subscriptions_due(conn)
                if int(f["id"]) not in ids
            ]
    groups = feeds.pack_groups(feeds.group_by_host(due), settings.feed_poll_tasks)
    log.info("%d feeds due, polled by %d tasks", len(due), len(groups))
    return [{"ingest_run_id": run_id, **group} for group in groups]


def poll_group(group: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Poll a group of feeds (a few hosts) in this one task; a bad feed is recorded on the
    feed, never raised."""
    from newsflow import fetch
    from newsflow.sources import feeds

    url = airflow_adapter.database_url()
    with (
        db.connect(url) as conn,
        db.connect_autocommit(url) as pages,
        db.connect_autocommit(url) as shared,
        fetch.Fetcher(shared=fetch.PostgresShared(shared)) as fetcher,
    ):
        results = feeds.poll_feeds(
            conn,
            pages,
            int(group["ingest_run_id"]),
            [int(f["id"]) for f in group["feeds"]],
            fetcher,
        )
        conn.commit()
        # after the commit: a poll may just have discovered a hub
        subscribed = _subscribe(pages, fetcher, [int(f["id"]) for f in group["feeds"]])
    for result in results:
        log.info(
            "feed %s: %s, %s new entries, %s pages fetched, %s failed%s",
            result.get("name"),
            result.get("outcome"),
            result.get("new_entries", 0),
            result.get("pages_fetched", 0),
            result.get("pages_failed", 0),
            f", paused: {result['paused']}" if result.get("paused") else "",
        )
    out: list[dict[str, Any]] = [dict(r) for r in results]
    for row in out:
        if row.get("feed_id") in subscribed:
            row["websub"] = subscribed[int(row["feed_id"])]
    return out


def _subscribe(conn: db.Autocommit, fetcher: Any, feed_ids: list[int]) -> dict[int, str]:
    """Request or renew the WebSub subscriptions due among these feeds (only with
    ``NEWSFLOW_WEBSUB_CALLBACK_URL``); never fails the task: polling is the fallback."""
    from newsflow.sources.feeds import websub

    try:
        states = websub.subscribe_due(conn, fetcher, feed_ids)
    except Exception:
        log.exception("WebSub subscriptions failed; the feeds are polled as before")
        return {}
    for feed_id, state in states.items():
        log.info("feed %s: WebSub subscription %s", feed_id, state)
    return states


def cluster_events() -> dict[str, Any]:

    with db.connect(_database()) as conn:
        counts = jobs.cluster_pending(conn)
    log.info("events: %s", counts)
    return counts


def reprocess(context: Mapping[str, Any]) -> dict[str, Any]:
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
    return dict(counts)
