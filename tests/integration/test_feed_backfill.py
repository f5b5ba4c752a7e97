"""A news_feeds backfill reprocesses the pages archived in its window instead of fetching."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

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


def _outcomes(db_url: str, url: str) -> list[tuple[str, str | None]]:
    return [
        (r["state"], r["detail"])
        for r in query(
            db_url,
            "SELECT o.state, o.detail FROM news.document_outcomes o JOIN news.raw_documents r "
            "ON r.id = o.raw_document_id WHERE r.url = %(url)s ORDER BY o.run_id",
            {"url": url},
        )
    ]


def test_pages_a_dead_run_left_unprocessed_are_taken_up_by_the_next_feeds_run(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page is fetched once per entry: when the run that archived it died, or failed on it,
    the next feeds run processes the copy it holds, once; pages another run holds pending,
    settled ones and ones that failed too often are left alone."""
    day = datetime(2026, 11, 20, tzinfo=UTC)
    died, failing, tried_out, busy_url = (
        "https://coast-news.com/died",
        "https://coast-news.com/failing",
        "https://coast-news.com/tried-out",
        "https://coast-news.com/busy",
    )

    def outcome(conn, run_id: int, url: str, state: str, detail: str) -> None:
        conn.execute(
            "INSERT INTO news.document_outcomes (run_id, raw_document_id, state, detail) "
            "SELECT %(run)s, id, %(state)s, %(detail)s FROM news.raw_documents WHERE url = %(url)s",
            {"run": run_id, "url": url, "state": state, "detail": detail},
        )

    with db.connect(db_url) as conn:
        dead = runs.start_run(conn, runs.identity("news_feeds", "scheduled-1"))
        for n, url in enumerate((died, failing, tried_out)):
            _archive(conn, dead, url, _page(20 + n, f"Ferry timetable {n} changed"), day)
        conn.commit()
        # the process died before processing them; two of them had failed in later runs
        for url, failures in ((failing, 1), (tried_out, 3)):
            for k in range(failures):
                earlier = runs.start_run(conn, runs.identity("news_feeds", f"{url}-{k}"))
                outcome(conn, earlier, url, "failed", "database connection lost")
                runs.finish_run(conn, earlier)
        # a live run holds this page pending, while a later run that also had it died
        busy = runs.start_run(conn, runs.identity("news_feeds", "scheduled-busy"))
        _archive(conn, busy, busy_url, _page(30, "Pier lights fixed"), day)
        dead_too = runs.start_run(conn, runs.identity("news_feeds", "scheduled-dead-too"))
        outcome(conn, dead_too, busy_url, "pending", "")
        conn.execute(
            "UPDATE news.ingest_runs SET heartbeat_at = now() + interval '1 hour' "
            "WHERE id = %(id)s",
            {"id": busy},
        )
        conn.commit()

        monkeypatch.setenv("NEWSFLOW_RUN_ABANDON_AFTER", "0.001")  # closes the dead runs at once
        later = runs.start_run(conn, runs.identity("news_feeds", "scheduled-2"))
        conn.commit()
        counts = feeds.resume_unsettled_pages(conn, later, max_attempts=3)
        conn.commit()
        assert counts == {"abandoned": 1, "failed": 1}
        ingest.process_run(conn, later)
        runs.finish_run(conn, later)
        conn.commit()

    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert titles == {"Ferry timetable 0 changed", "Ferry timetable 1 changed"}
    assert _outcomes(db_url, died) == [
        ("abandoned", "the run died before this document was processed"),
        ("stored", None),
    ]
    assert _outcomes(db_url, failing)[-2:] == [
        ("failed", "database connection lost"),
        ("stored", None),
    ]
    # given up after three failed runs (archiving the page again quarantines it, saying so)
    assert [s for s, _ in _outcomes(db_url, tried_out)] == [
        "abandoned",
        "failed",
        "failed",
        "failed",
    ]
    # the live run keeps its page
    assert [s for s, _ in _outcomes(db_url, busy_url)] == ["pending", "abandoned"]

    with db.connect(db_url) as conn:
        again = runs.start_run(conn, runs.identity("news_feeds", "scheduled-3"))
        assert feeds.resume_unsettled_pages(conn, again, max_attempts=3) == {
            "abandoned": 0,
            "failed": 0,
        }
        conn.rollback()


def test_pages_left_pending_by_a_run_that_ended_are_taken_up_until_they_kill_alone_too_often(
    db_url: str,
) -> None:
    """A chunk task killed on Airflow leaves its pages pending and the report closes the run
    'incomplete' (nothing releases them): they were never taken up again. A page whose chunk
    died with it alone counts that as a failed attempt, as the archive counts it."""
    day = datetime(2026, 11, 21, tzinfo=UTC)
    left, killer = "https://coast-news.com/left", "https://coast-news.com/killer"
    with db.connect(db_url) as conn:
        first = runs.start_run(conn, runs.identity("news_feeds", "killed-1"))
        _archive(conn, first, left, _page(40, "Harbour wall repaired"), day)
        _archive(conn, first, killer, _page(41, "Lighthouse lens cleaned"), day)
        conn.execute(
            "UPDATE news.document_outcomes o SET detail = 'chunk started: alone' "
            "FROM news.raw_documents r WHERE r.id = o.raw_document_id AND r.url = %(url)s",
            {"url": killer},
        )
        assert runs.finish_run(conn, first)["status"] == "incomplete"
        conn.commit()
        later = runs.start_run(conn, runs.identity("news_feeds", "later"))
        conn.commit()
        assert feeds.resume_unsettled_pages(conn, later, max_attempts=2) == {
            "abandoned": 2,
            "failed": 0,
        }
        conn.rollback()
        # with one death alone allowed, the killer is given up; the other page is taken up
        assert feeds.resume_unsettled_pages(conn, later, max_attempts=1) == {
            "abandoned": 1,
            "failed": 0,
        }
        conn.rollback()
