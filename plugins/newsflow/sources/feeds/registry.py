"""The feed registry: which feeds exist, their names and publishers, which are due.

Adding a URL that is already registered never renames the feed silently: it says so
(:class:`FeedExists`), and renaming is its own call (:func:`rename_feed`). A URL the fetcher
would refuse for good (cloud metadata, private address) is refused here, at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict
from urllib.parse import urlsplit

from newsflow import db, fetch
from newsflow.db import Conn
from newsflow.settings import Settings, get_settings
from newsflow.sources import feedparse


class FeedRef(TypedDict):
    id: int
    name: str
    url: str


class FeedExists(ValueError):
    """The URL is already registered (as ``feed``)."""

    def __init__(self, feed: FeedRef):
        self.feed = feed
        super().__init__(f"feed {feed['id']} already has this URL (name {feed['name']!r})")


@dataclass(frozen=True)
class OpmlImport:
    added: list[int]
    existing: list[int]
    refused: list[tuple[str, str]]  # (url, why)
    outlines: int  # feed outlines found (http(s) xmlUrl)


def _source_id(conn: Conn, source: str | None) -> int | None:
    if not source:
        return None
    value = db.fetch_value(conn, "feeds/source_id", {"name": source})
    return int(value) if value is not None else None


def feed_url_problem(url: str, settings: Settings | None = None) -> str | None:
    """Why ``url`` cannot be a feed (not http(s), or refused by the SSRF guard), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"a feed URL must be http(s)://host/...: {url!r}"
    why = fetch.refusal(url, (settings or get_settings()).http_allowlist)
    if why:
        return f"the fetcher would refuse {url}: {why} (see NEWSFLOW_HTTP_ALLOWLIST)"
    return None


def add_feed(
    conn: Conn,
    url: str,
    *,
    name: str | None = None,
    source: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Register a feed; its id. Raises ValueError for a URL the fetcher would refuse and
    :class:`FeedExists` for a URL already registered (see :func:`rename_feed`)."""
    problem = feed_url_problem(url, settings)
    if problem:
        raise ValueError(problem)
    feed_id = db.fetch_value(
        conn,
        "feeds/add_feed",
        {"url": url, "name": name or urlsplit(url).netloc, "source_id": _source_id(conn, source)},
    )
    if feed_id is None:
        row = db.fetch_one(conn, "feeds/feed_by_url", {"url": url})
        assert row is not None
        raise FeedExists(FeedRef(id=int(row["id"]), name=row["name"], url=row["url"]))
    return int(feed_id)


def find_feed(conn: Conn, ident: str) -> FeedRef | None:
    """A feed by id, URL or name."""
    row = db.fetch_one(conn, "feeds/find_feed", {"ident": ident})
    return None if row is None else FeedRef(id=int(row["id"]), name=row["name"], url=row["url"])


def rename_feed(conn: Conn, ident: str, name: str, source: str | None = None) -> bool:
    """Give a feed (by id, URL or name) a new name (and publisher); False if there is none."""
    feed = find_feed(conn, ident)
    if feed is None:
        return False
    params = {"id": feed["id"], "name": name, "source_id": _source_id(conn, source)}
    return db.fetch_one(conn, "feeds/rename_feed", params) is not None


def disable_feed(conn: Conn, ident: str) -> bool:
    return db.fetch_one(conn, "feeds/disable_feed", {"ident": ident}) is not None


def enable_feed(conn: Conn, ident: str) -> bool:
    """Enable a feed and lift an automatic pause (resets its failure score)."""
    return db.fetch_one(conn, "feeds/enable_feed", {"ident": ident}) is not None


def list_feeds(conn: Conn) -> list[dict[str, Any]]:
    return [dict(r) for r in db.fetch_all(conn, "feeds/list_feeds")]


def import_opml(
    conn: Conn, body: bytes, source: str | None = None, settings: Settings | None = None
) -> OpmlImport:
    """Register the feeds of an OPML document; what was added, already there, or refused.
    Raises ValueError when the body is not OPML."""
    outlines = feedparse.parse_opml(body)
    added: list[int] = []
    existing: list[int] = []
    refused: list[tuple[str, str]] = []
    for url, title in outlines:
        try:
            added.append(add_feed(conn, url, name=title, source=source, settings=settings))
        except FeedExists as exc:
            existing.append(exc.feed["id"])
        except ValueError as exc:
            refused.append((url, str(exc)))
    return OpmlImport(added, existing, refused, len(outlines))


def due_feeds(conn: Conn, now: datetime | None = None) -> list[FeedRef]:
    """Enabled, unpaused feeds whose next poll time has come (ids and names: XCom-sized)."""
    rows = db.fetch_all(conn, "feeds/due_feeds", {"now": now or datetime.now(UTC)})
    return [FeedRef(id=int(r["id"]), name=r["name"], url=r["url"]) for r in rows]


class FeedGroup(TypedDict):
    """Feeds polled together by one task: those of one host (politeness is per host anyway)."""

    label: str  # the host, for the task's map index
    feeds: list[FeedRef]


def group_by_host(feeds: list[FeedRef], max_per_group: int = 50) -> list[FeedGroup]:
    """Due feeds grouped by host (at most ``max_per_group`` per group), for one task each."""
    by_host: dict[str, list[FeedRef]] = defaultdict(list)
    for feed in feeds:
        by_host[(urlsplit(feed["url"]).hostname or "?").lower()].append(feed)
    groups: list[FeedGroup] = []
    for host in sorted(by_host):
        members = by_host[host]
        for start in range(0, len(members), max_per_group):
            chunk = members[start : start + max_per_group]
            label = host if len(members) <= max_per_group else f"{host} #{start // max_per_group}"
            groups.append(FeedGroup(label=label, feeds=chunk))
    return groups


def pack_groups(groups: list[FeedGroup], tasks: int) -> list[FeedGroup]:
    """Host groups packed into at most ``tasks`` groups, so that the feeds of a run cost a
    few task processes, not one each (a task start costs seconds of CPU; polling a feed,
    milliseconds). A host is never split across two packs by this step; the biggest hosts go
    first, each into the emptiest pack. Labels name the hosts, shortened."""
    if len(groups) <= tasks:
        return groups
    packs: list[list[FeedGroup]] = [[] for _ in range(max(1, tasks))]
    for group in sorted(groups, key=lambda g: (-len(g["feeds"]), g["label"])):
        min(packs, key=lambda p: (sum(len(g["feeds"]) for g in p), len(p))).append(group)
    out: list[FeedGroup] = []
    for pack in packs:
        if not pack:
            continue
        labels = sorted(g["label"] for g in pack)
        label = ", ".join(labels[:2]) + (f" +{len(labels) - 2} hosts" if len(labels) > 2 else "")
        out.append(FeedGroup(label=label, feeds=[f for g in pack for f in g["feeds"]]))
    return out
