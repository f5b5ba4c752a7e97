"""Feed parsing (RSS 0.9x/1.0/2.0, Atom) and the feed polling policy.

``feedparser`` only ever sees bytes that :mod:`newsflow.fetch` downloaded: it is handed a
``BytesIO`` (a bare ``bytes`` argument could be taken for a file name or URL by
feedparser), so it never opens a URL or a file itself.

Policy helpers used by the feed DAG:

* :func:`classify_failure` -> ('hard' | 'soft' | 'temporary', weight 1.0 / 0.5 / 0.25)
  for ``feeds.failure_score``;
* :func:`next_poll_interval` adapts ``feeds.poll_interval_seconds`` within the bounds of
  the settings (``NEWSFLOW_FEED_MIN_INTERVAL`` / ``NEWSFLOW_FEED_MAX_INTERVAL``), from the
  share of entries already seen and the pace at which the feed publishes
  (:func:`publication_gap`);
* :func:`should_pause` says when a feed is paused automatically.
"""

from __future__ import annotations

import html
import io
import json
import re
import xml.etree.ElementTree as ET
from calendar import timegm
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from newsflow.decode import XML_ENCODING_RE, mostly_utf8
from newsflow.normalize import MAX_URL_CHARS
from newsflow.text import make_encodable

SUMMARY_MAX_CHARS = 2000


@dataclass
class FeedEntry:
    url: str  # absolute http(s) URL (relative links resolved against xml:base / the feed URL)
    title: str | None = None
    published_at: datetime | None = None  # aware UTC (published, else updated)
    author: str | None = None
    summary: str | None = None  # plain text
    entry_id: str | None = None  # guid / atom:id, else the URL


@dataclass
class ParsedFeed:
    title: str | None = None
    link: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    bozo: bool = False  # feedparser found the document malformed
    bozo_reason: str | None = None
    fatal: bool = False  # not a usable feed at all (no entries can be trusted)
    version: str | None = None  # 'rss20', 'rss10', 'atom10', ... ('' / None: unknown)
    skipped: int = 0  # entries dropped: no usable http(s) link, or duplicates
    hubs: list[str] = field(default_factory=list)  # WebSub hubs (<link rel="hub">)
    self_url: str | None = None  # the feed's own URL as it declares it (rel="self")


class _TextExtractor(HTMLParser):
    _BLOCK = {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
    _SKIP = {"script", "style", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(value: str | None) -> str | None:
    """Strip tags, unescape entities and collapse white space; None for empty."""
    if not value:
        return None
    if "<" in value or "&" in value:
        parser = _TextExtractor()
        try:
            parser.feed(value)
            parser.close()
            value = "".join(parser.parts)
        except Exception:  # malformed markup: fall back to a crude strip
            value = html.unescape(re.sub(r"<[^>]*>", " ", value))
    # NUL and other control characters cannot be stored (one in one entry failed the whole
    # feed's transaction); lone surrogates become U+FFFD
    value = re.sub(r"\s+", " ", make_encodable(value)[0]).strip()
    return value or None


def _struct_to_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _http_url(candidate: str | None, base: str) -> str | None:
    if not candidate:
        return None
    candidate = candidate.strip()
    if make_encodable(candidate)[1] or any(ch.isspace() for ch in candidate):
        return None  # control characters or white space inside: not a usable address
    if len(candidate) > MAX_URL_CHARS:
        return None  # no server takes it, and Postgres could not index it
    try:
        absolute = urljoin(base, candidate) if base else candidate
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def _entry_link(entry: Any) -> str | None:
    link = entry.get("link")
    if link:
        return str(link)
    for item in entry.get("links") or []:
        if item.get("rel", "alternate") == "alternate" and item.get("href"):
            return str(item["href"])
    guid = entry.get("id")
    if guid and entry.get("guidislink", False):
        return str(guid)
    if guid and str(guid).startswith(("http://", "https://")):
        return str(guid)
    return None


def _sniff_not_a_feed(body: bytes) -> str | None:
    """A clear reason when the body plainly is something other than a feed."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "empty body"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]:
        return "not a feed: the body is an HTML page"
    if head[:1] in (b"{", b"["):
        try:
            json.loads(body.decode("utf-8", "replace"))
            return "not a feed: the body is JSON"
        except ValueError:
            pass
    if not head.startswith(b"<"):
        return "not a feed: the body is not XML"
    return None


# A character reference to a UTF-16 surrogate (&#55357;&#56832; for U+1F600, as some CMSs
# write emoji): feedparser crashes on it, losing the whole feed.
_SURROGATE_REF_RE = re.compile(rb"&#(?:[xX](d[89a-fA-F][0-9a-fA-F]{2})|(5[5-7][0-9]{3}));", re.I)


def _surrogate(match: re.Match[bytes]) -> int | None:
    """The surrogate code unit a reference names, or None for any other character."""
    if match.group(1):
        return int(match.group(1), 16)
    value = int(match.group(2))
    return value if 0xD800 <= value <= 0xDFFF else None


def _repair_surrogate_refs(body: bytes) -> bytes:
    """Pairs of surrogate references joined into the character they encode (``&#x1F600;``),
    a lone one replaced by U+FFFD (``&#xFFFD;``)."""
    if b"&#" not in body or _SURROGATE_REF_RE.search(body) is None:
        return body
    out, last = [], 0
    matches = list(_SURROGATE_REF_RE.finditer(body))
    skip = False
    for i, m in enumerate(matches):
        if skip:
            skip = False
            continue
        unit = _surrogate(m)
        if unit is None:
            continue
        out.append(body[last : m.start()])
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        low = _surrogate(nxt) if nxt is not None and nxt.start() == m.end() else None
        if 0xD800 <= unit <= 0xDBFF and low is not None and 0xDC00 <= low <= 0xDFFF:
            code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            out.append(b"&#x%X;" % code)
            last = nxt.end()  # type: ignore[union-attr]
            skip = True
        else:
            out.append(b"&#xFFFD;")
            last = m.end()
    out.append(body[last:])
    return b"".join(out)


def _repair_utf8(body: bytes, headers: dict[str, str]) -> bytes:
    """A UTF-8 feed (declared so, or undeclared) with a few invalid bytes, its invalid bytes
    replaced by U+FFFD: feedparser would otherwise decode the whole document as windows-1252
    and garble every entry for one bad byte."""
    match = XML_ENCODING_RE.search(body[:512])
    declared = match.group(1).decode("ascii").lower() if match else None
    charset = re.search(r"charset=([^;\s]+)", headers.get("content-type", ""), re.I)
    stated = charset.group(1).strip("\"'").lower() if charset else None
    if any(e not in (None, "utf-8", "utf8") for e in (declared, stated)):
        return body
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        pass
    damaged = mostly_utf8(body)
    return body if damaged is None else damaged[0].encode("utf-8")


def _benign(exc: object) -> bool:
    """feedparser warnings that do not make a document unusable."""
    return isinstance(
        exc,
        feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType,
    )


def parse_feed(body: bytes, *, base_url: str, headers: dict[str, str] | None = None) -> ParsedFeed:
    """Parse feed bytes fetched from ``base_url``; never raises for bad input.

    ``headers`` are the HTTP response headers (content type / charset help the decoder).
    A malformed but recoverable feed keeps its entries (``bozo`` True, ``fatal`` False);
    anything that is not a feed gives ``fatal`` True with a reason and no entries.
    """
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers["content-location"] = base_url
    response_headers.setdefault("content-type", "application/xml")
    if body is None or not body.strip():
        return ParsedFeed(fatal=True, bozo=True, bozo_reason="empty body")
    body = _repair_surrogate_refs(_repair_utf8(body, response_headers))
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=response_headers,
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    except Exception as exc:  # feedparser is defensive, but be sure
        return ParsedFeed(fatal=True, bozo=True, bozo_reason=f"parser crashed: {exc!r}")

    version = parsed.get("version") or ""
    bozo = bool(parsed.get("bozo"))
    bozo_exc = parsed.get("bozo_exception")
    bozo_reason = (
        f"{type(bozo_exc).__name__}: {bozo_exc}" if bozo and bozo_exc is not None else None
    )
    feed_meta = parsed.get("feed") or {}
    raw_entries = parsed.get("entries") or []

    sniffed = _sniff_not_a_feed(body)
    if not version and (not raw_entries or sniffed):
        reason = sniffed or "not a recognised RSS/Atom feed"
        if bozo_reason and not sniffed:
            reason = f"{reason} ({bozo_reason})"
        return ParsedFeed(fatal=True, bozo=True, bozo_reason=reason, version=version or None)
    feed_link = _http_url(feed_meta.get("link"), base_url)
    result = ParsedFeed(
        title=html_to_text(feed_meta.get("title")),
        link=feed_link,
        bozo=bozo,
        bozo_reason=bozo_reason,
        version=version or None,
    )
    for link in feed_meta.get("links") or []:
        rel, href = (link.get("rel") or "").lower(), _http_url(link.get("href"), base_url)
        if href and rel == "hub" and href not in result.hubs:
            result.hubs.append(href)
        elif href and rel == "self" and result.self_url is None:
            result.self_url = href
    seen: set[str] = set()
    for entry in raw_entries:
        url = _http_url(_entry_link(entry), base_url)
        if url is None:
            result.skipped += 1
            continue
        entry_id = make_encodable(str(entry.get("id") or "").strip())[0] or url
        key = entry_id
        if key in seen or url in seen:
            result.skipped += 1
            continue
        seen.update((key, url))
        summary = html_to_text(entry.get("summary") or entry.get("description"))
        if summary and len(summary) > SUMMARY_MAX_CHARS:
            summary = summary[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"
        result.entries.append(
            FeedEntry(
                url=url,
                title=html_to_text(entry.get("title")),
                published_at=_struct_to_utc(
                    entry.get("published_parsed")
                    or entry.get("updated_parsed")
                    or entry.get("created_parsed")
                ),
                author=html_to_text(entry.get("author")),
                summary=summary,
                entry_id=entry_id,
            )
        )
    if bozo and not result.entries and not raw_entries and not _benign(bozo_exc):
        # Broken XML (truncated, not well-formed) and nothing recovered.
        result.fatal = True
        result.bozo_reason = f"malformed feed, no entries recovered ({bozo_reason})"
    return result


def parse_opml(body: bytes) -> list[tuple[str, str | None]]:
    """``(xmlUrl, title)`` of every outline (nested ones too); http(s) only, deduplicated.

    Raises ValueError when the body is not OPML.  Documents declaring entities are
    refused outright (no entity expansion, no external entities).
    """
    if re.search(rb"<!ENTITY", body[:65536], re.I):
        raise ValueError("OPML with entity declarations is refused")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(f"not an OPML document: {exc}") from exc
    if root.tag.lower() != "opml":
        raise ValueError(f"not an OPML document: root element <{root.tag}>")
    feeds: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if not url or urlsplit(url).scheme.lower() not in ("http", "https"):
            continue
        if url in seen:
            continue
        seen.add(url)
        title = (attrs.get("title") or attrs.get("text") or "").strip() or None
        feeds.append((url, title))
    return feeds
