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
    monkeypatch.setenv("NEWSFLOW_CHUNK_DOCUMENTS", "16")  # after one death: chunks of one
    monkeypatch.setenv("NEWSFLOW_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("NEWSFLOW_PREPARE_PROCESSES", "1")
    for n in range(5):
        body = article_text(300 + n) + (" POISON" if n == 2 else "")
        (inbox / f"doc{n}.txt").write_text(f"Harbour story number {n}\n\n{body}\n")

    first = _round(db_url, inbox, "r1")  # the chunk of all five dies
    assert first["articles_stored"] == 0
    # chunks of one: in one process (the CLI) the chunks after the dying one wait for the next
    # run (Airflow's mapped tasks would take them in this one)
    second = _round(db_url, inbox, "r2")
    assert second["articles_stored"] == 2
    # the two not reached come first; the poisoned one died twice: given up, quarantined
    third = _round(db_url, inbox, "r3")
    assert third["articles_stored"] == 2 and third["quarantined"] == 1, third
    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert titles == {f"Harbour story number {n}" for n in (0, 1, 3, 4)}
    [held] = query(db_url, "SELECT reasons FROM news.quarantine")
    assert "gave up after 2 failed attempts" in held["reasons"][0]
    assert "chunk was being processed" in held["reasons"][0]
