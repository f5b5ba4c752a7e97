"""One ingest run's lifecycle: ``ingest_runs`` opened, counted from its outcomes, finished.

A run is opened (or re-opened by a retried task: the row is keyed by DAG id and run id) and
committed at once, so that it is visible while it works; it is finished from the states of
its documents (``document_outcomes``), so its counts are never kept by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypedDict

from newsflow import db
from newsflow.db import Conn
from newsflow.jsonutil import as_json

# The per-run counts of ingest_runs, in the order summaries print them.
RUN_COUNTS = (
    "documents_seen",
    "documents_new",
    "articles_stored",
    "articles_updated",
    "duplicates",
    "quarantined",
    "failed",
)


class RunIdentity(TypedDict):
    """Who runs: the DAG (or CLI command), its run id, and the [start, end) interval it owns
    (both None: everything not yet processed)."""

    dag_id: str
    run_id: str
    logical_date: datetime | None
    interval_start: datetime | None
    interval_end: datetime | None


def identity(
    dag_id: str,
    run_id: str,
    *,
    logical_date: datetime | None = None,
    interval_start: datetime | None = None,
    interval_end: datetime | None = None,
) -> RunIdentity:
    return RunIdentity(
        dag_id=dag_id,
        run_id=run_id,
        logical_date=logical_date,
        interval_start=interval_start,
        interval_end=interval_end,
    )


def start_run(conn: Conn, ident: RunIdentity) -> int:
    """Open the run's ``ingest_runs`` row (a retried task finds the same row); its id."""
    value = db.fetch_value(conn, "runs/start_run", dict(ident))
    assert value is not None
    return int(value)


def finish_run(conn: Conn, run_id: int) -> dict[str, Any]:
    """Count the run's outcomes into its row and close it; the row."""
    row = db.fetch_one(conn, "runs/finish_run", {"run_id": run_id})
    assert row is not None
    return dict(row)


def set_validation(conn: Conn, run_id: int, summary: dict[str, Any]) -> None:
    db.execute(conn, "runs/set_validation", {"run_id": run_id, "validation": as_json(summary)})


@contextmanager
def ingest_run(conn: Conn, ident: RunIdentity, *, finish: bool = True) -> Iterator[int]:
    """The run's lifecycle for a caller that owns the connection: open the run and commit it,
    yield its id for the work (which commits its own units), then finish the run and commit.
    With ``finish=False`` a later step (an Airflow ``report`` task) finishes it."""
    run_id = start_run(conn, ident)
    conn.commit()
    yield run_id
    if finish:
        conn.commit()  # the work's last unit, before the run is counted
        finish_run(conn, run_id)
        conn.commit()
