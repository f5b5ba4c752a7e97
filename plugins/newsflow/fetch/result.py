"""What a fetch returns, and the small HTTP header helpers the client and its callers share."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import urlsplit, urlunsplit

from newsflow.decode import decode_text

OUTCOMES = (
    "ok",
    "not-modified",
    "http-error",
    "timeout",
    "too-large",
    "redirect-loop",
    "too-many-redirects",
    "blocked-ssrf",
    "blocked-robots",
    "bad-content-type",
    "decompression-bomb",
    "connection-error",
)

# Content types a caller may accept.  Patterns: exact "type/subtype", "type/*", or "+xml"
# (any structured-syntax XML type).  A response without Content-Type is always accepted.
FEED_CONTENT_TYPES: tuple[str, ...] = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "+xml",
    "text/*",
)
PAGE_CONTENT_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml", "text/plain")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# A transfer that used this share of its request budget or more was slow: its body is not
# evidence about what the URL serves (a feed cut short or dripped looks like anything).
SLOW_SHARE = 0.5


@dataclass
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes | None = None  # decoded (decompressed) body, only for 'ok'
    content_type: str | None = None  # media type, lower case, no parameters
    charset: str | None = None  # from the Content-Type header only
    elapsed_s: float = 0.0  # wall clock for the whole fetch (waits and retries included)
    redirects: list[str] = field(default_factory=list)  # every URL redirected to, in order
    outcome: str = "ok"
    error: str | None = None
    retries: int = 0
    raw_bytes: int = 0  # bytes read off the wire (still compressed)
    transfer_s: float = 0.0  # wall clock of the last exchange (connect to last byte)
    budget_s: float = 0.0  # the request budget that exchange had
    retry_after: float | None = None  # seconds the last answer asked to wait (Retry-After)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def not_modified(self) -> bool:
        return self.outcome == "not-modified"

    @property
    def slow(self) -> bool:
        """The last exchange used at least :data:`SLOW_SHARE` of its request budget."""
        return self.budget_s > 0 and self.transfer_s >= SLOW_SHARE * self.budget_s

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def text(self) -> str:
        """The body as text (header charset, BOM, in-document declaration, detection)."""
        if self.body is None:
            return ""
        return decode_text(self.body, self.charset)


def media_type(header: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header."""
    if not header:
        return None, None
    parts = header.split(";")
    media = parts[0].strip().lower() or None
    charset = None
    for param in parts[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media, charset


def content_type_allowed(media: str | None, accept: Sequence[str] | None) -> bool:
    if accept is None or media is None:
        return True
    major = media.split("/", 1)[0]
    for pattern in accept:
        pattern = pattern.lower()
        if pattern == "*/*" or pattern == media:
            return True
        if pattern.endswith("/*") and pattern[:-2] == major:
            return True
        if pattern.startswith("+") and media.endswith(pattern):
            return True
    return False


def accept_header(accept: Sequence[str] | None) -> str:
    if not accept:
        return "*/*"
    listed = [a for a in accept if "/" in a]
    return ", ".join([*listed, "*/*;q=0.1"])


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_ts = time.time() if now is None else now
    return max(0.0, when.timestamp() - now_ts)


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def parse_link_header(value: str | None) -> list[tuple[str, str]]:
    """``(url, rel)`` pairs of an HTTP ``Link`` header (RFC 8288), one per relation type."""
    if not value:
        return []
    out: list[tuple[str, str]] = []
    for part in value.split(","):
        part = part.strip()
        if not part.startswith("<") or ">" not in part:
            continue
        url, _, params = part[1:].partition(">")
        for param in params.split(";"):
            key, _, val = param.strip().partition("=")
            if key.strip().lower() == "rel":
                out.extend((url.strip(), r) for r in val.strip().strip("\"'").lower().split())
    return out
