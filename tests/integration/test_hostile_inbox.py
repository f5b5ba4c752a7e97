"""A hostile inbox (tests/hostile.py): every entry is accounted for, every good document
lands, nothing outside the inbox is read, and a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsflow import jobs, runs
from tests.hostile import build
from tests.integration.helpers import query, snapshot


@pytest.mark.parametrize("seed", [1, 2])
def test_hostile_inbox_is_accounted_for_and_every_good_document_lands(
    db_url: str, tmp_path: Path, seed: int
) -> None:
    inbox = tmp_path / "inbox"
    made = build(inbox, seed)
    run = jobs.ingest_inbox(db_url, runs.identity("fuzz", f"r{seed}"), inbox=inbox)

    # every good document became an article (nothing lost to a neighbour's poison)
    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert made.good_titles <= titles, made.good_titles - titles

    # every entry has a sighting; hidden ones are counted, not silently dropped
    sightings = query(
        db_url, "SELECT locator FROM news.document_sightings WHERE run_id = %s", (run["id"],)
    )
    assert len(sightings) == made.entries
    assert "b-\\xe9-latin1-name.txt" in {s["locator"] for s in sightings}
    acquisition = run["acquisition"]
    assert acquisition["hidden_skipped"] == made.hidden
    assert acquisition["entries"] == made.entries

    # every document of the run ended in a final state: none pending, none failed
    states = query(
        db_url,
        "SELECT state, count(*) AS n FROM news.document_outcomes WHERE run_id = %s GROUP BY 1",
        (run["id"],),
    )
    by_state = {s["state"]: s["n"] for s in states}
    assert set(by_state) <= {"stored", "duplicate", "quarantined", "already-ingested"}, by_state
    assert run["status"] == "success" and run["failed"] == 0

    # refusals are recorded at acquire with a sentence, and the secret was never archived
    refused = query(
        db_url,
        "SELECT r.locator, q.reasons FROM news.quarantine q "
        "JOIN news.raw_documents r ON r.id = q.raw_document_id WHERE q.stage = 'acquire'",
    )
    refused_names = {r["locator"] for r in refused}
    assert {"link-out.txt", "dangling.txt", "pipe.txt", "folder.txt"} <= refused_names
    assert made.outside is not None
    secret = made.outside.read_bytes()
    bodies = query(
        db_url, "SELECT size_bytes FROM news.raw_documents WHERE size_bytes = %s", (len(secret),)
    )
    assert bodies == []
    for row in query(db_url, "SELECT reasons, record FROM news.quarantine"):
        assert "SECRET" not in str(row)
        for reason in row["reasons"]:
            assert "np.int64" not in reason and "b'" not in reason, reason

    # the JSONL poison lines are quarantined one by one, with readable reasons
    reasons = " ".join(
        str(r["reasons"]) for r in query(db_url, "SELECT reasons FROM news.quarantine")
    )
    assert "nested too deeply" in reasons or "could not be read" in reasons

    before = snapshot(db_url)
    again = jobs.ingest_inbox(db_url, runs.identity("fuzz", f"again{seed}"), inbox=inbox)
    assert again["status"] == "success" and again["articles_stored"] == 0
    assert snapshot(db_url) == before


@pytest.mark.parametrize("repair_guard", [True, False])
def test_jsonl_lines_with_broken_fields_are_stored_with_their_repairs(
    db_url: str, tmp_path: Path, repair_guard: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken optional field costs the field, through the whole pipeline into Postgres: a
    date nobody can read, a list of authors, a number for a title, an address or a source
    name too long to be a key (Postgres could not index them). Should such a value still
    reach the database (``repair_guard`` off), the batch is split and only its document is
    quarantined at ``load``, with the database's reason: the run goes on."""
    from newsflow import validate

    if not repair_guard:
        monkeypatch.setattr(validate, "MAX_SOURCE_CHARS", 10**6)
    import json
    import random

    from tests.integration.helpers import article_text

    noise = "".join(random.Random(3).choices("abcdefghijklmnopqrstuvwxyz0123456789", k=3000))
    records = [
        {"title": "Ferry timetable changes", "published_at": "yesterday", "source": "Coast News"},
        {"title": 2025, "author": ["Jane Doe", "John Roe"], "source": "Coast News"},
        {"title": "Harbour wall repaired", "url": "https://coast.example/" + noise},
        {"title": "Tram line extended", "source": noise},
    ]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    lines = [json.dumps({**r, "text": article_text(500 + i)}) for i, r in enumerate(records)]
    (inbox / "broken-fields.jsonl").write_text("\n".join(lines) + "\n")
    run = jobs.ingest_inbox(db_url, runs.identity("t", "fields"), inbox=inbox)
    if not repair_guard:
        assert run["articles_stored"] == 3 and run["quarantined"] == 1, run
        [held] = query(db_url, "SELECT stage, reasons FROM news.quarantine")
        assert held["stage"] == "load" and "index row size" in held["reasons"][0]
        return
    assert run["articles_stored"] == 4 and run["quarantined"] == 0, run
    rows = {
        r["title"]: r
        for r in query(
            db_url,
            "SELECT a.title, a.byline, a.url, a.published_at, a.repairs, s.name AS source "
            "FROM news.articles a LEFT JOIN news.sources s ON s.id = a.source_id",
        )
    }
    assert any(
        r.startswith("date-dropped:jsonl") for r in rows["Ferry timetable changes"]["repairs"]
    )
    assert rows["2025"]["byline"] == "Jane Doe, John Roe"
    assert rows["Harbour wall repaired"]["url"] is None
    assert rows["Tram line extended"]["source"] != noise
    assert any(r.startswith("source-dropped") for r in rows["Tram line extended"]["repairs"])


def test_a_refused_file_is_processed_once_its_reason_no_longer_holds(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of a type newsflow does not read, or over the size cap, is quarantined at
    acquisition; renamed to a type it reads, or under a raised cap, the same bytes are
    processed (they stayed 'already ingested' for good before), and the refusal is released."""
    from tests.integration.helpers import article_text

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "story.tx").write_text("Ferry returns to the harbour\n\n" + article_text(41))
    (inbox / "big.txt").write_text("Harbour wall rebuilt at last\n\n" + article_text(42, 60))
    monkeypatch.setenv("NEWSFLOW_MAX_DOCUMENT_BYTES", "2000")
    first = jobs.ingest_inbox(db_url, runs.identity("t", "refused"), inbox=inbox)
    assert first["articles_stored"] == 0 and first["quarantined"] == 2, first
    again = jobs.ingest_inbox(db_url, runs.identity("t", "again"), inbox=inbox)
    assert again["articles_stored"] == 0 and again["quarantined"] == 0, again  # nothing new

    (inbox / "story.tx").rename(inbox / "story.txt")
    monkeypatch.delenv("NEWSFLOW_MAX_DOCUMENT_BYTES")
    later = jobs.ingest_inbox(db_url, runs.identity("t", "later"), inbox=inbox)
    assert later["articles_stored"] == 2, later
    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert titles == {"Ferry returns to the harbour", "Harbour wall rebuilt at last"}
    assert query(db_url, "SELECT count(*) AS n FROM news.quarantine") == [{"n": 0}]
    final = jobs.ingest_inbox(db_url, runs.identity("t", "final"), inbox=inbox)
    assert final["articles_stored"] == 0 and final["quarantined"] == 0, final


def test_quarantine_by_run_names_the_file_that_run_saw(db_url: str, tmp_path: Path) -> None:
    """The archive keeps one name per bytes (the earliest); the view shows each quarantining
    run the name it saw, not a name that turned up later."""
    first, later = tmp_path / "first", tmp_path / "later"
    first.mkdir()
    later.mkdir()
    (first / "z-short.txt").write_text("Too short to be an article.\n")
    jobs.ingest_inbox(db_url, runs.identity("t", "q1"), inbox=first)
    (later / "a-short.txt").write_text("Too short to be an article.\n")
    jobs.ingest_inbox(db_url, runs.identity("t", "q2"), inbox=later)
    assert query(db_url, "SELECT locator FROM news.raw_documents") == [{"locator": "a-short.txt"}]
    rows = query(db_url, "SELECT run_id, locator FROM news.quarantine_by_run")
    assert rows == [{"run_id": "q1", "locator": "z-short.txt"}]
