"""The original of a duplicate pair does not depend on arrival order (backfill days run in
parallel), and a document queued by two concurrent runs is processed once."""

from __future__ import annotations

import json
from pathlib import Path

from newsflow import archive, db, ingest, jobs, runs
from newsflow.sources import inbox as inbox_source
from tests.integration.helpers import article_text, query

TEXT = "Ferry Bridge Reopens\n\n" + article_text(77, sentences=30)
EARLY = {
    "url": "https://coast-news.com/ferry-bridge",
    "title": "Ferry bridge reopens",
    "text": TEXT,
    "published_at": "2026-11-16T08:00:00Z",
    "source": "Coast News",
}
LATE = {
    "url": "https://mirror-site.com/ferry-bridge",
    "title": "Ferry bridge reopens",
    "text": TEXT,
    "published_at": "2026-11-17T07:00:00Z",
    "source": "Mirror",
}
LATE_EDITED = dict(
    LATE,
    text=TEXT.replace("harbour", "port", 3) + "\n\nMore on this story soon.",
    url="https://mirror-site.com/ferry-bridge-2",
)


def _ingest(db_url: str, tmp: Path, name: str, records: list[dict]) -> dict:
    inbox = tmp / name
    inbox.mkdir()
    (inbox / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    return jobs.ingest_inbox(db_url, runs.identity("t", name), inbox=inbox)


def _content(db_url: str) -> tuple[list, list]:
    arts = query(
        db_url, "SELECT canonical_url, published_at, content_hash FROM news.articles ORDER BY 1"
    )
    dups = query(
        db_url,
        "SELECT d.canonical_url, d.method, a.canonical_url AS original FROM news.article_duplicates d "
        "JOIN news.articles a ON a.id = d.duplicate_of ORDER BY 1",
    )
    return [tuple(a.values()) for a in arts], [tuple(d.values()) for d in dups]


def test_earliest_published_is_the_original_in_either_order(
    db_url: str, tmp_path: Path, pg_server_url: str, template_db: str
) -> None:
    # Order 1: the early copy first.
    _ingest(db_url, tmp_path, "a1", [EARLY])
    _ingest(db_url, tmp_path, "a2", [LATE, LATE_EDITED])
    in_order = _content(db_url)
    assert in_order[0][0][0] == EARLY["url"]
    assert sorted(m for _, m, _ in in_order[1]) == ["content-hash", "near-dup"]
    assert all(original == EARLY["url"] for _, _, original in in_order[1])

    # Order 2, on a fresh database: the later copies first, the early one a day later.
    import uuid

    import psycopg

    from tests.conftest import _admin_conninfo

    name = f"nf_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    other = _admin_conninfo(pg_server_url, name)
    try:
        _ingest(other, tmp_path, "b1", [LATE, LATE_EDITED])
        run = _ingest(other, tmp_path, "b2", [EARLY])
        assert run["articles_stored"] == 1 and run["duplicates"] == 0
        assert _content(other) == in_order
        # the article id did not change: its duplicates and (later) its event stay attached
        assert query(other, "SELECT count(*) AS n FROM news.articles")[0]["n"] == 1
        detail = query(
            other,
            "SELECT detail FROM news.document_outcomes o JOIN news.ingest_runs r "
            "ON r.id = o.run_id WHERE r.run_id = 'b2'",
        )[0]["detail"]
        assert "earlier copy" in detail
        # running the early copy's inbox again changes nothing
        again = jobs.ingest_inbox(other, runs.identity("t", "b3"), inbox=tmp_path / "b2")
        assert again["articles_stored"] == 0 and _content(other) == in_order
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_document_queued_by_two_concurrent_runs_is_processed_once(
    db_url: str, tmp_path: Path
) -> None:
    day1, day2 = tmp_path / "2026-11-16", tmp_path / "2026-11-17"
    day1.mkdir()
    day2.mkdir()
    body = "Museum Reopens\n\n" + article_text(5)
    (day1 / "museum.txt").write_text(body)
    (day2 / "museum-copy.txt").write_text(body)  # the same bytes: one raw document
    with db.connect(db_url) as conn:
        r1 = runs.start_run(conn, runs.identity("news_files", "day1"))
        r2 = runs.start_run(conn, runs.identity("news_files", "day2"))
        conn.commit()
        # both runs archive (and queue) before either processes
        for run_id, folder in ((r1, day1), (r2, day2)):
            for item in inbox_source.scan_inbox(folder):
                with conn.transaction():
                    raw = inbox_source.read_inbox_file(item, _settings())
                    assert archive.archive(conn, run_id, raw).state == "pending"
        ingest.process_run(conn, r2)
        ingest.process_run(conn, r1)
        first, second = runs.finish_run(conn, r2), runs.finish_run(conn, r1)
        conn.commit()
    assert first["articles_stored"] == 1
    assert second["articles_stored"] == 0 and second["duplicates"] == 0
    assert query(db_url, "SELECT count(*) AS n FROM news.article_duplicates")[0]["n"] == 0
    state = query(
        db_url, "SELECT state, detail FROM news.document_outcomes WHERE run_id = %s", (r1,)
    )
    assert state == [{"state": "already-ingested", "detail": "processed by a concurrent run"}]


def _settings():
    from newsflow.settings import get_settings

    return get_settings()


def test_same_bytes_in_two_folders_keep_the_earliest_name_in_any_order(
    db_url: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    body = "Lighthouse Lens Returns\n\n" + article_text(9)
    inbox = tmp_path / "inbox"
    for day, name in (("2026-11-16", "lens.txt"), ("2026-11-17", "a-copy.txt")):
        (inbox / day).mkdir(parents=True)
        (inbox / day / name).write_text(body)
    # the later day is archived first, as parallel backfill days may do
    for run, day in (("d17", 17), ("d16", 16)):
        start = datetime(2026, 11, day, tzinfo=UTC)
        end = start + timedelta(days=1)
        ident = runs.identity("t", run, interval_start=start, interval_end=end)
        jobs.ingest_inbox(db_url, ident, inbox=inbox)
    row = query(db_url, "SELECT locator, partition_date::text AS day FROM news.raw_documents")
    assert row == [{"locator": "2026-11-16/lens.txt", "day": "2026-11-16"}]
    assert query(db_url, "SELECT count(*) AS n FROM news.articles")[0]["n"] == 1


def test_an_earlier_copy_taking_the_place_of_a_clustered_article_is_clustered_again(
    db_url: str, tmp_path: Path
) -> None:
    """The event was placed, dated and sourced by the text the article held: when an earlier
    copy takes its place, the article is taken out of its event (with the reason recorded)
    and clustered again, so the event shows the copy's time and source."""
    _ingest(db_url, tmp_path, "late", [LATE])
    with db.connect(db_url) as conn:
        assert jobs.cluster_pending(conn)["articles"] == 1
    [event] = query(db_url, "SELECT id, first_published_at FROM news.events")
    assert event["first_published_at"].isoformat().startswith("2026-11-17")

    run = _ingest(db_url, tmp_path, "early", [EARLY])
    assert run["articles_stored"] == 1 and run["duplicates"] == 0, run
    moves = query(db_url, "SELECT reason FROM news.event_moves WHERE to_event IS NULL")
    assert [m["reason"] for m in moves] == [
        "an earlier copy took its place: taken out to be clustered again"
    ]
    with db.connect(db_url) as conn:
        assert jobs.cluster_pending(conn)["articles"] == 1
    [after] = query(db_url, "SELECT id, first_published_at FROM news.events")
    assert after["id"] == event["id"]  # the event keeps its id
    assert after["first_published_at"].isoformat().startswith("2026-11-16")
    [member] = query(db_url, "SELECT source FROM news.event_articles")
    assert member["source"] == "Coast News"
