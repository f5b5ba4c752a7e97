"""Units of work that own their transactions, shared by the Airflow tasks and the CLI.

The transaction rule of the project: library functions never commit; the functions here
decide where a unit of work ends and commit it. Airflow tasks (:mod:`newsflow.tasks`) and CLI
commands (:mod:`newsflow.cli`) call these with a database URL and an identity, so both run
exactly the same steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsflow import db, ingest, runs
from newsflow.ingest import ProcessResult
from newsflow.runs import RunIdentity
from newsflow.settings import Settings, get_settings
from newsflow.sources import inbox as inbox_source

log = logging.getLogger(__name__)


def archive_inbox(
    conn: db.Conn,
    run_id: int,
    inbox: Path,
    ident: RunIdentity,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Archive the inbox files of the run's interval, committing each file as it is archived
    (a crash loses at most the file in hand). Counts per archive state."""
    found = inbox_source.scan_inbox(inbox, ident["interval_start"], ident["interval_end"])
    counts: dict[str, int] = {
        "files": 0,
        "pending": 0,
        "already-ingested": 0,
        "quarantined": 0,
        "same-bytes": 0,
    }
    for number, item in enumerate(found, start=1):
        if progress is not None:
            progress(number, len(found))
        inbox_source.archive_files(conn, run_id, [item], settings, counts)
        conn.commit()
    return counts


def process(conn: db.Conn, run_id: int, settings: Settings | None = None) -> ProcessResult:
    """Process the run's pending documents as one transaction (under the load lock)."""
    result = ingest.process_run(conn, run_id, settings)
    conn.commit()
    return result


def finish(conn: db.Conn, run_id: int) -> dict[str, Any]:
    row = runs.finish_run(conn, run_id)
    conn.commit()
    return row


def ingest_inbox(
    url: str,
    ident: RunIdentity,
    inbox: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Scan, process and finish in one go (the CLI path; the DAG runs the same steps as tasks).
    The finished ``ingest_runs`` row."""
    settings = get_settings()
    with db.connect(url) as conn:
        with runs.ingest_run(conn, ident) as run_id:
            archive_inbox(conn, run_id, inbox or settings.inbox, ident, settings, progress)
            process(conn, run_id, settings)
        row = db.fetch_one(conn, "runs/by_id", {"run_id": run_id})
    assert row is not None
    return dict(row)
