"""What ``ingest_runs`` says of a run whose work waited too long or whose acquisition failed:
the state an operator reads, and the quality gate that holds the run against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsflow import db, ingest, jobs, quality, runs
from newsflow.settings import get_settings
from tests.integration.helpers import article_text, query


def _scan(db_url: str, inbox: Path, name: str) -> tuple[int, list[ingest.ChunkRef]]:
    """What the ``scan_inbox`` task does: open the run, archive, plan its chunks."""
    settings = get_settings()
    ident = runs.identity("news_files", name)
    with db.connect(db_url) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        jobs.archive_inbox(conn, run_id, inbox, ident, settings)
        chunks = ingest.plan_chunks(conn, run_id, settings)
    return run_id, chunks


def _write(inbox: Path, count: int) -> None:
    for n in range(count):
        (inbox / f"story-{n}.txt").write_text(f"Harbour story {n}\n\n{article_text(60 + n)}")


def test_a_run_taken_for_dead_while_its_chunks_waited_processes_them_when_they_run(
    db_url: str, inbox: Path
) -> None:
    """Only chunk processing shows that a run is alive: chunks that waited in the queue
    longer than NEWSFLOW_RUN_ABANDON_AFTER had their documents released by another run's
    start, then found nothing to do, and the run was reported a success with nothing stored."""
    _write(inbox, 3)
    run_id, chunks = _scan(db_url, inbox, "scheduled-1")
    with db.connect(db_url) as conn:
        conn.execute(
            "UPDATE news.ingest_runs SET heartbeat_at = now() - interval '4 hours' WHERE id = %s",
            (run_id,),
        )
        conn.commit()
        runs.start_run(conn, runs.identity("news_events", "other-dag"))  # closes it
        conn.commit()
    [status] = query(
        db_url, "SELECT status FROM news.ingest_runs WHERE id = %(id)s", {"id": run_id}
    )
    assert status["status"] == "abandoned"

    with db.connect(db_url) as conn:
        jobs.process_chunks(conn, chunks)  # the waiting process tasks run
        row = jobs.finish(conn, run_id)
        gate = quality.check(conn, run_id)
    assert (row["status"], row["articles_stored"]) == ("success", 3)
    assert "resumed at" in row["status_detail"]
    assert not gate.problems


def test_documents_a_run_never_processed_make_it_incomplete_and_fail_the_gate(
    db_url: str, inbox: Path
) -> None:
    _write(inbox, 2)
    run_id, _ = _scan(db_url, inbox, "scheduled-1")
    with db.connect(db_url) as conn:
        conn.execute(
            "UPDATE news.document_outcomes SET state = 'abandoned' WHERE run_id = %s", (run_id,)
        )
        row = jobs.finish(conn, run_id)
        gate = quality.check(conn, run_id)
    assert row["status"] == "incomplete"
    assert any("2 documents were not processed" in p for p in gate.problems), gate.problems


def test_a_failed_acquisition_leaves_the_run_failed_through_the_report(
    db_url: str, tmp_path: Path
) -> None:
    """The scan raised after the run was opened: the row stayed 'running' (the CLI), or the
    report task (it runs whatever happened upstream) called it a success with no documents."""
    with pytest.raises(FileNotFoundError):
        _scan(db_url, tmp_path / "no-such-inbox", "scheduled-1")
    [row] = query(db_url, "SELECT id, status, status_detail, finished_at FROM news.ingest_runs")
    assert row["status"] == "failed" and row["finished_at"] is not None
    assert row["status_detail"].startswith("failed: FileNotFoundError")
    with db.connect(db_url) as conn:
        assert jobs.finish(conn, row["id"])["status"] == "failed"  # the report task
        gate = quality.check(conn, row["id"])
    assert gate.problems and gate.problems[0].startswith("the run failed: FileNotFoundError")

    # a retry of the task re-opens the run: running, without the old end
    with db.connect(db_url) as conn:
        runs.start_run(conn, runs.identity("news_files", "scheduled-1"))
        conn.commit()
    [row] = query(db_url, "SELECT status, status_detail, finished_at FROM news.ingest_runs")
    assert (row["status"], row["status_detail"], row["finished_at"]) == ("running", None, None)


def test_a_run_that_failed_after_archiving_releases_its_documents(db_url: str, inbox: Path) -> None:
    """A failed run is never abandoned (only running ones are): the documents it had queued
    stayed pending in it for good, and the inbox scan and the feeds sweep leave documents
    another run holds pending alone."""
    _write(inbox, 2)
    settings = get_settings()
    ident = runs.identity("news_files", "scheduled-1")
    with (
        pytest.raises(RuntimeError),
        db.connect(db_url) as conn,
        runs.ingest_run(conn, ident, finish=False) as run_id,
    ):
        jobs.archive_inbox(conn, run_id, inbox, ident, settings)
        conn.commit()
        raise RuntimeError("the feeds registry could not be read")
    states = query(db_url, "SELECT state, detail FROM news.document_outcomes")
    assert [s["state"] for s in states] == ["abandoned", "abandoned"]
    assert states[0]["detail"] == "the run failed before this document was processed"
    later = jobs.ingest_inbox(db_url, runs.identity("news_files", "scheduled-2"), inbox=inbox)
    assert later["articles_stored"] == 2
