"""RSS/Atom feeds in Postgres: the registry, polling, feed health and article-page fetching.

One poll of one feed (``poll_feed``):
1. conditional GET of the feed (ETag / If-Modified-Since), then a body hash as well, since some
   servers send stale validators: an unchanged body counts as not modified;
2. feedparser on the bytes we fetched (``feedparse.parse_feed``); a recoverable malformed feed
   still yields its entries, a fatal one is recorded on the feed as a hard failure;
3. each entry is recorded in ``feed_entries``; an entry that is new or changed has its page
   fetched politely (robots.txt, per-host interval, retries, size cap, SSRF guard) unless another
   feed already claimed that URL in this run; the page's bytes are archived in
   ``raw_documents`` (origin ``page``) with the entry's title, date, author and summary, and
   queued for processing in the run;
4. feed health: status, weighted failure score, consecutive failures, adaptive interval from the
   share of already-seen entries, automatic pause with its reason; one ``feed_polls`` row.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from newsflow import db, fetch, normalize
from newsflow.archive import RawInput, archive, queue_document
from newsflow.db import Conn
from newsflow.sources import feedparse

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- registry
def _source_id(conn: Conn, source: str | None) -> int | None:
    if not source:
        return None
    row = conn.execute(
        "INSERT INTO news.sources (name) VALUES (%s) ON CONFLICT (name) DO UPDATE "
        "SET name = EXCLUDED.name RETURNING id",
        (source,),
    ).fetchone()
    return int(row["id"]) if row else None


def add_feed(conn: Conn, url: str, *, name: str | None = None, source: str | None = None) -> int:
    """Register a feed (or update the name/source of a known URL); returns its id."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"a feed URL must be http(s)://host/...: {url!r}")
    row = conn.execute(
        "INSERT INTO news.feeds (url, name, source_id) VALUES (%s, %s, %s) "
        "ON CONFLICT (url) DO UPDATE SET name = EXCLUDED.name, "
        "source_id = COALESCE(EXCLUDED.source_id, news.feeds.source_id) RETURNING id",
        (url, name or parts.netloc, _source_id(conn, source)),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def set_feed_url(conn: Conn, name: str, url: str, source: str | None = None) -> int:
    """Point the feed called ``name`` at ``url`` (the demo's server changes port), or add it."""
    row = conn.execute("SELECT id FROM news.feeds WHERE name = %s", (name,)).fetchone()
    if row is None:
        return add_feed(conn, url, name=name, source=source)
    conn.execute(
        "UPDATE news.feeds SET url = %s, next_poll_at = now(), paused_at = NULL, "
        "paused_reason = NULL WHERE id = %s AND url <> %s",
        (url, row["id"], url),
    )
    return int(row["id"])


def disable_feed(conn: Conn, ident: str) -> bool:
    row = conn.execute(
        "UPDATE news.feeds SET enabled = false WHERE id::text = %s OR url = %s OR name = %s "
        "RETURNING id",
        (ident, ident, ident),
    ).fetchone()
    return row is not None


def enable_feed(conn: Conn, ident: str) -> bool:
    """Enable a feed and lift an automatic pause (resets its failure score)."""
    row = conn.execute(
        "UPDATE news.feeds SET enabled = true, paused_at = NULL, paused_reason = NULL, "
        "failure_score = 0, consecutive_failures = 0, next_poll_at = now() "
        "WHERE id::text = %s OR url = %s OR name = %s RETURNING id",
        (ident, ident, ident),
    ).fetchone()
    return row is not None


def list_feeds(conn: Conn) -> list[dict[str, Any]]:
    return conn.execute("SELECT * FROM news.feed_health ORDER BY id").fetchall()


def import_opml(conn: Conn, body: bytes, source: str | None = None) -> list[int]:
    return [
        add_feed(conn, url, name=title, source=source) for url, title in feedparse.parse_opml(body)
    ]


def due_feeds(conn: Conn, now: datetime | None = None) -> list[dict[str, Any]]:
    """Enabled, unpaused feeds whose next poll time has come (ids and names: XCom-sized)."""
    rows = conn.execute(
        "SELECT id, name, url FROM news.feeds WHERE enabled AND paused_at IS NULL "
        "AND next_poll_at <= %s ORDER BY next_poll_at, id",
        (now or datetime.now(UTC),),
    ).fetchall()
    return [{"id": int(r["id"]), "name": r["name"], "url": r["url"]} for r in rows]


# --------------------------------------------------------------------------- politeness
def reserve_host_slot(conn: Conn, host: str, interval: float) -> float:
    """Reserve the next request slot for ``host`` across every process; seconds to wait."""
    row = conn.execute(
        "INSERT INTO news.host_slots AS h (host, next_allowed_at) "
        "VALUES (%(host)s, clock_timestamp() + make_interval(secs => %(iv)s)) "
        "ON CONFLICT (host) DO UPDATE SET next_allowed_at = "
        "greatest(h.next_allowed_at, clock_timestamp()) + make_interval(secs => %(iv)s) "
        "RETURNING extract(epoch FROM next_allowed_at - clock_timestamp()) - %(iv)s AS wait",
        {"host": host, "iv": interval},
    ).fetchone()
    return max(0.0, float(row["wait"])) if row else 0.0


# --------------------------------------------------------------------------- polling
def _entry_hash(entry: feedparse.FeedEntry) -> str:
    parts = [
        entry.title or "",
        entry.published_at.isoformat() if entry.published_at else "",
        entry.summary or "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _record_failure(
    conn: Conn,
    feed: dict[str, Any],
    outcome: str,
    status: int | None,
    error: str | None,
) -> dict[str, Any]:
    kind, weight = feedparse.classify_failure(outcome, status)
    score = float(feed["failure_score"]) + weight
    consecutive = int(feed["consecutive_failures"]) + 1
    interval = feedparse.next_poll_interval(int(feed["poll_interval_seconds"]), 0.0, failed=True)
    pause = feedparse.should_pause(consecutive, score)
    conn.execute(
        "UPDATE news.feeds SET last_polled_at = now(), last_status = %s, last_http_status = %s, "
        "last_error = %s, failure_score = %s, consecutive_failures = %s, "
        "poll_interval_seconds = %s, next_poll_at = now() + make_interval(secs => %s), "
        "paused_at = CASE WHEN %s::text IS NOT NULL THEN now() ELSE paused_at END, "
        "paused_reason = COALESCE(%s, paused_reason) WHERE id = %s",
        (
            "error",
            status,
            f"{kind}: {outcome}: {error or ''}".strip(),
            score,
            consecutive,
            interval,
            interval,
            pause,
            pause,
            feed["id"],
        ),
    )
    return {"outcome": outcome, "failure": kind, "paused": pause}


def _record_success(
    conn: Conn,
    feed: dict[str, Any],
    status_label: str,
    http_status: int | None,
    seen_share: float,
    entries_new: int,
    validators: dict[str, str | None],
) -> None:
    interval = feedparse.next_poll_interval(int(feed["poll_interval_seconds"]), seen_share)
    conn.execute(
        "UPDATE news.feeds SET last_polled_at = now(), last_success_at = now(), "
        "last_status = %s, last_http_status = %s, last_error = NULL, failure_score = 0, "
        "consecutive_failures = 0, poll_interval_seconds = %s, "
        "next_poll_at = now() + make_interval(secs => %s), entries_new_last = %s, "
        "entries_seen_total = entries_seen_total + %s, "
        "etag = COALESCE(%s, etag), last_modified = COALESCE(%s, last_modified), "
        "body_hash = COALESCE(%s, body_hash) WHERE id = %s",
        (
            status_label,
            http_status,
            interval,
            interval,
            entries_new,
            entries_new,
            validators.get("etag"),
            validators.get("last_modified"),
            validators.get("body_hash"),
            feed["id"],
        ),
    )


def poll_feed(conn: Conn, run_id: int, feed_id: int, fetcher: fetch.Fetcher) -> dict[str, Any]:
    """Poll one feed and fetch its new article pages; never raises for a bad feed or page."""
    started = time.monotonic()
    feed = conn.execute("SELECT * FROM news.feeds WHERE id = %s", (feed_id,)).fetchone()
    if feed is None:
        raise ValueError(f"no feed with id {feed_id}")
    result: dict[str, Any] = {
        "feed_id": feed_id,
        "name": feed["name"],
        "entries": 0,
        "new_entries": 0,
        "pages_fetched": 0,
        "pages_failed": 0,
        "pages_skipped": 0,
    }
    response = fetcher.fetch(
        feed["url"],
        etag=feed["etag"],
        last_modified=feed["last_modified"],
        accept=fetch.FEED_CONTENT_TYPES,
    )
    parsed: feedparse.ParsedFeed | None = None
    if response.not_modified:
        _record_success(
            conn,
            feed,
            "not-modified",
            response.status,
            1.0,
            0,
            {"etag": response.etag, "last_modified": response.last_modified},
        )
        result["outcome"] = "not-modified"
        _fetch_pages(conn, run_id, feed, fetcher, _retryable_pages(conn, run_id, feed), result)
    elif not response.ok or response.body is None:
        result.update(
            _record_failure(conn, feed, response.outcome, response.status, response.error)
        )
    else:
        body_hash = hashlib.sha256(response.body).hexdigest()
        validators = {
            "etag": response.etag,
            "last_modified": response.last_modified,
            "body_hash": body_hash,
        }
        if body_hash == feed["body_hash"]:
            _record_success(conn, feed, "unchanged-body", response.status, 1.0, 0, validators)
            result["outcome"] = "unchanged-body"
            _fetch_pages(conn, run_id, feed, fetcher, _retryable_pages(conn, run_id, feed), result)
        else:
            parsed = feedparse.parse_feed(
                response.body, base_url=response.final_url, headers=response.headers
            )
            if parsed.fatal:
                result.update(
                    _record_failure(conn, feed, "not-a-feed", response.status, parsed.bozo_reason)
                )
            else:
                new = _handle_entries(conn, run_id, feed, parsed, fetcher, result)
                seen_share = 1.0 - new / len(parsed.entries) if parsed.entries else 1.0
                label = "ok" if not parsed.bozo else "ok-malformed"
                _record_success(conn, feed, label, response.status, seen_share, new, validators)
                result["outcome"] = label
                if parsed.bozo:
                    result["warning"] = parsed.bozo_reason
    conn.execute(
        "INSERT INTO news.feed_polls (feed_id, run_id, outcome, http_status, error, entries_total, "
        "entries_new, pages_fetched, pages_failed, elapsed_ms) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            feed_id,
            run_id,
            result["outcome"],
            response.status,
            response.error or (parsed.bozo_reason if parsed else None),
            result["entries"],
            result["new_entries"],
            result["pages_fetched"],
            result["pages_failed"],
            int((time.monotonic() - started) * 1000),
        ),
    )
    return result


def _handle_entries(
    conn: Conn,
    run_id: int,
    feed: dict[str, Any],
    parsed: feedparse.ParsedFeed,
    fetcher: fetch.Fetcher,
    result: dict[str, Any],
) -> int:
    """Record the entries; fetch the pages of new or changed ones. Returns the new-entry count."""
    to_fetch: list[tuple[str, feedparse.FeedEntry]] = []
    new_entries = 0
    for entry in parsed.entries:
        url = normalize.canonicalize_url(entry.url) or entry.url
        entry_hash = _entry_hash(entry)
        row = conn.execute(
            "INSERT INTO news.feed_entries AS e (feed_id, entry_url, entry_id, title, published_at, "
            "author, summary, entry_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (feed_id, entry_url) DO UPDATE SET last_seen_at = now(), "
            "title = EXCLUDED.title, published_at = EXCLUDED.published_at, author = EXCLUDED.author, "
            "summary = EXCLUDED.summary, entry_hash = EXCLUDED.entry_hash "
            "RETURNING (xmax = 0) AS inserted, "
            "(SELECT entry_hash FROM news.feed_entries WHERE feed_id = e.feed_id "
            " AND entry_url = e.entry_url) AS old_hash",
            (
                feed["id"],
                url,
                entry.entry_id,
                entry.title,
                entry.published_at,
                entry.author,
                (entry.summary or "")[:2000] or None,
                entry_hash,
            ),
        ).fetchone()
        assert row is not None
        changed = bool(row["inserted"]) or row["old_hash"] != entry_hash
        if row["inserted"]:
            new_entries += 1
        if not changed:
            continue
        if not _claim(conn, url, run_id):
            result["pages_skipped"] += 1
            continue
        to_fetch.append((url, entry))
    result["entries"] = len(parsed.entries)
    result["new_entries"] = new_entries
    queued = {u for u, _ in to_fetch}
    to_fetch += [(u, e) for u, e in _retryable_pages(conn, run_id, feed) if u not in queued]
    _fetch_pages(conn, run_id, feed, fetcher, to_fetch, result)
    return new_entries


# Page outcomes worth another try on a later poll (the server may recover); others are final.
RETRY_PAGE_SQL = (
    "(p.last_outcome IN ('timeout', 'connection-error') OR (p.last_outcome = 'http-error' "
    "AND p.last_http_status IN (408, 429, 500, 502, 503, 504)))"
)
MAX_PAGE_ATTEMPTS = 5


def _claim(conn: Conn, url: str, run_id: int) -> bool:
    """Claim a page URL for this run: the same URL in two feeds is fetched once per run. A claim
    whose fetch never finished (a crashed, retried task) or failed temporarily can be re-taken."""
    claimed = conn.execute(
        "INSERT INTO news.pages AS p (url, claimed_by_run) VALUES (%s, %s) "
        "ON CONFLICT (url) DO UPDATE SET claimed_by_run = EXCLUDED.claimed_by_run "
        "WHERE p.claimed_by_run IS DISTINCT FROM EXCLUDED.claimed_by_run "
        f"OR (p.raw_document_id IS NULL AND (p.last_outcome IS NULL OR {RETRY_PAGE_SQL})) "
        "RETURNING url",
        (url, run_id),
    ).fetchone()
    conn.commit()
    return claimed is not None


def _retryable_pages(
    conn: Conn, run_id: int, feed: dict[str, Any]
) -> list[tuple[str, feedparse.FeedEntry]]:
    """This feed's entries whose page failed temporarily and has attempts left, claimed."""
    rows = conn.execute(
        "SELECT e.entry_url, e.entry_id, e.title, e.published_at, e.author, e.summary "
        "FROM news.feed_entries e JOIN news.pages p ON p.url = e.entry_url "
        f"WHERE e.feed_id = %s AND p.raw_document_id IS NULL AND {RETRY_PAGE_SQL} "
        "AND p.attempts < %s ORDER BY e.first_seen_at, e.entry_url",
        (feed["id"], MAX_PAGE_ATTEMPTS),
    ).fetchall()
    out = []
    for r in rows:
        if _claim(conn, r["entry_url"], run_id):
            entry = feedparse.FeedEntry(
                url=r["entry_url"],
                title=r["title"],
                published_at=r["published_at"],
                author=r["author"],
                summary=r["summary"],
                entry_id=r["entry_id"],
            )
            out.append((r["entry_url"], entry))
    return out


def _fetch_pages(
    conn: Conn,
    run_id: int,
    feed: dict[str, Any],
    fetcher: fetch.Fetcher,
    to_fetch: list[tuple[str, feedparse.FeedEntry]],
    result: dict[str, Any],
) -> None:
    """Fetch claimed pages politely; archive and queue what arrives; record every outcome."""
    if not to_fetch:
        return
    pages = {
        r["url"]: r
        for r in conn.execute(
            "SELECT url, etag, last_modified FROM news.pages WHERE url = ANY(%s)",
            ([u for u, _ in to_fetch],),
        ).fetchall()
    }
    validators = {
        u: (pages[u]["etag"], pages[u]["last_modified"]) for u, _ in to_fetch if u in pages
    }
    responses = fetcher.fetch_many(
        [u for u, _ in to_fetch], accept=fetch.PAGE_CONTENT_TYPES, validators=validators
    )
    for (url, entry), page in zip(to_fetch, responses, strict=True):
        raw_id = None
        if page.ok and page.body is not None:
            meta = {
                "feed_id": feed["id"],
                "feed": feed["name"],
                "title": entry.title,
                "published_at": entry.published_at.isoformat() if entry.published_at else None,
                "author": entry.author,
                "summary": entry.summary,
                "entry_id": entry.entry_id,
                "final_url": page.final_url,
            }
            raw = RawInput(
                origin="page",
                locator=url,
                body=page.body,
                content_hash=hashlib.sha256(page.body).hexdigest(),
                size_bytes=len(page.body),
                media_type=page.content_type or "text/html",
                url=url,
                feed_id=int(feed["id"]),
                charset=page.charset,
                http_status=page.status,
                http_headers=page.headers,
                partition_date=datetime.now(UTC).date(),
                entry_meta=meta,
                fetched_at=datetime.now(UTC),
            )
            with conn.transaction():
                raw_id = archive(conn, run_id, raw).raw_document_id
            result["pages_fetched"] += 1
        elif not page.not_modified:
            result["pages_failed"] += 1
        conn.execute(
            "UPDATE news.pages SET last_fetched_at = now(), last_outcome = %s, last_error = %s, "
            "last_http_status = %s, etag = COALESCE(%s, etag), "
            "last_modified = COALESCE(%s, last_modified), "
            "raw_document_id = COALESCE(%s, raw_document_id), "
            "attempts = CASE WHEN %s::bigint IS NULL AND NOT %s THEN attempts + 1 ELSE 0 END "
            "WHERE url = %s",
            (
                page.outcome,
                page.error,
                page.status,
                page.etag,
                page.last_modified,
                raw_id,
                raw_id,
                page.not_modified,
                url,
            ),
        )
        conn.commit()


def queue_archived_pages(conn: Conn, run_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """A backfill of ``news_feeds``: re-queue the pages archived in [start, end) instead of
    fetching again (already-processed ones are recognised and left alone)."""
    rows = conn.execute(
        "SELECT id, locator FROM news.raw_documents WHERE origin = 'page' "
        "AND fetched_at >= %s AND fetched_at < %s ORDER BY id",
        (start, end),
    ).fetchall()
    counts = {"pages": 0, "pending": 0, "already-ingested": 0}
    for row in rows:
        settled_row = conn.execute(db.sql("archive/document_settled"), {"id": row["id"]}).fetchone()
        settled = bool(settled_row and settled_row["settled"])
        state = "already-ingested" if settled else "pending"
        queue_document(
            conn, run_id, int(row["id"]), row["locator"], state, "backfill from the raw archive"
        )
        counts["pages"] += 1
        counts[state] += 1
    conn.commit()
    return counts
