"""robots.txt: what one fetch of it establishes, and the verdict for a URL.

RFC 9309: a 4xx answer means "allow all" (2.3.1.3), a 5xx (or 429) or an unreachable file (a
network error, a timeout) "disallow all" for a while (2.3.1.4: the file is undefined, not
absent), too many redirects "allow all" (2.3.1.2). A fetched file is kept as a :class:`RobotsRecord`
(its text, not a parsed object) so that it can be shared by every worker through Postgres
(``news.robots_cache``, see :mod:`newsflow.fetch.shared`) and parsed again in each process.

Known limits: ``urllib.robotparser`` ignores the ``*``/``$`` path wildcards, applies the first
matching rule (not the longest) and reads only whole-second ``Crawl-delay``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

MAX_BYTES = 512 * 1024  # RFC 9309: parse at least the first 500 KiB

RobotsMode = Literal["rules", "allow", "disallow"]


@dataclass(frozen=True)
class RobotsRecord:
    """What one robots.txt fetch established for an origin."""

    mode: RobotsMode
    body: str = ""  # the robots.txt text ('rules' only)
    http_status: int | None = None
    note: str | None = None
    ttl: float = 0.0  # seconds it is trusted from now


@dataclass
class RobotsEntry:
    """A record ready to answer, in one process, until ``expires`` (monotonic)."""

    record: RobotsRecord
    expires: float
    parser: RobotFileParser | None = None
    crawl_delay: float | None = None


def origin(url: str) -> str:
    """``scheme://host:port`` (lower case, explicit port): the key robots.txt is cached by."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def robots_url(origin_key: str) -> str:
    scheme = origin_key.split(":", 1)[0]
    default_port = ":443" if scheme == "https" else ":80"
    base = origin_key[: -len(default_port)] if origin_key.endswith(default_port) else origin_key
    return base + "/robots.txt"


def record_for(
    outcome: str,
    status: int | None,
    text: str,
    *,
    ttl: float,
    error_ttl: float,
) -> RobotsRecord:
    """The record for a robots.txt fetch that ended in ``outcome`` (a fetch outcome)."""
    if outcome == "ok":
        return RobotsRecord("rules", text, status, None, ttl)
    if outcome == "http-error" and status is not None:
        if status >= 500 or status == 429:
            return RobotsRecord(
                "disallow", "", status, f"robots.txt returned HTTP {status}", error_ttl
            )
        return RobotsRecord("allow", "", status, f"HTTP {status}", ttl)
    if outcome in _UNREACHABLE:  # the file may exist: assume it forbids everything, a while
        return RobotsRecord("disallow", "", status, f"robots.txt unreachable: {outcome}", error_ttl)
    # Redirect trouble (a loop, more than the redirects followed) and the rest: unavailable
    return RobotsRecord("allow", "", status, f"robots.txt unavailable: {outcome}", error_ttl)


# Fetch outcomes that leave robots.txt undefined (RFC 9309 2.3.1.4: network errors).
_UNREACHABLE = frozenset({"connection-error", "timeout", "decompression-bomb"})
_UNREACHABLE_NOTE = "robots.txt unreachable: "


def unreachable_outcome(record: RobotsRecord) -> str | None:
    """The network outcome that left robots.txt undefined (``connection-error``,
    ``timeout`` ...), or None: a page of a site whose robots.txt cannot be reached is not
    fetched, and its fetch reports the site's trouble, not a robots.txt rule."""
    note = record.note or ""
    if record.mode == "disallow" and note.startswith(_UNREACHABLE_NOTE):
        outcome = note[len(_UNREACHABLE_NOTE) :]
        return outcome if outcome in _UNREACHABLE else None
    return None


def entry_for(record: RobotsRecord, origin_key: str, user_agent: str) -> RobotsEntry:
    entry = RobotsEntry(record, time.monotonic() + record.ttl)
    if record.mode == "rules":
        parser = RobotFileParser(robots_url(origin_key))
        parser.parse(record.body.splitlines())
        entry.parser = parser
        delay = parser.crawl_delay(user_agent)
        entry.crawl_delay = float(delay) if delay is not None else None
    return entry


def allowed(entry: RobotsEntry, user_agent: str, url: str) -> bool:
    if entry.record.mode == "allow":
        return True
    if entry.record.mode == "disallow":
        return False
    assert entry.parser is not None
    return entry.parser.can_fetch(user_agent, url)
