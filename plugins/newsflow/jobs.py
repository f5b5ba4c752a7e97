"""Units of work that own their transactions, shared by the Airflow tasks and the CLI.

The transaction rule of the project: library functions never commit; the functions here
decide where a unit of work ends and commit it. Airflow tasks (:mod:`newsflow.tasks`) and CLI
commands (:mod:`newsflow.cli`) call these with a database URL and an identity, so both run
exactly the same steps.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsflow import db, events, ingest, runs
from newsflow.events import ClusterParams
from newsflow.ingest import ProcessResult
from newsflow.runs import RunIdentity
from newsflow.settings import Settings, get_settings
from newsflow.sources import inbox as inbox_source
from newsflow.sources import queue as queue_source

log = logging.getLogger(__name__)


def archive_inbox(
    conn: db.Conn,
    run_id: int,
    inbox: Path,
    ident: RunIdentity,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    *,
    only_new: bool = False,
) -> dict[str, int]:
    """Archive the inbox entries of the run's interval, committing every
    ``NEWSFLOW_ARCHIVE_BATCH`` entries (a crash loses at most the batch in hand: its files are
    still in the inbox for the next run). Counts per archive state, and what the scan skipped
    on purpose (also kept in ``ingest_runs.acquisition``).

    ``only_new``: skip the files unchanged since a run archived them and whose documents are
    settled (a run started by the inbox watcher reads what arrived, not the whole inbox), and
    the files changed within the last second (still being written: the watcher fires again)."""
    found = inbox_source.scan(inbox, ident["interval_start"], ident["interval_end"])
    if only_new:
        inbox_source.skip_unchanged(conn, found)
        inbox_source.skip_being_written(found)
    counts: dict[str, int] = {
        "files": 0,
        "pending": 0,
        "already-ingested": 0,
        "quarantined": 0,
        "same-bytes": 0,
    }
    total = len(found.entries)
    batch = max(1, settings.archive_batch)
    for start in range(0, total, batch):
        files = found.entries[start : start + batch]
        ticks = iter(range(start + 1, start + len(files) + 1))

        def tick(ticks: Iterator[int] = ticks) -> None:
            if progress is not None:
                progress(next(ticks), total)

        inbox_source.archive_files(conn, run_id, files, settings, counts, tick)
        conn.commit()
    runs.set_acquisition(conn, run_id, {**found.counts(), **counts})
    conn.commit()
    if found.hidden:
        log.info("skipped %d hidden entries (names starting with '.')", found.hidden)
    if found.unchanged:
        log.info("skipped %d files unchanged since they were ingested", found.unchanged)
    return counts


def take_queue(conn: db.Conn, run_id: int, consumer: str, settings: Settings) -> dict[str, int]:
    """Take messages off the queue (``NEWSFLOW_QUEUE_URL``) for ``consumer`` and archive them
    into the run, committed; the counts (also kept in ``ingest_runs.acquisition``). The
    messages stay pending on the stream until :func:`acknowledge_queue`: a crash before the
    commit leaves them to be claimed again. Nothing is taken when no queue is configured."""
    counts: dict[str, int] = {"messages": 0}
    if settings.queue_url:
        client = queue_source.connect(settings.queue_url)
        lost: list[str] = []
        try:
            messages = queue_source.take(
                client,
                settings.queue_stream,
                settings.queue_group,
                consumer,
                batch=settings.queue_batch,
                claim_idle_s=settings.queue_claim_idle_s,
                lost=lost,
            )
        finally:
            client.close()
        counts = queue_source.archive_messages(
            conn, run_id, settings.queue_stream, messages, settings.max_document_bytes
        )
        if lost:  # in the run's acquisition counts, where an operator looks
            counts["lost_before_stored"] = len(lost)
        conn.commit()
    runs.set_acquisition(conn, run_id, counts)
    conn.commit()
    return counts


def acknowledge_queue(conn: db.Conn, run_id: int, settings: Settings) -> dict[str, int]:
    """Acknowledge the run's queue entries whose documents are settled in the database
    (read-only on Postgres); the counts."""
    if not settings.queue_url:
        return {"entries": 0, "acked": 0, "unsettled": 0}
    client = queue_source.connect(settings.queue_url)
    try:
        return queue_source.acknowledge(
            conn, client, settings.queue_stream, settings.queue_group, run_id
        )
    finally:
        client.close()


@contextmanager
def prepare_pool(settings: Settings, documents: int) -> Iterator[Executor | None]:
    """Processes that decode and extract for one task, so a task uses every core: started
    from a fork server that has imported the extraction code and loaded its data once
    (:mod:`newsflow.prepare_worker`; not from the task process itself, whose threads and
    connections must not be forked). None when one process does."""
    wanted = settings.prepare_processes or os.cpu_count() or 1
    workers = min(wanted, documents // 8)
    if workers >= 2 and multiprocessing.current_process().daemon:
        # a Celery worker's task process is daemonic, and a daemonic process may not start
        # children: every chunk of more than 15 documents failed there ("daemonic processes
        # are not allowed to have children"). Such a worker scales out by its concurrency.
        log.info("a daemonic process (a Celery worker's task) prepares its chunk itself")
        workers = 1
    if workers < 2:
        yield None
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["newsflow.prepare_worker" if settings.preload else "newsflow.stages"]
    )
    with _main_not_rerun(), ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


@contextmanager
def _main_not_rerun() -> Iterator[None]:
    """Keep the pool's processes from running the task process's main script.

    A process started by the fork server runs the parent's ``__main__`` again when that is a
    script (no ``__spec__``). In an Airflow task the script is ``airflow`` itself, which
    configures Airflow on import and fails in a task's environment (no metadata database
    settings): every pool process died at start. The preparation needs nothing from
    ``__main__``, so its file is hidden from multiprocessing while the pool lives."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def process_chunks(
    conn: db.Conn, chunks: list[ingest.ChunkRef], settings: Settings | None = None
) -> ProcessResult:
    """Process chunks one after the other, committing each (a crash or a failed retry loses
    at most the chunk in hand, and the next try takes only what is still pending)."""
    settings = settings or get_settings()
    total = ingest.EMPTY_RESULT
    with prepare_pool(settings, max((c["documents"] for c in chunks), default=0)) as pool:
        for chunk in chunks:
            ingest.begin_chunk(conn, chunk)
            conn.commit()
            try:
                result = ingest.process_chunk(conn, chunk, settings, pool)
                conn.commit()
            except BaseException as exc:  # it raised (an error, a lock timeout, Ctrl-C)
                if type(exc).__name__ != "AirflowTaskTimeout":  # a hang is as a death
                    ingest.end_chunk_unprocessed(conn, chunk)
                raise
            total = ingest.add_results(total, result)
    return total


def process(conn: db.Conn, run_id: int, settings: Settings | None = None) -> ProcessResult:
    """Process all of the run's pending documents, chunk by chunk, each committed."""
    settings = settings or get_settings()
    return process_chunks(conn, ingest.plan_chunks(conn, run_id, settings), settings)


def finish(conn: db.Conn, run_id: int) -> dict[str, Any]:
    row = runs.finish_run(conn, run_id)
    conn.commit()
    return row


def ingest_inbox(
    url: str,
    ident: RunIdentity,
    inbox: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    only_new: bool = False,
) -> dict[str, Any]:
    """Scan, process and finish in one go (the CLI path; the DAG runs the same steps as tasks).
    The finished ``ingest_runs`` row. ``only_new``: as :func:`archive_inbox`."""
    settings = get_settings()
    with db.connect(url) as conn:
        with runs.ingest_run(conn, ident) as run_id:
            inbox = inbox or settings.inbox
            archive_inbox(conn, run_id, inbox, ident, settings, progress, only_new=only_new)
            process(conn, run_id, settings)
        row = db.fetch_one(conn, "runs/by_id", {"run_id": run_id})
    assert row is not None
    return dict(row)


def cluster_pending(
    conn: db.Conn, *, batch_size: int = 500, params: ClusterParams | None = None
) -> dict[str, int]:
    """Assign every queued article to an event, one committed transaction per batch (a crash
    loses at most the batch in hand; the queue keeps the rest). Memberships stored with
    features of an older version are re-featurised first (:func:`newsflow.events.refeaturize`).
    Counts."""
    upgraded = events.refeaturize(conn)
    clustering = events.Clustering(batch_size, params)
    totals = {"articles": 0, "events_created": 0, "articles_moved": 0, "events_retired": 0}
    while True:
        counts = clustering.batch(conn)
        conn.commit()
        for key, n in counts.items():
            totals[key] += n
        if counts["articles"] < batch_size:
            break
    return {**totals, "events_touched": len(clustering.touched), **upgraded}
