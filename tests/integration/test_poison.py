"""A document that kills the process working on it (a parser crash, the OOM killer) holds back
none of its neighbours and is not tried for ever."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from newsflow import db, extract, jobs, runs
from newsflow.settings import get_settings
from tests.integration.helpers import article_text, query


def _round(db_url: str, inbox: Path, name: str) -> dict[str, Any]:
    """One run: archive in this process, process in a child that dies (as a segfault or
    kill -9 would) on the poisoned document, then close the run as its report task does."""
    settings = get_settings()
    ident = runs.identity("t", name)
    with db.connect(db_url) as conn:
        run_id = runs.start_run(conn, ident)
        conn.commit()
        jobs.archive_inbox(conn, run_id, inbox, ident, settings)
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            original = extract.extract_text

            def crashing(text: str, **kwargs: Any):  # noqa: ANN202
                if "POISON" in text:
                    os._exit(137)
                return original(text, **kwargs)

            extract.extract_text = crashing
            with db.connect(db_url) as conn:
                jobs.process(conn, run_id, settings)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    with db.connect(db_url) as conn:
        row = runs.finish_run(conn, run_id)
        conn.commit()
    return row


def test_a_document_that_kills_its_worker_costs_no_neighbour_and_ends_in_quarantine(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the default chunk size: the first death isolates the chunk's documents into small
    chunks, the second the killer alone; only deaths alone count as its attempts, so none of
    its 19 neighbours is charged (with NEWSFLOW_MAX_ATTEMPTS=1, a charge quarantines)."""
    monkeypatch.setenv("NEWSFLOW_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("NEWSFLOW_PREPARE_PROCESSES", "1")
    for n in range(20):
        body = article_text(300 + n) + (" POISON" if n == 2 else "")
        (inbox / f"doc{n:02d}.txt").write_text(f"Harbour story number {n}\n\n{body}\n")

    assert _round(db_url, inbox, "r1")["articles_stored"] == 0  # one chunk of 20 dies
    # then chunks of 15 and fewer, then each of those that died twice alone (in id order, in
    # one process: what follows a death waits for the next run; Airflow's mapped tasks take
    # it at once), until the killer, having died alone, is given up at the archive
    rounds = []
    for n in range(2, 7):
        rounds.append(_round(db_url, inbox, f"r{n}"))
        if rounds[-1]["quarantined"]:
            break
    assert rounds[-1]["quarantined"] == 1 and len(rounds) <= 4, rounds
    assert sum(r["articles_stored"] for r in rounds) == 19
    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert titles == {f"Harbour story number {n}" for n in range(20) if n != 2}
    [held] = query(db_url, "SELECT reasons FROM news.quarantine")
    assert "gave up after 1 failed attempts" in held["reasons"][0]
    assert "processing this document alone" in held["reasons"][0]


def test_a_chunk_that_raises_is_no_death_and_charges_nothing(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk that raises (a lock timeout, an error, Ctrl-C) unwinds: its documents are
    neither isolated nor charged an attempt, however often it happens."""
    from newsflow import ingest

    monkeypatch.setenv("NEWSFLOW_MAX_ATTEMPTS", "1")
    (inbox / "doc.txt").write_text("Harbour story\n\n" + article_text(400) + "\n")
    for attempt in range(3):
        with monkeypatch.context() as patched:
            patched.setattr(ingest, "process_chunk", _interrupted)
            with pytest.raises(KeyboardInterrupt):
                jobs.ingest_inbox(db_url, runs.identity("t", f"ctrl-c-{attempt}"), inbox=inbox)
    row = jobs.ingest_inbox(db_url, runs.identity("t", "after"), inbox=inbox)
    assert row["articles_stored"] == 1 and row["quarantined"] == 0, row


def _interrupted(*args: Any, **kwargs: Any) -> None:
    raise KeyboardInterrupt("operator pressed Ctrl-C")


def test_clearing_the_same_run_sets_the_killer_apart_too(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator clears the failed Airflow run of a day (the same run, tried again): only a
    run of the same day sees its files again. Each try planned the same chunk of 20 from
    scratch, died in it, and the killer's death alone was erased when the row was reopened."""
    monkeypatch.setenv("NEWSFLOW_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("NEWSFLOW_PREPARE_PROCESSES", "1")
    for n in range(20):
        body = article_text(600 + n) + (" POISON" if n == 7 else "")
        (inbox / f"doc{n:02d}.txt").write_text(f"Pier story number {n}\n\n{body}\n")
    tries = [_round(db_url, inbox, "scheduled__2026-11-18") for _ in range(6)]
    assert tries[-1]["quarantined"] == 1, tries
    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert titles == {f"Pier story number {n}" for n in range(20) if n != 7}


class AirflowTaskTimeout(BaseException):  # noqa: N818 - named as Airflow's, as the library sees it
    """What Airflow raises in a task past its execution_timeout (the library does not import
    Airflow: it knows the exception by name)."""


def test_a_chunk_that_times_out_is_as_one_that_died(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document that hangs the parser ends its task by Airflow's timeout, an exception: it
    cleared the mark as Ctrl-C does, and the document was tried for ever in its full chunk."""
    from newsflow import ingest

    monkeypatch.setenv("NEWSFLOW_MAX_ATTEMPTS", "1")
    (inbox / "doc.txt").write_text("Harbour story\n\n" + article_text(401) + "\n")

    def hangs(*args: Any, **kwargs: Any) -> None:
        raise AirflowTaskTimeout("Timeout, PID: 4242")

    with monkeypatch.context() as patched:
        patched.setattr(ingest, "process_chunk", hangs)
        with pytest.raises(AirflowTaskTimeout):
            jobs.ingest_inbox(db_url, runs.identity("t", "timed-out"), inbox=inbox)
    row = jobs.ingest_inbox(db_url, runs.identity("t", "after"), inbox=inbox)
    assert row["quarantined"] == 1 and row["articles_stored"] == 0, row
