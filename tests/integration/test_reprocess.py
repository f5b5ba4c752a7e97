"""Re-extraction from the raw archive with a new extractor version."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from newsflow import db, extract, jobs, reprocess, runs, stages
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


def _jsonl_inbox(db_url: str, inbox: Path) -> dict[str, int]:
    """Three records of two sources in one JSONL file, ingested; article id by URL."""
    import json

    from tests.integration.helpers import article_text

    records = [
        {"url": "https://a.example/ferry", "title": "Ferry cuts winter sailings",
         "text": article_text(61), "source": "Coast News"},
        {"url": "https://a.example/library", "title": "Library reopens after repairs",
         "text": article_text(62), "source": "Coast News"},
        {"url": "https://b.example/orchard", "title": "Orchard harvest comes early",
         "text": article_text(63), "source": "Valley Post"},
    ]  # fmt: skip
    (inbox / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    run = jobs.ingest_inbox(db_url, runs.identity("t", "wire"), inbox=inbox)
    assert run["articles_stored"] == 3, run
    return {r["url"]: r["id"] for r in query(db_url, "SELECT id, url FROM news.articles")}


def _reprocess(db_url: str, name: str, sel: reprocess.Selection) -> dict[str, Any]:
    with db.connect(db_url) as conn:
        run_id = runs.start_run(conn, runs.identity("news_reprocess", name))
        conn.commit()
        counts = reprocess.reprocess(conn, run_id, sel)
        runs.finish_run(conn, run_id)
        conn.commit()
    return dict(counts)


def test_jsonl_records_are_paired_by_url_not_by_line_number(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Line numbers move when the way lines are read changes (a record once cut in two at a
    U+2028): each record must update the article it made, never its neighbour's."""
    ids = _jsonl_inbox(db_url, inbox)
    before = {r["id"]: r["title"] for r in query(db_url, "SELECT id, title FROM news.articles")}
    shifted = stages.iter_jsonl_lines

    def one_line_later(text: str):  # as if an earlier line had been cut in two
        for number, line in shifted(text):
            yield number + 1, line

    monkeypatch.setattr(stages, "iter_jsonl_lines", one_line_later)
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "2099.1")
    counts = _reprocess(db_url, "shifted", reprocess.Selection())
    assert counts["updated"] == 3, counts
    after = {r["id"]: r for r in query(db_url, "SELECT id, title, url FROM news.articles")}
    assert {i: a["title"] for i, a in after.items()} == before  # nobody took another's story
    assert all(after[i]["url"] == url for url, i in ids.items())


def test_a_source_selection_leaves_the_file_s_other_records_alone(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _jsonl_inbox(db_url, inbox)
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "2099.1")
    counts = _reprocess(db_url, "valley", reprocess.Selection(sources=("Valley Post",)))
    assert counts["documents"] == 1 and counts["updated"] == 1, counts
    versions = {
        r["id"]: r["extractor_version"]
        for r in query(db_url, "SELECT id, extractor_version FROM news.articles")
    }
    assert versions[ids["https://b.example/orchard"]] == "2099.1"
    assert versions[ids["https://a.example/ferry"]] != "2099.1"
    assert versions[ids["https://a.example/library"]] != "2099.1"


def test_two_articles_re_extracted_to_one_text_keep_one_stored_version(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new extractor that makes two stored articles' texts equal: the first takes the new
    text, the second keeps its stored version and says why (it aborted the whole run on the
    unique content hash before)."""
    _jsonl_inbox(db_url, inbox)
    original = extract.extract_jsonl_record
    from tests.integration.helpers import article_text

    def converging(obj: dict[str, Any], **kwargs: Any):
        if obj.get("source") == "Coast News":
            obj = {**obj, "text": article_text(99)}
        return original(obj, **kwargs)

    monkeypatch.setattr(extract, "extract_jsonl_record", converging)
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "2099.1")
    counts = _reprocess(db_url, "converging", reprocess.Selection())
    assert counts["updated"] == 2 and counts["kept"] == 1, counts
    kept = query(db_url, "SELECT detail FROM news.document_outcomes WHERE state = 'failed'")
    assert len(kept) == 1 and "equals article" in kept[0]["detail"]


def test_a_re_extraction_that_corrects_only_the_date_is_stored(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fix that changes only the date (or the title) of the same bytes is a new version,
    and the corrected date replaces the stored one (it was kept for good before: re-fetched
    pages keep their first date, and 'same text, same version' counted as unchanged)."""
    from datetime import UTC, datetime

    from newsflow.extract import dates
    from tests.integration.helpers import article_text

    folder = inbox / "2026-11-18"
    folder.mkdir()
    text = (
        "Families gather at the memorial\n\nTwenty-three years after September 11, 2001, "
        "families gathered at the memorial. " + article_text(71)
    )
    (folder / "vigil.txt").write_text(text)
    wrong = datetime(2001, 9, 11, tzinfo=UTC)
    with monkeypatch.context() as old_code:  # the old dateline rule: any date near the start
        old_code.setattr(dates, "dateline_date", lambda text: wrong)
        jobs.ingest_inbox(db_url, runs.identity("t", "vigil"), inbox=inbox)
    [stored] = query(db_url, "SELECT published_at, published_at_source FROM news.articles")
    assert stored == {"published_at": wrong, "published_at_source": "dateline"}

    counts = _reprocess(db_url, "dates", reprocess.Selection(force=True))
    assert counts["updated"] == 1, counts
    [fixed] = query(db_url, "SELECT published_at, published_at_source, version FROM news.articles")
    assert fixed["published_at"] == datetime(2026, 11, 18, tzinfo=UTC)
    assert fixed["published_at_source"] == "inbox-folder" and fixed["version"] == 2
    assert _reprocess(db_url, "again", reprocess.Selection(force=True))["unchanged"] == 1


def test_a_new_extractor_version_that_changes_nothing_leaves_events_alone(
    db_url: str, inbox: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-extraction under a new version with the same title, text and date is a new version
    of each article, but no reason to take it out of its event: taken out and queued again,
    articles came back after newer ones and their event could change its id."""
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    with db.connect(db_url) as conn:
        jobs.cluster_pending(conn)
    before = query(db_url, "SELECT * FROM news.events")
    moves = query(db_url, "SELECT count(*) AS n FROM news.event_moves")[0]["n"]
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "2099.3")
    counts = _reprocess(db_url, "rp-same", reprocess.Selection())
    assert counts["updated"] == 5 and counts["events_detached"] == 0, counts
    assert query(db_url, "SELECT * FROM news.events") == before
    assert query(db_url, "SELECT count(*) AS n FROM news.event_moves")[0]["n"] == moves
    assert not query(db_url, "SELECT * FROM news.event_queue")
