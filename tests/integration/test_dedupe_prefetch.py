"""A batch's duplicate lookups are read at once (``Deduplicator.prefetch``): the decisions are
the ones taken lookup by lookup, every rule included, and a promotion in the middle of the
batch (a stored article rewritten) sends the lookups after it back to Postgres."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from newsflow import db, ingest, jobs, runs
from tests.integration.helpers import article_text, query

TEXT_A = "Harbour crane collapses\n\n" + article_text(101, sentences=30)
TEXT_B = "Council votes on the budget\n\n" + article_text(102, sentences=30)
TEXT_C = "Rail strike ends after talks\n\n" + article_text(103, sentences=30)
TEXT_D = "Museum opens a new wing\n\n" + article_text(104, sentences=30)
# the budget story rewritten: its first sentences kept (the title rule wants shared wording)
TEXT_B_REWRITE = (
    "Council votes on the budget\n\n"
    + article_text(102, sentences=8)
    + " "
    + article_text(105, sentences=22)
)


def _rec(url: str, title: str, text: str, day: int, source: str, hour: int = 8) -> dict:
    return {
        "url": url,
        "title": title,
        "text": text,
        "published_at": f"2026-11-{day:02}T{hour:02}:00:00Z",
        "source": source,
    }


HISTORY = [
    _rec("https://port-news.com/crane", "Harbour crane collapses", TEXT_A, 10, "Port News"),
    _rec("https://city-daily.com/budget", "Council votes on the budget", TEXT_B, 10, "City Daily"),
    _rec("https://rail-times.com/strike", "Rail strike ends after talks", TEXT_C, 10, "Rail Times"),
]
# Every rule answered from the prefetched lookups (no promotion in this batch).
BATCH = [
    # the same canonical URL as the stored strike article, another text
    _rec(
        "https://rail-times.com/strike",
        "Rail strike ends",
        TEXT_C + "\n\nCorrection.",
        11,
        "Rail Times",
    ),
    # the same text as the stored budget article (content hash)
    _rec("https://mirror.com/budget", "Budget vote", TEXT_B, 11, "Mirror"),
    # an edited copy of the strike story (near-duplicate)
    _rec(
        "https://other.com/strike",
        "Strike over",
        TEXT_C.replace("the", "a", 6) + "\n\nMore.",
        11,
        "Other",
    ),
    # the same headline from the same source within days (title rule)
    _rec(
        "https://city-daily.com/budget-2",
        "Council votes on the budget",
        TEXT_B_REWRITE,
        11,
        "City Daily",
    ),
    # new
    _rec(
        "https://museum.com/wing", "Museum opens a new wing", TEXT_D + "\n\nTickets.", 12, "Museum"
    ),
]
# Decided in publication order: the promotion (an earlier copy of the crane story) comes
# first, then a lookup that its rewrite of the stored article changes.
PROMOTING = [
    # an earlier-published copy of the stored crane story: it takes the article's place
    _rec("https://wire.com/crane", "Harbour crane collapses", TEXT_A, 9, "Wire"),
    # the stored crane article's former URL: after the promotion the article no longer has it
    _rec(
        "https://port-news.com/crane",
        "Harbour crane collapses",
        TEXT_A + "\n\nUpdated.",
        11,
        "Port News",
    ),
]


def _ingest(url: str, tmp: Path, name: str, records: list[dict]) -> dict:
    inbox = tmp / name
    inbox.mkdir(parents=True)
    (inbox / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    return jobs.ingest_inbox(url, runs.identity("t", name), inbox=inbox)


def _result(url: str) -> dict[str, list[tuple]]:
    arts = query(
        url,
        "SELECT id, canonical_url, content_hash, published_at FROM news.articles ORDER BY id",
    )
    dups = query(
        url,
        "SELECT canonical_url, method, duplicate_of FROM news.article_duplicates ORDER BY 1, 3",
    )
    outcomes = query(
        url,
        "SELECT r.locator, o.item_no, o.state, o.article_id FROM news.document_outcomes o "
        "JOIN news.raw_documents r ON r.id = o.raw_document_id ORDER BY 1, 2, 3",
    )
    return {
        "articles": [tuple(r.values()) for r in arts],
        "duplicates": [tuple(r.values()) for r in dups],
        "outcomes": [tuple(r.values()) for r in outcomes],
    }


def _run(url: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, Counter[str]]:
    """History, then the batch (its queries counted), then the promoting batch."""
    _ingest(url, tmp, "history", HISTORY)
    # a headline stored before keys were kept (compared in code)
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE news.articles SET title_key = NULL WHERE canonical_url = %s",
            ("https://city-daily.com/budget",),
        )
    asked: Counter[str] = Counter()
    for name in ("fetch_all", "fetch_one"):
        real: Callable[..., Any] = getattr(db, name)

        def counted(conn: Any, sql: str, *args: Any, _real: Callable[..., Any] = real) -> Any:
            asked[sql] += 1
            return _real(conn, sql, *args)

        monkeypatch.setattr(db, name, counted)
    _ingest(url, tmp, "batch", BATCH)
    monkeypatch.undo()
    _ingest(url, tmp, "promoting", PROMOTING)
    return _result(url), asked


def test_prefetched_lookups_decide_as_one_by_one(
    db_url: str, new_db: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefetched, asked = _run(db_url, tmp_path / "a", monkeypatch)

    monkeypatch.setattr(ingest.Decider, "prefetch", lambda self, items: None)
    one_by_one, asked_singly = _run(new_db(), tmp_path / "b", monkeypatch)

    assert prefetched == one_by_one
    by_url = {(u, m): original for u, m, original in prefetched["duplicates"]}
    # every rule answered from the prefetched lookups, each as one by one
    assert by_url[("https://rail-times.com/strike", "url")] == 3
    assert by_url[("https://mirror.com/budget", "content-hash")] == 2
    assert by_url[("https://other.com/strike", "near-dup")] == 3
    assert by_url[("https://city-daily.com/budget-2", "title")] == 2
    # the promoted article's former copy goes to the ledger, and its former URL, seen after
    # the promotion, is no longer the article's: a near-duplicate of its text, not a URL copy
    assert by_url[("https://port-news.com/crane", "content-hash")] == 1
    assert by_url[("https://port-news.com/crane", "near-dup")] == 1
    assert len(prefetched["duplicates"]) == 6
    # the batch asked each rule once (five articles), one by one it asked per article
    rules = ("by_canonical_url", "by_content_hashes", "band_candidates", "titles_near")
    assert all(asked[f"dedupe/{name}"] == 1 for name in rules)
    assert all(asked_singly[f"dedupe/{name}"] > 1 for name in rules)
