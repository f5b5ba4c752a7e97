"""The seed-file pipeline against a real Postgres (no scheduler): issue 2's guarantees."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from newsflow import jobs, runs
from tests.integration.helpers import article_text, query, snapshot

TAKEAWAY_START = "The rebel offensive represents a significant shift"
TITLE_001 = "Syrian Rebels Advance Towards Homs, Threatening Damascus"


def ingest(url: str, inbox: Path, run: str) -> dict:
    return jobs.ingest_inbox(url, runs.identity("test", run), inbox=inbox)


@pytest.fixture
def seeded_inbox(inbox: Path, seeds_dir: Path) -> Path:
    for path in sorted(seeds_dir.glob("*.txt")):
        shutil.copy(path, inbox / path.name)
    return inbox


def test_seeds_become_five_clean_articles(db_url: str, seeded_inbox: Path) -> None:
    run = ingest(db_url, seeded_inbox, "r1")
    assert run["status"] == "success"
    assert run["articles_stored"] == 5, run
    assert run["duplicates"] == 0 and run["quarantined"] == 0 and run["failed"] == 0
    rows = query(
        db_url,
        "SELECT r.locator, a.* FROM news.articles a JOIN news.raw_documents r "
        "ON r.id = a.raw_document_id ORDER BY r.locator",
    )
    assert len(rows) == 5
    by_file = {r["locator"][:3]: r for r in rows}
    assert by_file["001"]["title"] == TITLE_001
    assert by_file["001"]["title_derived"] is False
    assert len(by_file["001"]["summary_points"]) == 7
    assert by_file["001"]["summary_points"][0].startswith(TAKEAWAY_START)
    for r in rows:
        text = r["text"]
        assert "Comments (0)" not in text
        assert "\\”" not in text and '\\"' not in text and "\\’" not in text and "\\'" not in text
        assert TAKEAWAY_START not in text
        assert "Sources:" not in text
        assert 10 <= len(r["title"]) <= 120, r["title"]
        assert not r["title"].endswith((",", ";", ":")), r["title"]
        assert "\n" not in r["title"]
        assert r["language"] == "en"
        assert r["word_count"] > 200
    sources = by_file["002"]["cited_sources"]
    assert len(sources) == 4
    assert any("Reuters" in s for s in sources)
    assert all("\\" not in s for s in sources)
    assert "AP News" not in by_file["002"]["text"]
    # Heading lines inside the body stay paragraphs of their own.
    assert "\n\nRebel Gains Mark Turning Point\n\n" in by_file["002"]["text"]


def test_second_ingest_changes_no_row(db_url: str, seeded_inbox: Path) -> None:
    ingest(db_url, seeded_inbox, "r1")
    before = snapshot(db_url)
    second = ingest(db_url, seeded_inbox, "r2")
    assert snapshot(db_url) == before
    assert second["documents_seen"] == 5 and second["documents_new"] == 0
    assert second["articles_stored"] == 0
    states = query(
        db_url,
        "SELECT state, count(*) AS n FROM news.document_outcomes o JOIN news.ingest_runs r "
        "ON r.id = o.run_id WHERE r.run_id = 'r2' GROUP BY state",
    )
    assert states == [{"state": "already-ingested", "n": 5}]


_SEEDS = {
    "Crews": 1,
    "Council": 2,
    "Café owners": 3,
    "Passengers": 4,
    "Ships": 5,
    "Time travellers": 6,
    "Link": 7,
}


def _article(name: str) -> str:
    return f"{name} report. " + article_text(_SEEDS[name])


def test_exact_duplicates_are_recorded_not_stored(db_url: str, inbox: Path) -> None:
    body = "Harbour Works Begin In Port Ellis\n\n" + _article("Crews")
    (inbox / "a.txt").write_text(body)
    (inbox / "b.txt").write_text(body.replace(". ", ".  ") + "\n\n\n")  # same text, other bytes
    lines = [
        {
            "url": "https://news-example.com/story?utm_source=x",
            "title": "Bridge vote",
            "text": _article("Council"),
            "published_at": "2026-11-10T08:00:00Z",
            "source": "Example News",
        },
        {
            "url": "https://NEWS-example.com/story",
            "title": "Bridge vote (update)",
            "text": _article("Council") + " Extra line.",
            "published_at": "2026-11-10T09:00:00Z",
            "source": "Example News",
        },
    ]
    (inbox / "c.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    run = ingest(db_url, inbox, "r1")
    assert run["articles_stored"] == 2 and run["duplicates"] == 2, run
    dups = query(
        db_url, "SELECT method, duplicate_of, score FROM news.article_duplicates ORDER BY method"
    )
    assert [d["method"] for d in dups] == ["content-hash", "url"]
    assert query(db_url, "SELECT count(*) AS n FROM news.articles")[0]["n"] == 2


def test_different_articles_under_one_url_are_both_stored(db_url: str, inbox: Path) -> None:
    """A query parameter that names the page is kept (``gameId`` was dropped as a tracker, so
    two recaps had one URL), and a record whose URL another article holds with a text it
    shares nothing with (an export that gives every record the section's URL) is stored
    without that URL instead of being recorded as the other's duplicate."""
    lines = [
        {"url": f"https://sports-example.com/recap?gameId=4015851{n}&utm_source=rss",
         "title": title, "text": article_text(seed), "source": "Sports Example"}
        for n, title, seed in ((23, "Celtics beat Knicks", 41), (24, "Nuggets edge Suns", 42))
    ] + [
        {"url": "https://news-example.com/local", "title": title, "text": article_text(seed),
         "source": "Example News"}
        for title, seed in (("Library reopens", 43), ("Ferry fares rise", 44))
    ]  # fmt: skip
    (inbox / "export.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    run = ingest(db_url, inbox, "r1")
    assert run["articles_stored"] == 4 and run["duplicates"] == 0, run
    rows = query(db_url, "SELECT title, canonical_url, repairs FROM news.articles ORDER BY item_no")
    assert [r["canonical_url"] for r in rows] == [
        "https://sports-example.com/recap?gameId=401585123",
        "https://sports-example.com/recap?gameId=401585124",
        "https://news-example.com/local",
        None,
    ]
    assert any(r.startswith("canonical_url-dropped: article") for r in rows[3]["repairs"])
    before = snapshot(db_url)
    ingest(db_url, inbox, "r2")  # a re-run changes nothing
    assert snapshot(db_url) == before


def test_bad_inputs_are_quarantined_and_nothing_stored_changes(
    db_url: str, seeded_inbox: Path, tmp_path: Path
) -> None:
    ingest(db_url, seeded_inbox, "r1")
    before = snapshot(db_url, ("articles", "article_duplicates", "minhash_bands", "sources"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    # Mostly UTF-8 (curly quotes) with one stray Latin-1 byte: invalid UTF-8, repaired.
    mixed = (
        "Harbour Council Approves New Ferry Terminal\n\nThe council’s “yes” vote. "
        + _article("Café owners")
    ).encode("utf-8")
    (bad / "latin.txt").write_bytes(mixed.replace("é".encode(), b"\xe9", 1))
    with (bad / "huge.txt").open("wb") as handle:
        handle.write(b"word " * (20 * 1024 * 1024 // 5))
    good = {
        "title": "Tram line opens",
        "text": _article("Passengers"),
        "source": "Metro Daily",
        "url": "https://metro-daily.com/tram",
    }
    (bad / "feed.jsonl").write_text(
        json.dumps(good) + "\n" + '{"title": "broken", "text": "unterminated\n'
    )

    run = ingest(db_url, bad, "r2")
    assert run["status"] == "success"
    quarantine = query(
        db_url,
        "SELECT r.locator, q.item_no, q.stage, q.reasons FROM news.quarantine q "
        "JOIN news.raw_documents r ON r.id = q.raw_document_id ORDER BY r.locator",
    )
    by_file = {(q["locator"], q["item_no"]): q for q in quarantine}
    assert set(by_file) == {("empty.txt", 0), ("binary.txt", 0), ("huge.txt", 0), ("feed.jsonl", 2)}
    assert "empty" in by_file[("empty.txt", 0)]["reasons"][0].lower()
    assert "binary" in by_file[("binary.txt", 0)]["reasons"][0].lower()
    assert "MB" in by_file[("huge.txt", 0)]["reasons"][0]
    assert by_file[("feed.jsonl", 2)]["reasons"][0].startswith("line 2:")
    repaired = query(
        db_url, "SELECT title, repairs, text FROM news.articles WHERE title LIKE 'Harbour Council%'"
    )
    assert len(repaired) == 1
    assert any("invalid-utf8" in r for r in repaired[0]["repairs"])
    assert (
        query(db_url, "SELECT count(*) AS n FROM news.articles WHERE title = 'Tram line opens'")[0][
            "n"
        ]
        == 1
    )
    huge = query(
        db_url,
        "SELECT body, body_stored, size_bytes FROM news.raw_documents WHERE locator = 'huge.txt'",
    )[0]
    assert huge["body"] is None and huge["body_stored"] is False and huge["size_bytes"] > 20_000_000
    after = snapshot(db_url, ("articles", "article_duplicates", "minhash_bands", "sources"))
    for table, rows in before.items():
        missing = [row for row in rows if row not in after[table]]
        assert not missing, f"{table} lost or changed rows: {missing[:1]}"
    outcomes = query(
        db_url,
        "SELECT state, count(*) AS n FROM news.document_outcomes o JOIN news.ingest_runs r ON r.id = o.run_id WHERE r.run_id = 'r2' GROUP BY state ORDER BY state",
    )
    assert {o["state"]: o["n"] for o in outcomes} == {"quarantined": 4, "stored": 2}


def test_validation_failures_keep_reasons_and_summary(db_url: str, inbox: Path) -> None:
    rows = [
        {"title": "Fine article", "text": _article("Ships"), "url": "https://ok-news.com/a"},
        {"title": "Too short", "text": "Only a sentence."},
        {
            "title": "From the future",
            "text": _article("Time travellers"),
            "published_at": "2031-01-01T00:00:00Z",
        },
        {"title": "Bad URL", "text": _article("Link"), "url": "javascript:alert(1)"},
    ]
    (inbox / "v.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    run = ingest(db_url, inbox, "r1")
    # A broken article (too short) is quarantined; a broken field (a date in the future, a
    # javascript: URL) is dropped and the article stored with the repair recorded (issue 11).
    assert run["articles_stored"] == 3 and run["quarantined"] == 1, run
    reasons = {
        q["item_no"]: " ".join(q["reasons"])
        for q in query(
            db_url, "SELECT item_no, reasons FROM news.quarantine WHERE stage = 'validate'"
        )
    }
    assert set(reasons) == {2}
    assert "text length is 16 characters" in reasons[2]
    assert "np." not in reasons[2] and "[" not in reasons[2]
    stored = {
        a["title"]: a
        for a in query(db_url, "SELECT title, url, published_at, repairs FROM news.articles")
    }
    future = stored["From the future"]
    assert future["published_at"] is None
    assert any(r.startswith("date-dropped:jsonl: 2031-01-01") for r in future["repairs"])
    bad_url = stored["Bad URL"]
    assert bad_url["url"] is None
    assert any(r.startswith("url-dropped:") for r in bad_url["repairs"])
    validation = query(db_url, "SELECT validation FROM news.ingest_runs")[0]["validation"]
    assert validation["success"] is False and validation["evaluated"] == 4
    assert validation["failed_rows"] == 1
    # the impossible date was already dropped at extraction (JSONL dates are resolved there)
    assert validation["field_repairs"] == {"url-dropped": 1}
