"""Re-extraction from the raw archive with a new extractor version."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from newsflow import db, extract, jobs, reprocess, runs
from tests.integration.helpers import query


def test_new_extractor_version_updates_text_and_keeps_the_old(
    db_url: str, inbox: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    with db.connect(db_url) as conn:
        jobs.cluster_pending(conn)
    before = {r["id"]: r for r in query(db_url, "SELECT * FROM news.articles")}
    event_before = query(db_url, "SELECT id, article_count FROM news.events")

    # A "new extractor": a different version that also changes the text it produces.
    original = extract.extract_text
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "2099.1")

    def upgraded(text: str, **kwargs: Any):
        ex = original(text, **kwargs)
        ex.text = ex.text.replace("Assad", "al-Assad")
        return ex

    monkeypatch.setattr(extract, "extract_text", upgraded)
    with db.connect(db_url) as conn:
        run_id = runs.start_run(conn, runs.identity("news_reprocess", "rp1"))
        conn.commit()
        counts = reprocess.reprocess(conn, run_id, reprocess.Selection())
        summary = runs.finish_run(conn, run_id)
        conn.commit()
    changed = [a for a in before.values() if "Assad" in a["text"]]
    assert counts["documents"] == 5 and counts["updated"] == len(changed) > 0, counts
    assert summary["articles_updated"] == len(changed)
    after = {r["id"]: r for r in query(db_url, "SELECT * FROM news.articles")}
    assert set(after) == set(before)  # same articles, no new ones
    for article_id, old in before.items():
        new = after[article_id]
        if "Assad" in old["text"]:
            assert new["version"] == 2 and new["extractor_version"] == "2099.1"
            assert new["text"] != old["text"] and new["content_hash"] != old["content_hash"]
            kept = query(
                db_url, "SELECT * FROM news.article_versions WHERE article_id = %s", (article_id,)
            )
            assert len(kept) == 1 and kept[0]["version"] == 1
            assert (
                kept[0]["text"] == old["text"]
                and kept[0]["extractor_version"] == old["extractor_version"]
            )
    # Changed articles were taken out of their event; news_events puts them back.
    assert query(db_url, "SELECT count(*) AS n FROM news.event_articles")[0]["n"] == 5 - len(
        changed
    )
    with db.connect(db_url) as conn:
        assert jobs.cluster_pending(conn)["articles"] == len(changed)
    assert query(db_url, "SELECT count(*) AS n FROM news.event_articles")[0]["n"] == 5
    assert len(query(db_url, "SELECT * FROM news.events")) == len(event_before) == 1

    # Running it again finds nothing left at another version.
    with db.connect(db_url) as conn:
        run2 = runs.start_run(conn, runs.identity("news_reprocess", "rp2"))
        conn.commit()
        again = reprocess.reprocess(conn, run2, reprocess.Selection())
        conn.commit()
    assert again["documents"] == 0 and again["updated"] == 0


def test_failed_re_extraction_keeps_the_stored_version_and_says_why(
    db_url: str, inbox: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(sorted(seeds_dir.glob("*.txt"))[0], inbox / "seed.txt")
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    before = query(db_url, "SELECT * FROM news.articles")
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "2099.2")

    def broken(text: str, **kwargs: Any):
        raise ValueError("the new extractor cannot read this layout")

    monkeypatch.setattr(extract, "extract_text", broken)
    with db.connect(db_url) as conn:
        run_id = runs.start_run(conn, runs.identity("news_reprocess", "rp"))
        conn.commit()
        counts = reprocess.reprocess(conn, run_id, reprocess.Selection())
        conn.commit()
    assert counts["kept"] == 1 and counts["updated"] == 0
    assert query(db_url, "SELECT * FROM news.articles") == before
    outcome = query(
        db_url, "SELECT state, detail FROM news.document_outcomes WHERE run_id = %s", (run_id,)
    )
    assert outcome[0]["state"] == "failed"
    assert (
        "cannot read this layout" in outcome[0]["detail"]
        and "stored version kept" in outcome[0]["detail"]
    )


def test_reprocessing_keeps_event_ids(
    db_url: str, inbox: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every seed re-extracted with a changed text: their event is retired while they wait (not
    deleted), the first of them to come back revives it, and the history says why."""
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    with db.connect(db_url) as conn:
        jobs.cluster_pending(conn)
    (event,) = query(db_url, "SELECT id, title FROM news.events")

    original = extract.extract_text
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "2099.2")

    def upgraded(text: str, **kwargs: Any):
        ex = original(text, **kwargs)
        ex.text = ex.text + "\n\nThis article was updated."
        return ex

    monkeypatch.setattr(extract, "extract_text", upgraded)
    with db.connect(db_url) as conn:
        run_id = runs.start_run(conn, runs.identity("news_reprocess", "rp1"))
        conn.commit()
        counts = reprocess.reprocess(conn, run_id, reprocess.Selection())
        conn.commit()
    assert counts["updated"] == 5, counts
    (waiting,) = query(db_url, "SELECT * FROM news.events")
    assert waiting["id"] == event["id"] and waiting["retired_at"] is not None
    assert waiting["merged_into"] is None
    out = query(db_url, "SELECT * FROM news.event_moves WHERE to_event IS NULL")
    assert len(out) == 5 and {m["from_event"] for m in out} == {event["id"]}
    assert all(m["reason"].startswith("re-extracted") for m in out)
    assert query(db_url, "SELECT count(*) AS n FROM news.event_queue")[0]["n"] == 5

    with db.connect(db_url) as conn:
        assert jobs.cluster_pending(conn)["articles"] == 5
    (back,) = query(db_url, "SELECT * FROM news.events")
    assert back["id"] == event["id"] and back["retired_at"] is None
    assert back["article_count"] == 5
    members = query(db_url, "SELECT DISTINCT event_id FROM news.event_articles")
    assert [m["event_id"] for m in members] == [event["id"]]
    assert not query(db_url, "SELECT * FROM news.event_queue")
    latest = query(db_url, "SELECT event_id FROM news.latest_events")
    assert [r["event_id"] for r in latest] == [event["id"]]
