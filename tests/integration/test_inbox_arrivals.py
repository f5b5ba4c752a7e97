"""A run that takes only new arrivals (what the inbox watcher starts) reads what arrived and
nothing else, and never skips a file whose document is not settled."""

from __future__ import annotations

import os
import time
from pathlib import Path

from newsflow import db, jobs, runs
from newsflow.settings import get_settings
from tests.integration.helpers import article_text, query


def _write(inbox: Path, name: str, seed: int, *, settled: bool = True) -> None:
    """A file as the watcher reports it: written, then still (its time a while back)."""
    path = inbox / name
    path.write_text(f"Headline number {seed}\n\n{article_text(seed)}\n")
    if settled:
        past = time.time() - 10
        os.utime(path, (past, past))


def test_a_new_arrivals_run_reads_only_what_arrived(db_url: str, inbox: Path) -> None:
    for n in range(5):
        _write(inbox, f"old-{n}.txt", n)
    first = jobs.ingest_inbox(db_url, runs.identity("t", "full"))
    assert first["articles_stored"] == 5

    # nothing arrived: the run reads no file and records nothing
    idle = jobs.ingest_inbox(db_url, runs.identity("t", "idle"), only_new=True)
    assert idle["acquisition"]["unchanged_skipped"] == 5
    assert idle["acquisition"]["entries"] == 0 and idle["documents_seen"] == 0

    # one arrives, one is rewritten in place, one is renamed in from elsewhere
    _write(inbox, "new.txt", 10)
    _write(inbox, "old-0.txt", 11)
    os.utime(inbox / "old-0.txt", ns=(1, 1_000_000_000))  # even with an older time
    outside = inbox.parent / "outside.txt"
    _write(outside.parent, "outside.txt", 12)
    os.replace(outside, inbox / "moved.txt")
    taken = jobs.ingest_inbox(db_url, runs.identity("t", "arrivals"), only_new=True)
    seen = {
        r["locator"]
        for r in query(
            db_url,
            "SELECT locator FROM news.document_sightings WHERE run_id = %s",
            (taken["id"],),
        )
    }
    assert seen == {"new.txt", "old-0.txt", "moved.txt"}
    assert taken["articles_stored"] + taken["articles_updated"] == 3

    # a full (manual) run still reads everything, as before
    full = jobs.ingest_inbox(db_url, runs.identity("t", "full-again"))
    assert full["acquisition"]["entries"] == 7
    assert full["documents_new"] == 0


def test_a_file_archived_but_never_settled_is_taken_again(db_url: str, inbox: Path) -> None:
    """A run that died after archiving: its file is not 'known' to a new-arrivals run until
    its document settles."""
    _write(inbox, "a.txt", 1)
    settings = get_settings()
    ident = runs.identity("t", "died")
    with db.connect(db_url) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        jobs.archive_inbox(conn, run_id, inbox, ident, settings)  # archived, not processed
    again = jobs.ingest_inbox(db_url, runs.identity("t", "next"), only_new=True)
    assert again["acquisition"]["unchanged_skipped"] == 0
    assert again["articles_stored"] == 1
    assert query(db_url, "SELECT count(*) AS n FROM news.articles")[0]["n"] == 1


def test_a_file_still_being_written_waits_for_the_next_arrivals_run(
    db_url: str, inbox: Path
) -> None:
    """The watcher fired for one file; another is still being written in place: the run
    leaves it (its half would be stored, and the whole file taken for its duplicate)."""
    _write(inbox, "done.txt", 21)
    _write(inbox, "growing.txt", 22, settled=False)
    first = jobs.ingest_inbox(db_url, runs.identity("t", "arrivals-1"), only_new=True)
    assert first["acquisition"]["being_written_skipped"] == 1
    assert first["articles_stored"] == 1
    past = time.time() - 10  # the writer is done: the watcher saw it still, and fires
    os.utime(inbox / "growing.txt", (past, past))
    second = jobs.ingest_inbox(db_url, runs.identity("t", "arrivals-2"), only_new=True)
    assert second["acquisition"]["being_written_skipped"] == 0
    assert second["articles_stored"] == 1
    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert titles == {"Headline number 21", "Headline number 22"}
