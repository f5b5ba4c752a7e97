"""Deduplication's same-title rule: the same headline from the same source within three days
is a duplicate even when the text was rewritten. The normalised headline is stored with the
article (``articles.title_key``) and looked up by index; rows stored before the key was kept
(NULL) are still compared in code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newsflow import jobs, neardup, runs
from tests.integration.helpers import article_text, query


def _record(
    seed: int, title: str, day: int, source: str = "Coast News", story: int | None = 1
) -> dict[str, Any]:
    """A version of ``story``: its first eight sentences kept, the rest rewritten (too little
    in common for a near-duplicate, enough wording for the title rule); ``story`` None: a text
    of its own."""
    kept = f"{article_text(story, sentences=8)} " if story is not None else ""
    return {
        "url": f"https://{source.lower().replace(' ', '-')}.example/story-{seed}",
        "title": title,
        "text": kept + article_text(seed, sentences=17),
        "published_at": f"2026-11-{day:02d}T08:00:00Z",
        "source": source,
    }


def _ingest(db_url: str, tmp: Path, name: str, *records: dict[str, Any]) -> None:
    inbox = tmp / name
    inbox.mkdir()
    (inbox / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    jobs.ingest_inbox(db_url, runs.identity("t", name), inbox=inbox)


def _title_duplicates(db_url: str) -> dict[str, str]:
    rows = query(
        db_url,
        "SELECT d.url, a.url AS original FROM news.article_duplicates d "
        "JOIN news.articles a ON a.id = d.duplicate_of WHERE d.method = 'title'",
    )
    return {r["url"]: r["original"] for r in rows}


def test_same_headline_same_source_within_three_days_is_a_duplicate(
    db_url: str, tmp_path: Path
) -> None:
    original = _record(1, "Ferry Bridge Reopens | Coast News", 16)
    _ingest(
        db_url,
        tmp_path,
        "first",
        original,
        _record(2, "Ferry bridge reopens", 16),  # same batch, rewritten text
    )
    _ingest(
        db_url,
        tmp_path,
        "later",
        _record(3, "“Ferry bridge reopens”", 18),  # a later run: found through the index
        _record(4, "Ferry bridge reopens", 23),  # seven days later: news of its own
        _record(5, "Ferry bridge reopens", 17, source="Harbour Times"),  # another source
    )
    first = original["url"]
    assert _title_duplicates(db_url) == {
        "https://coast-news.example/story-2": first,
        "https://coast-news.example/story-3": first,
    }
    stored = query(db_url, "SELECT title, title_key FROM news.articles ORDER BY id")
    assert len(stored) == 3
    assert all(r["title_key"] == neardup.title_key(r["title"]) for r in stored)


def test_articles_stored_before_keys_were_kept_are_still_matched(
    db_url: str, tmp_path: Path
) -> None:
    _ingest(db_url, tmp_path, "old", _record(11, "Night trains return to the coast", 16, story=11))
    # as a row stored before migration 0023
    query(db_url, "UPDATE news.articles SET title_key = NULL RETURNING id")
    _ingest(db_url, tmp_path, "new", _record(12, "Night Trains Return To The Coast", 17, story=11))
    assert _title_duplicates(db_url) == {
        "https://coast-news.example/story-12": "https://coast-news.example/story-11"
    }


def test_a_recurring_headline_over_texts_of_their_own_is_not_a_duplicate(
    db_url: str, tmp_path: Path
) -> None:
    """A daily item keeps its headline and changes its text: the same-title rule wants the
    texts to share some wording, so each day's item is stored, while a rewrite of a story
    (which keeps some of its sentences) is still a duplicate. A headline of two words
    ("Morning Briefing", "Lottery results") names a recurring item, never one story: two of
    them that share an intro and an outro are both stored."""
    days = [_record(20 + d, "Ferry timetable for today", 16 + d, story=None) for d in range(3)]
    _ingest(db_url, tmp_path, "timetables", *days)
    _ingest(db_url, tmp_path, "rewrite", _record(30, "Ferry timetable for today", 18, story=22))
    assert _title_duplicates(db_url) == {
        "https://coast-news.example/story-30": "https://coast-news.example/story-22"
    }
    briefings = [_record(40 + d, "Morning Briefing", 16 + d, story=41) for d in range(2)]
    _ingest(db_url, tmp_path, "briefings", *briefings)
    assert len(query(db_url, "SELECT id FROM news.articles")) == 5
