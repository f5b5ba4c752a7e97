"""Polling feeds: one feed (:func:`poll_feed`) or a group in one process (:func:`poll_feeds`).

One poll:

1. conditional GET of the feed (ETag / If-Modified-Since), then a body hash as well, since some
   servers send stale validators: an unchanged body counts as not modified;
2. feedparser on the bytes we fetched; a recoverable malformed feed still yields its entries, a
   fatal one is a hard failure, unless the transfer was slow (then it proves nothing about the
   URL: a temporary ``timeout``);
3. every entry is recorded in ``feed_entries`` and a new or changed one marks its page wanted,
   committed at once (:mod:`.pages`); then up to the per-poll cap of wanted pages are fetched
   and archived one by one as they arrive;
4. feed health: status, weighted failure score, adaptive interval (share of entries already
   seen, and the feed's publication pace), automatic pause with its reason; a backlog of pages
   brings the next poll forward; one ``feed_polls`` row.

The transaction rule: the feed's own row and its ``feed_polls`` row are written on the
caller's connection, which is never committed here; entries, pages and archived documents go
through the autocommit connection ``pages``, named in every signature.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, TypedDict

import psycopg

from newsflow import db, fetch, normalize
from newsflow.db import Autocommit, Conn
from newsflow.settings import Settings, get_settings
from newsflow.sources import feedparse
from newsflow.sources.feeds import health, websub
from newsflow.sources.feeds import pages as page_queue

log = logging.getLogger(__name__)


class PollResult(TypedDict, total=False):
    feed_id: int
    name: str
    outcome: str
    entries: int
    new_entries: int
    pages_fetched: int
    pages_failed: int
    pages_skipped: int
    pages_deferred: int
    failure: str
    paused: str | None
    warning: str | None
    error: str


def _entry_hash(entry: feedparse.FeedEntry) -> str:
    parts = [
        entry.title or "",
        entry.published_at.isoformat() if entry.published_at else "",
        entry.summary or "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _bounds(settings: Settings) -> tuple[int, int]:
    return settings.feed_min_interval, settings.feed_max_interval


def _record_failure(
    conn: Conn,
    feed: dict[str, Any],
    outcome: str,
    status: int | None,
    error: str | None,
    settings: Settings,
    retry_after: float | None = None,
) -> PollResult:
    kind, weight = health.classify_failure(outcome, status)
    score = float(feed["failure_score"]) + weight
    consecutive = int(feed["consecutive_failures"]) + 1
    interval = health.next_poll_interval(
        int(feed["poll_interval_seconds"]), 0.0, failed=True, bounds=_bounds(settings)
    )
    next_in = interval
    if retry_after is not None:  # the server said when to come back (up to the longest interval)
        next_in = max(interval, min(int(retry_after), settings.feed_max_interval))
    pause = health.should_pause(consecutive, score)
    db.execute(
        conn,
        "feeds/record_failure",
        {
            "id": feed["id"],
            "http_status": status,
            "error": f"{kind}: {outcome}: {error or ''}".strip(),
            "score": score,
            "consecutive": consecutive,
            "interval": interval,
            "next_in": next_in,
            "pause": pause,
        },
    )
    return PollResult(outcome=outcome, failure=kind, paused=pause)


def _record_success(
    conn: Conn,
    feed: dict[str, Any],
    status_label: str,
    http_status: int | None,
    seen_share: float,
    entries_new: int,
    validators: dict[str, str | None],
    settings: Settings,
    *,
    publication_gap_s: float | None = None,
    backlog: bool = False,
) -> None:
    interval = health.next_poll_interval(
        int(feed["poll_interval_seconds"]),
        seen_share,
        bounds=_bounds(settings),
        publication_gap_s=publication_gap_s,
    )
    db.execute(
        conn,
        "feeds/record_success",
        {
            "id": feed["id"],
            "status": status_label,
            "http_status": http_status,
            "interval": interval,
            # pages left for the next poll: come back soon, whatever the interval
            "next_in": min(interval, settings.feed_min_interval) if backlog else interval,
            "entries_new": entries_new,
            "etag": validators.get("etag"),
            "last_modified": validators.get("last_modified"),
            "body_hash": validators.get("body_hash"),
        },
    )


# What the database says of one entry's values (a character it cannot store, a value too
# large for an index): that entry is skipped, the poll goes on.
_ENTRY_REFUSED = (psycopg.DataError, psycopg.errors.ProgramLimitExceeded)


def _record_entries(
    pages: Autocommit,
    run_id: int,
    feed: dict[str, Any],
    parsed: feedparse.ParsedFeed,
    counts: page_queue.PageCounts,
) -> int:
    """Record the entries and mark the pages of new or changed ones wanted, in one committed
    transaction; the number of new entries. Each entry has its own savepoint: one the database
    refuses is logged and counted (``counts.errors``), the others are recorded."""
    new_entries = 0
    recorded: set[str] = set()
    with pages.transaction():
        for entry in parsed.entries:
            url = normalize.canonicalize_url(entry.url) or entry.url
            if url in recorded:  # two entries, one page ("?utm_source=rss" and "...&utm_content"):
                continue  # each overwrote the other's hash, and the page was fetched every poll
            recorded.add(url)
            entry_hash = _entry_hash(entry)
            try:
                with pages.transaction():  # a savepoint
                    row = db.fetch_one(
                        pages,
                        "feeds/upsert_entry",
                        {
                            "feed_id": feed["id"],
                            "url": url,
                            "entry_id": entry.entry_id,
                            "title": entry.title,
                            "published_at": entry.published_at,
                            "author": entry.author,
                            "summary": (entry.summary or "")[:2000] or None,
                            "entry_hash": entry_hash,
                        },
                    )
                    assert row is not None
                    if row["inserted"]:
                        new_entries += 1
                    if not (row["inserted"] or row["old_hash"] != entry_hash):
                        continue
                    if not page_queue.want_page(pages, url, run_id):
                        counts.skipped += 1
            except _ENTRY_REFUSED as exc:  # this entry's values, not the database's state
                log.warning("feed %s: entry %s not recorded: %s", feed["id"], url[:200], exc)
                counts.errors.append(f"entry not recorded ({type(exc).__name__}): {url[:200]}")
    return new_entries


def poll_feed(
    conn: Conn,
    pages: Autocommit,
    run_id: int,
    feed_id: int,
    fetcher: fetch.Fetcher,
    *,
    settings: Settings | None = None,
    deadline: float | None = None,
) -> PollResult:
    """Poll one feed and fetch (up to the cap) its wanted article pages.

    Never raises for a bad feed or page. Writes the feed's row and its ``feed_polls`` row on
    ``conn`` without committing (the caller owns that transaction); entries, page claims and
    archived pages are committed as they happen through ``pages`` (autocommit).
    ``deadline`` (monotonic) stops starting page fetches; the rest wait for the next poll."""
    settings = settings or get_settings()
    started = time.monotonic()
    if deadline is None:
        deadline = started + settings.feed_poll_budget
    feed = db.fetch_one(conn, "feeds/feed", {"id": feed_id})
    if feed is None:
        raise ValueError(f"no feed with id {feed_id}")
    result = PollResult(feed_id=feed_id, name=feed["name"], entries=0, new_entries=0)
    counts = page_queue.PageCounts()
    response = fetcher.fetch(
        feed["url"],
        etag=feed["etag"],
        last_modified=feed["last_modified"],
        accept=fetch.FEED_CONTENT_TYPES,
    )
    parsed: feedparse.ParsedFeed | None = None
    success: dict[str, Any] | None = None
    poll_error = response.error
    if response.not_modified:
        validators = {"etag": response.etag, "last_modified": response.last_modified}
        success = {"label": "not-modified", "seen_share": 1.0, "new": 0, "validators": validators}
    elif not response.ok or response.body is None:
        result.update(
            _record_failure(
                conn,
                feed,
                response.outcome,
                response.status,
                response.error,
                settings,
                response.retry_after,
            )
        )
    else:
        body_hash = hashlib.sha256(response.body).hexdigest()
        validators = {
            "etag": response.etag,
            "last_modified": response.last_modified,
            "body_hash": body_hash,
        }
        if body_hash == feed["body_hash"]:
            success = {"label": "unchanged-body", "seen_share": 1.0, "new": 0}
            success["validators"] = validators
        else:
            parsed = feedparse.parse_feed(
                response.body, base_url=response.final_url, headers=response.headers
            )
            response.body = None
            if parsed.fatal and response.slow:
                why = (
                    f"slow transfer ({response.raw_bytes} bytes in {response.transfer_s:.1f} s "
                    f"of a {response.budget_s:g} s budget): not judged as a feed "
                    f"({parsed.bozo_reason})"
                )
                poll_error = why
                result.update(
                    _record_failure(conn, feed, "timeout", response.status, why, settings)
                )
            elif parsed.fatal:
                poll_error = parsed.bozo_reason
                result.update(
                    _record_failure(
                        conn, feed, "not-a-feed", response.status, parsed.bozo_reason, settings
                    )
                )
            else:
                new = _record_entries(pages, run_id, feed, parsed, counts)
                websub.note_discovery(conn, feed, parsed, response.headers)
                seen_share = 1.0 - new / len(parsed.entries) if parsed.entries else 1.0
                label = "ok" if not parsed.bozo else "ok-malformed"
                success = {"label": label, "seen_share": seen_share, "new": new}
                success["validators"] = validators
                result["entries"] = len(parsed.entries)
                result["new_entries"] = new
                if parsed.bozo:
                    result["warning"] = parsed.bozo_reason
                    poll_error = parsed.bozo_reason
    claimed = page_queue.claim_pages(
        pages, run_id, feed_id, settings.feed_max_pages_per_poll, settings
    )
    page_queue.fetch_claimed(
        pages, run_id, feed, fetcher, claimed, counts, settings=settings, deadline=deadline
    )
    counts.deferred = page_queue.backlog(pages, feed_id, settings)
    if success is not None:
        gap = (
            health.publication_gap([e.published_at for e in parsed.entries])
            if parsed is not None
            else None
        )
        _record_success(
            conn,
            feed,
            success["label"],
            response.status,
            success["seen_share"],
            success["new"],
            success["validators"],
            settings,
            publication_gap_s=gap,
            backlog=counts.deferred > 0,
        )
        result["outcome"] = success["label"]
    result["pages_fetched"] = counts.fetched
    result["pages_failed"] = counts.failed
    result["pages_skipped"] = counts.skipped
    result["pages_deferred"] = counts.deferred
    db.execute(
        conn,
        "feeds/record_poll",
        {
            "feed_id": feed_id,
            "run_id": run_id,
            "outcome": result["outcome"],
            "http_status": response.status,
            "error": poll_error,
            "entries_total": result["entries"],
            "entries_new": result["new_entries"],
            "pages_fetched": counts.fetched,
            "pages_failed": counts.failed,
            "elapsed_ms": int((time.monotonic() - started) * 1000),
        },
    )
    return result


def poll_feeds(
    conn: Conn,
    pages: Autocommit,
    run_id: int,
    feed_ids: list[int],
    fetcher: fetch.Fetcher,
    *,
    settings: Settings | None = None,
) -> list[PollResult]:
    """Poll a group of feeds (e.g. the due feeds of one host) in one process, one after the
    other, sharing one time budget (``NEWSFLOW_FEED_POLL_BUDGET``) for page fetches.

    Each feed runs in its own savepoint of the caller's transaction: a feed that raises (a bug,
    a database error on its data) is rolled back alone and recorded on the feed
    (``internal-error``); the others are unaffected. Nothing here commits ``conn``."""
    settings = settings or get_settings()
    deadline = time.monotonic() + settings.feed_poll_budget
    results: list[PollResult] = []
    for feed_id in feed_ids:
        feed = db.fetch_one(conn, "feeds/feed", {"id": feed_id})  # opens the transaction
        if feed is None:
            results.append(PollResult(feed_id=feed_id, outcome="missing", error="no such feed"))
            continue
        try:
            with conn.transaction():
                results.append(
                    poll_feed(
                        conn, pages, run_id, feed_id, fetcher, settings=settings, deadline=deadline
                    )
                )
        except Exception as exc:
            log.exception("feed %s (%s) failed", feed_id, feed["name"])
            why = f"{type(exc).__name__}: {exc}"
            with conn.transaction():
                failed = _record_failure(conn, dict(feed), "internal-error", None, why, settings)
                db.execute(
                    conn,
                    "feeds/record_poll",
                    {
                        "feed_id": feed_id,
                        "run_id": run_id,
                        "outcome": "internal-error",
                        "http_status": None,
                        "error": why,
                        "entries_total": 0,
                        "entries_new": 0,
                        "pages_fetched": 0,
                        "pages_failed": 0,
                        "elapsed_ms": None,
                    },
                )
            results.append(PollResult(feed_id=feed_id, name=feed["name"], error=why, **failed))
    return results
