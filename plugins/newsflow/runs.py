"""One ingest run's lifecycle: ``ingest_runs`` opened, counted from its outcomes, finished.

A run is opened (or re-opened by a retried task: the row is keyed by DAG id and run id) and
committed at once, so that it is visible while it works; it is finished from the states of
its documents (``document_outcomes``), so its counts are never kept by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypedDict

from newsflow import db
from newsflow.db import Conn
from newsflow.jsonutil import as_json
from newsflow.settings import get_settings
from newsflow.validate import EXAMPLES_KEPT

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

log = logging.getLogger(__name__)


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
    """Open the run's ``ingest_runs`` row (a retried task finds the same row); its id.
    Runs that died without finishing are closed as abandoned on the way (see
    :func:`abandon_dead_runs`), and the documents an earlier try of this run died in are
    tallied (``runs/count_earlier_tries``)."""
    value = db.fetch_value(conn, "runs/start_run", dict(ident))
    assert value is not None
    abandon_dead_runs(conn, int(value))
    db.execute(conn, "runs/count_earlier_tries", {"run_id": int(value)})
    return int(value)


def abandon_dead_runs(conn: Conn, by_run: int) -> dict[str, int]:
    """Close runs that show no sign of life for ``NEWSFLOW_RUN_ABANDON_AFTER`` seconds as
    'abandoned', saying when and why, and release their pending documents (a process killed
    with ``kill -9`` or a lost worker never finishes its run). Counts of runs and documents."""
    after = get_settings().run_abandon_after_s
    row = db.fetch_one(conn, "runs/abandon_dead_runs", {"by_run": by_run, "after_s": after})
    return {"runs": int(row["runs"]), "documents": int(row["documents"])} if row else {}


def fail_run(conn: Conn, run_id: int, detail: str) -> None:
    """Close the run as failed, saying why (does not commit)."""
    db.execute(conn, "runs/fail_run", {"run_id": run_id, "detail": detail})


def resume(conn: Conn, run_id: int, first_id: int, last_id: int) -> int:
    """The run's work goes on (a chunk starts): if the run was closed as abandoned meanwhile,
    it is running again and the chunk's documents it left are pending again (those no later
    run took up). Does not commit; how many documents came back."""
    db.execute(conn, "runs/resume_run", {"run_id": run_id})
    cursor = conn.execute(
        db.sql("runs/resume_documents"),
        {"run_id": run_id, "first_id": first_id, "last_id": last_id},
    )
    return cursor.rowcount


def heartbeat(conn: Conn, run_id: int) -> None:
    """The run is alive: a unit of its work is done (committed with it by the caller)."""
    db.execute(conn, "runs/heartbeat", {"run_id": run_id})


def finish_run(conn: Conn, run_id: int) -> dict[str, Any]:
    """Count the run's outcomes into its row and close it; the row."""
    row = db.fetch_one(conn, "runs/finish_run", {"run_id": run_id})
    assert row is not None
    return dict(row)


def merge_validation(conn: Conn, run_id: int, summary: dict[str, Any]) -> None:
    """Add one chunk's great-expectations summary to the run's (``ingest_runs.validation``):
    rows evaluated and failed are summed, each expectation's unexpected count too."""
    before = db.fetch_value(conn, "runs/validation", {"run_id": run_id})
    db.execute(
        conn,
        "runs/set_validation",
        {"run_id": run_id, "validation": as_json(combine_validation(before, summary))},
    )


def combine_validation(before: dict[str, Any] | None, summary: dict[str, Any]) -> dict[str, Any]:
    if not before:
        return dict(summary)
    merged = {**before, **{k: v for k, v in summary.items() if k not in before}}
    merged["success"] = bool(before.get("success", True)) and bool(summary.get("success", True))
    for count in ("evaluated", "failed_rows"):
        merged[count] = int(before.get(count) or 0) + int(summary.get(count) or 0)
    by_name = {(e["expectation"], e["column"]): dict(e) for e in before.get("expectations") or []}
    for e in summary.get("expectations") or []:
        name = (e["expectation"], e["column"])
        if name in by_name:
            kept = by_name[name]
            kept["unexpected_count"] += e["unexpected_count"]
            kept["success"] = kept["success"] and e["success"]
            kept["examples"] = (kept.get("examples") or []) + (e.get("examples") or [])
            kept["examples"] = kept["examples"][:EXAMPLES_KEPT]
        else:
            by_name[name] = dict(e)
    merged["expectations"] = list(by_name.values())
    return merged


def set_acquisition(conn: Conn, run_id: int, counts: dict[str, int]) -> None:
    """What acquisition saw: entries, their archive states, and what it skipped on purpose."""
    db.execute(conn, "runs/set_acquisition", {"run_id": run_id, "acquisition": as_json(counts)})


@contextmanager
def ingest_run(conn: Conn, ident: RunIdentity, *, finish: bool = True) -> Iterator[int]:
    """The run's lifecycle for a caller that owns the connection: open the run and commit it,
    yield its id for the work (which commits its own units), then finish the run and commit.
    With ``finish=False`` a later step (an Airflow ``report`` task) finishes it."""
    run_id = start_run(conn, ident)
    conn.commit()
    try:
        yield run_id
    except BaseException as exc:
        # the row says the run failed (not 'running' until taken for dead, nor a later
        # report's 'success'); what the work committed stays
        if not (conn.closed or conn.broken):
            try:
                conn.rollback()
                fail_run(conn, run_id, f"failed: {type(exc).__name__}: {exc}"[:1000])
                conn.commit()
            except Exception as record_exc:  # the error took the connection: stays running
                log.warning("could not record that run %s failed: %s", run_id, record_exc)
        # a lost connection: the run stays 'running' until a later run closes it as abandoned
        raise
    if finish:
        conn.commit()  # the work's last unit, before the run is counted
        finish_run(conn, run_id)
        conn.commit()
