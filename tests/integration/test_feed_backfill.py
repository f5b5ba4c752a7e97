"""A news_feeds backfill reprocesses the pages archived in its window instead of fetching."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from newsflow import archive, db, ingest, runs
from newsflow.sources import feeds
from tests.integration.helpers import article_text, query, snapshot

PAGE = """<html><head><title>{title}</title>
<meta property="article:published_time" content="2026-11-20T08:00:00Z"></head>
<body><article><h1>{title}</h1>{paras}</article></body></html>"""


def _page(seed: int, title: str) -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in article_text(seed).split("\n\n"))
    return PAGE.format(title=title, paras=paras).encode()


def _archive(conn, run_id: int, url: str, body: bytes, when: datetime) -> None:
    raw = archive.RawInput(
        origin="page",
        locator=url,
        url=url,
        body=body,
        content_hash=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        media_type="text/html",
        charset="utf-8",
        fetched_at=when,
        partition_date=when.date(),
    )
    with conn.transaction():
        archive.archive(conn, run_id, raw)


def test_backfill_window_reprocesses_the_archive_and_changes_nothing_twice(db_url: str) -> None:
    day = datetime(2026, 11, 20, tzinfo=UTC)
    with db.connect(db_url) as conn:
        # A poll run archived two pages; it crashed before processing one of them.
        first = runs.start_run(conn, runs.identity("news_feeds", "scheduled-1"))
        _archive(
            conn,
            first,
            "https://coast-news.com/a",
            _page(1, "Harbour wall repaired"),
            day + timedelta(hours=1),
        )
        _archive(
            conn,
            first,
            "https://coast-news.com/b",
            _page(2, "School roof replaced"),
            day + timedelta(hours=2),
        )
        # ... and one page outside the window.
        _archive(
            conn,
            first,
            "https://coast-news.com/c",
            _page(3, "Bridge repainted"),
            day + timedelta(days=2),
        )
        conn.execute(
            "DELETE FROM news.document_outcomes WHERE raw_document_id = "
            "(SELECT id FROM news.raw_documents WHERE url = 'https://coast-news.com/b')"
        )
        conn.commit()
        ingest.process_run(conn, first)
        runs.finish_run(conn, first)
        conn.commit()
        assert query(db_url, "SELECT count(*) AS n FROM news.articles")[0]["n"] == 2

        backfill = runs.start_run(
            conn,
            runs.identity(
                "news_feeds", "backfill-1", interval_start=day, interval_end=day + timedelta(days=1)
            ),
        )
        conn.commit()
        counts = feeds.queue_archived_pages(conn, backfill, day, day + timedelta(days=1))
        assert counts == {"pages": 2, "pending": 1, "already-ingested": 1}
        ingest.process_run(conn, backfill)
        summary = runs.finish_run(conn, backfill)
        conn.commit()
    assert summary["articles_stored"] == 1 and summary["documents_seen"] == 2
    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert titles == {"Harbour wall repaired", "School roof replaced", "Bridge repainted"}

    before = snapshot(db_url)
    with db.connect(db_url) as conn:
        again = runs.start_run(
            conn,
            runs.identity(
                "news_feeds", "backfill-2", interval_start=day, interval_end=day + timedelta(days=1)
            ),
        )
        conn.commit()
        counts = feeds.queue_archived_pages(conn, again, day, day + timedelta(days=1))
        ingest.process_run(conn, again)
        runs.finish_run(conn, again)
        conn.commit()
    assert counts == {"pages": 2, "pending": 0, "already-ingested": 2}
    assert snapshot(db_url) == before
