"""Article pages: a work queue in ``news.pages`` that a killed poll cannot lose.

A new or changed entry marks its page *wanted* (committed with the entry). A poll claims up to
``NEWSFLOW_FEED_MAX_PAGES_PER_POLL`` wanted pages of its feed, fetches them, and archives each
page **as it arrives**, in its own transaction, with the page's record: a ``kill -9`` loses at
most the pages in flight, and those stay wanted. A claim names the database connection that
took it; a claim whose connection is gone (the task died) or older than the lease is taken
again by the next poll, so neither an Airflow retry nor a later run loses it. At most
``fetch_concurrency`` bodies are held at once, whatever the number of entries.

Everything here writes through an autocommit connection (:data:`newsflow.db.Autocommit`):
these records must be committed as they happen, apart from the caller's transaction.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from newsflow import db, fetch
from newsflow.archive import RawInput, archive, is_settled, queue_document
from newsflow.db import Autocommit, Conn
from newsflow.settings import Settings
from newsflow.sources import feedparse
from newsflow.states import DocState

log = logging.getLogger(__name__)


@dataclass
class PageCounts:
    fetched: int = 0  # archived
    failed: int = 0
    skipped: int = 0  # taken by another feed in this run
    deferred: int = 0  # still wanted: left for the next poll (cap, budget, temporary failure)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimedPage:
    url: str
    entry: feedparse.FeedEntry
    etag: str | None
    last_modified: str | None


def want_page(pages: Autocommit, url: str, run_id: int) -> bool:
    """Mark ``url`` wanted for a new or changed entry; False when this run already took it
    (the same URL in another feed). Call inside the transaction that records the entry."""
    return db.fetch_one(pages, "feeds/want_page", {"url": url, "run_id": run_id}) is not None


def claim_pages(
    pages: Autocommit, run_id: int, feed_id: int, limit: int, settings: Settings
) -> list[ClaimedPage]:
    """Claim up to ``limit`` wanted pages of the feed that no live connection is fetching."""
    if limit <= 0:
        return []
    rows = db.fetch_all(
        pages,
        "feeds/claim_pages",
        {
            "feed_id": feed_id,
            "run_id": run_id,
            "limit": limit,
            "max_attempts": settings.feed_max_page_attempts,
            "lease": settings.page_claim_lease,
        },
    )
    rows.sort(key=lambda r: (r["first_seen_at"], r["url"]))
    return [
        ClaimedPage(
            url=r["url"],
            entry=feedparse.FeedEntry(
                url=r["url"],
                title=r["title"],
                published_at=r["published_at"],
                author=r["author"],
                summary=r["summary"],
                entry_id=r["entry_id"],
            ),
            etag=r["etag"],
            last_modified=r["last_modified"],
        )
        for r in rows
    ]


def backlog(pages: Autocommit, feed_id: int, settings: Settings) -> int:
    params = {"feed_id": feed_id, "max_attempts": settings.feed_max_page_attempts}
    return int(db.fetch_value(pages, "feeds/backlog", params) or 0)


def fetch_claimed(
    pages: Autocommit,
    run_id: int,
    feed: dict[str, Any],
    fetcher: fetch.Fetcher,
    claimed: list[ClaimedPage],
    counts: PageCounts,
    *,
    settings: Settings,
    deadline: float | None = None,
) -> None:
    """Fetch the claimed pages (bounded concurrency) and archive each one as it arrives.

    Stops starting new fetches once ``deadline`` (monotonic) has passed; the claims not
    fetched are released and stay wanted for the next poll."""
    if not claimed:
        return
    urls = [c.url for c in claimed]
    validators = {c.url: (c.etag, c.last_modified) for c in claimed}
    done: set[int] = set()

    def keep_going() -> bool:
        return deadline is None or time.monotonic() < deadline

    try:
        for index, page in fetcher.fetch_each(
            urls, accept=fetch.PAGE_CONTENT_TYPES, validators=validators, keep_going=keep_going
        ):
            done.add(index)
            _settle(pages, run_id, feed, claimed[index], page, counts, settings)
    finally:  # also when settling one raised: the claims not settled wait for the next poll
        left = [u for i, u in enumerate(urls) if i not in done]
        if left and not pages.closed:
            db.execute(pages, "feeds/release_claims", {"urls": left})


def _settle(
    pages: Autocommit,
    run_id: int,
    feed: dict[str, Any],
    claim: ClaimedPage,
    page: fetch.FetchResult,
    counts: PageCounts,
    settings: Settings,
) -> None:
    """Archive one fetched page and record its outcome, committed together."""
    outcome, error = page.outcome, page.error
    if page.ok and _redirected_home(claim.url, page.final_url):
        # a removed article sent to the front page: that page is not this entry's article
        outcome = "redirected-home"
        error = f"redirected to the site's front page ({page.final_url}); not the article"
        page.body = None
    try:
        with pages.transaction():
            raw_id = None
            if page.ok and page.body is not None:
                raw_id = archive(pages, run_id, _raw_input(feed, claim, page)).raw_document_id
            elif page.not_modified:
                _requeue_unprocessed(pages, run_id, claim.url)
            _record(pages, claim.url, page, outcome, error, raw_id, settings)
    except Exception as exc:  # a page that cannot be archived must not stop the others
        log.exception("page %s could not be archived", claim.url)
        outcome, error, raw_id = "archive-error", f"could not archive the page: {exc}", None
        with pages.transaction():
            _record(pages, claim.url, page, outcome, error, raw_id, settings)
        counts.errors.append(f"{claim.url}: {error}")
    page.body = None  # the archive has it; do not hold it
    if raw_id is not None:
        counts.fetched += 1
    elif not page.not_modified:
        counts.failed += 1


def _requeue_unprocessed(pages: Autocommit, run_id: int, url: str) -> None:
    """A page the server says we hold: if its archived copy was never processed (the run that
    archived it died before processing), this run processes it; "not modified" settled it
    before, and the article was never made."""
    raw_id = db.fetch_value(pages, "feeds/page_document", {"url": url})
    if raw_id is not None and not is_settled(pages, int(raw_id)):
        queue_document(
            pages,
            run_id,
            int(raw_id),
            url,
            DocState.PENDING,
            "archived by an earlier run that did not process it",
        )


def _redirected_home(url: str, final_url: str | None) -> bool:
    """Whether fetching an article's address ended on a site's front page (a path of "/" or
    none, where the entry's own path was longer): what a site does with a removed article."""
    if not final_url or final_url == url:
        return False
    asked, landed = urlsplit(url), urlsplit(final_url)
    return landed.path in ("", "/") and not landed.query and asked.path not in ("", "/")


def _record(
    pages: Autocommit,
    url: str,
    page: fetch.FetchResult,
    outcome: str,
    error: str | None,
    raw_id: int | None,
    settings: Settings,
) -> None:
    db.execute(
        pages,
        "feeds/record_page",
        {
            "url": url,
            "outcome": outcome,
            "error": error,
            "http_status": page.status,
            # validators of the copy archived now, never of a failure (a 304 keeps the stored ones)
            "etag": page.etag if raw_id is not None else None,
            "last_modified": page.last_modified if raw_id is not None else None,
            "raw_id": raw_id,
            "settled": raw_id is not None or page.not_modified,
            "max_attempts": settings.feed_max_page_attempts,
        },
    )


def _raw_input(feed: dict[str, Any], claim: ClaimedPage, page: fetch.FetchResult) -> RawInput:
    assert page.body is not None
    entry = claim.entry
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
    now = datetime.now(UTC)
    return RawInput(
        origin="page",
        locator=claim.url,
        body=page.body,
        content_hash=hashlib.sha256(page.body).hexdigest(),
        size_bytes=len(page.body),
        media_type=page.content_type or "text/html",
        url=claim.url,
        feed_id=int(feed["id"]),
        charset=page.charset,
        http_status=page.status,
        http_headers=page.headers,
        partition_date=now.date(),
        entry_meta=meta,
        fetched_at=now,
    )


def queue_archived_pages(conn: Conn, run_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """A backfill of ``news_feeds``: re-queue the pages archived in [start, end) instead of
    fetching again (already-processed ones are recognised and left alone). Does not commit."""
    rows = db.fetch_all(conn, "feeds/archived_pages_in_window", {"start": start, "end": end})
    counts = {"pages": 0, "pending": 0, "already-ingested": 0}
    for row in rows:
        state = "already-ingested" if is_settled(conn, int(row["id"])) else "pending"
        queue_document(
            conn,
            run_id,
            int(row["id"]),
            row["locator"],
            DocState(state),
            "backfill from the raw archive",
        )
        counts["pages"] += 1
        counts[state] += 1
    return counts


# Pages taken up again per feeds run (oldest first); the rest wait for the next run. Only
# what runs of the last RESUME_DAYS days left is looked for (older: a backfill of the day).
RESUME_LIMIT = 1000
RESUME_DAYS = 30


def resume_unsettled_pages(conn: Conn, run_id: int, max_attempts: int) -> dict[str, int]:
    """Queue for this run the pages whose last run ended without processing them: that run
    died (its documents were released as abandoned) or failed on them (transient errors, at
    most ``max_attempts`` failed runs). A page is fetched once per entry, so nothing else brings
    back the page of an entry that never changes. Pages pending in another run, or settled
    since, are left alone. Does not commit; counts."""
    rows = db.fetch_all(
        conn,
        "feeds/unsettled_pages",
        {"max_attempts": max_attempts, "limit": RESUME_LIMIT, "days": RESUME_DAYS},
    )
    counts = {"abandoned": 0, "failed": 0}
    for row in rows:
        if row["state"] == "abandoned":
            detail = f"taken up again: run {row['run_id']} ended without processing it"
        else:
            detail = f"retried: run {row['run_id']} failed on it ({row['detail'] or 'no detail'})"
        if queue_document(conn, run_id, int(row["id"]), row["locator"], DocState.PENDING, detail):
            counts[row["state"]] += 1
    return counts
