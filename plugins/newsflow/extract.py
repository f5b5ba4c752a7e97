"""Extraction: plain text, HTML pages and JSONL records -> :class:`Extracted`.

Pure functions. Plain text goes through layout heuristics (headline, key takeaways,
trailing boilerplate, a trailing "Sources:" list); HTML goes through trafilatura with a
simple ``<p>`` fallback; JSONL records take their fields and run their text through the
plain-text cleanup.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree

from newsflow.decode import EmptyDocumentError
from newsflow.normalize import (
    clean_inline,
    collapse_whitespace,
    derive_title,
    language_code,
    repair_backslash_quotes,
    split_sentences,
)
from newsflow.records import Extracted

__all__ = [
    "EXTRACTOR_VERSION",
    "extract_html",
    "extract_jsonl_record",
    "extract_text",
    "parse_datetime",
]

#: Bump whenever extraction or normalisation output changes for the same input.
EXTRACTOR_VERSION = "2026.11.1"

# --------------------------------------------------------------------------- line classes

_BOILERPLATE_ANYWHERE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"advertisement",
        r"advert",
        r"sponsored( content)?",
        r"(story|article) continues below( (this )?advertisement)?",
        r"comments?\s*\(\d+\)",
        r"share (this|the) (article|story|post|page)\s*:?",
        r"skip to (main )?content",
        r"back to top",
    )
]

_BOILERPLATE_TRAILING = _BOILERPLATE_ANYWHERE + [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\d+\s+comments?",
        r"comments?\s*:?",
        r"(no|view|show|load|see|read)( all)? comments?( \(\d+\))?",
        r"(leave|post|add|write) a (comment|reply|response)\s*:?",
        r"join the (conversation|discussion)",
        r"(be the )?first to comment\.?",
        r"share (this|the) (article|story|post|page)\b.{0,80}",
        r"share( (on|via) .{1,40})?\s*:?",
        r"(tweet|print|e-?mail|copy link|whatsapp|facebook|twitter|linkedin)",
        r"(like|share) this\s*:?",
        r"related( articles?| stories| posts| content| news| coverage| reading| links)?\s*:?",
        r"(you (may|might) also (like|enjoy)|more from .{1,40}|recommended( for you)?|most (read|popular)|trending( now)?)\s*:?",
        r"read more\b.{0,120}",
        r"read (the )?(full|original) (article|story)\b.{0,80}",
        r"continue reading\b.{0,80}",
        r"click here\b.{0,100}",
        r"(subscribe|sign up)\b.{0,100}",
        r"follow us( on .{1,60})?",
        r"(tags?|topics?|filed under|posted in|categories)\s*:.{0,200}",
        r"(©|\(c\)|copyright\b).{0,150}",
        r"all rights reserved\.?",
    )
]

_SOURCES_HEADER_RE = re.compile(
    r"^(sources?|references?|citations?|further reading|works cited)\s*:?\s*$", re.IGNORECASE
)
_SOURCES_INLINE_RE = re.compile(r"^(sources?|references?)\s*:\s+(.+)$", re.IGNORECASE)
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*•‣▪–—]|\d{1,2}[.)])\s+(.+)$")
_TAKEAWAYS_HEADER_RE = re.compile(
    r"^(key (takeaways?|points|facts)|takeaways?|highlights|at a glance|in brief|summary|"
    r"tl;?dr|the big picture|what to know|what you need to know)\s*:?\s*$",
    re.IGNORECASE,
)
_BYLINE_RE = re.compile(
    r"^(?i:by|written by|words by|reporting by)\s+"
    r"([A-ZÀ-ÞА-Я][\w.'’-]*(?:[ ,]+(?:and\s+|&\s+)?[A-ZÀ-ÞА-Я][\w.'’-]*){0,7})$"
)
_SMALL_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an the and but or nor for so yet of to in on at by with from as into onto over under "
        "than via vs per up off out amid after before about against between near towards toward "
        "is are was were be been its his her their our your it",
    )
)
_TERMINAL_RE = re.compile(r"[.!?…][\"'”’)\]]*$")
_HTML_TAG_RE = re.compile(
    r"</?(p|br|div|span|a|em|strong|b|i|u|h[1-6]|li|ul|ol|blockquote|figure|img)\b[^>]*>",
    re.IGNORECASE,
)

_MAX_HEADLINE_CHARS = 120
_MAX_HEADLINE_WORDS = 16
_MAX_TAKEAWAY_CHARS = 300
_MAX_TAKEAWAYS = 15
_LONG_PARAGRAPH_CHARS = 150
_LONG_PARAGRAPH_WORDS = 20
_MAX_SOURCES = 30
_MAX_SOURCE_CHARS = 250


def _is_boilerplate(line: str, *, trailing: bool) -> bool:
    if len(line) > 200:
        return False
    patterns = _BOILERPLATE_TRAILING if trailing else _BOILERPLATE_ANYWHERE
    stripped = line.strip().strip("|·•»›>").strip()
    return any(p.fullmatch(stripped) for p in patterns)


def _is_list_item(line: str) -> bool:
    return _LIST_ITEM_RE.match(line) is not None


def _is_title_case(line: str) -> bool:
    words = [w.strip("\"'“”‘’()[]") for w in line.split()]
    words = [w for w in words if w]
    if not words or not (words[0][0].isupper() or words[0][0].isdigit()):
        return False
    significant = [w for w in words[1:] if w[0].isalpha() and w.lower() not in _SMALL_WORDS]
    if not significant:
        return True
    capitalised = sum(1 for w in significant if w[0].isupper())
    return capitalised / len(significant) >= 0.6


def _is_heading_like(line: str) -> bool:
    """Short line, no terminal sentence punctuation (?/! allowed), Title-Case-ish."""
    words = line.split()
    if not (2 <= len(words) <= _MAX_HEADLINE_WORDS) or len(line) > _MAX_HEADLINE_CHARS:
        return False
    if line[-1] in ".,;:" or _is_list_item(line) or _BYLINE_RE.match(line):
        return False
    return _is_title_case(line)


def _is_sentence_case_headline(line: str) -> bool:
    """A first line like "Rebels close in on Damascus" (no terminal period, short)."""
    words = line.split()
    return (
        3 <= len(words) <= 14
        and len(line) <= _MAX_HEADLINE_CHARS
        and line[0].isupper()
        and line[-1] not in ".,;:"
        and not _is_list_item(line)
        and not _BYLINE_RE.match(line)
        and len(split_sentences(line)) == 1
    )


def _is_long_paragraph(line: str) -> bool:
    return len(line) >= _LONG_PARAGRAPH_CHARS and len(line.split()) >= _LONG_PARAGRAPH_WORDS


def _bullet_text(line: str) -> str | None:
    match = _LIST_ITEM_RE.match(line)
    return match.group(1).strip() if match else None


def _is_takeaway(line: str) -> bool:
    """A key-takeaway line: one full sentence (or a bullet item), not too long."""
    if len(line) > _MAX_TAKEAWAY_CHARS:
        return False
    if _bullet_text(line) is not None:
        return True
    if len(line) < 20 or not _TERMINAL_RE.search(line):
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "\"“‘'"):
        return False
    return len(split_sentences(line)) == 1


# --------------------------------------------------------------------------- plain text


@dataclass
class _Body:
    paragraphs: list[str]
    title: str | None = None
    byline: str | None = None
    summary_points: list[str] = field(default_factory=list)
    cited_sources: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)


def _add(repairs: list[str], repair: str) -> None:
    if repair not in repairs:
        repairs.append(repair)


def _wrap_width(text: str) -> int | None:
    """The wrap width if paragraphs are blank-line separated and hard-wrapped, else None."""
    if not re.search(r"\n[^\S\n]*\n", text):
        return None
    continued = 0
    ends_sentence = 0
    lengths: list[int] = []
    for block in re.split(r"\n[^\S\n]*\n", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        lengths.extend(len(ln) for ln in lines)
        for line in lines[:-1]:
            if _is_list_item(line):
                continue
            continued += 1
            if _TERMINAL_RE.search(line) or line.endswith(":"):
                ends_sentence += 1
    if continued < 2 or not lengths:
        return None
    lengths.sort()
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    return p90 if p90 <= 100 and ends_sentence / continued < 0.5 else None


def _split_paragraphs(text: str) -> list[str]:
    """Paragraph units: one per line, or one per blank-line block for hard-wrapped text."""
    width = _wrap_width(text)
    if width is None:
        return [collapse_whitespace(ln) for ln in text.split("\n") if ln.strip()]
    units: list[str] = []
    for block in re.split(r"\n[^\S\n]*\n", text):
        current = ""
        for raw in block.split("\n"):
            line = collapse_whitespace(raw)
            if not line:
                continue
            if not current and len(line) < 0.7 * width and _is_heading_like(line):
                units.append(line)  # a heading directly above its paragraph
                continue
            if _is_list_item(line):
                if current:
                    units.append(current)
                current = line
                continue
            if not current:
                current = line
            elif current.endswith("-") and current[-2:-1].isalpha() and line[:1].islower():
                current += line  # a word broken by the wrap: keep the hyphen, no space
            else:
                current += " " + line
        if current:
            units.append(current)
    return units


def _strip_boilerplate(paragraphs: list[str], repairs: list[str]) -> list[str]:
    kept: list[str] = []
    for para in paragraphs:
        if _is_boilerplate(para, trailing=False):
            _add(repairs, f"boilerplate:{para}")
        else:
            kept.append(para)
    while kept and _is_boilerplate(kept[-1], trailing=True):
        _add(repairs, f"boilerplate:{kept.pop()}")
    return kept


def _clean_source_item(item: str) -> str:
    return collapse_whitespace(item).strip(" ;,")


def _is_source_line(line: str) -> bool:
    """An unbulleted item of a sources list: short, not a prose paragraph."""
    return len(line) <= _MAX_SOURCE_CHARS and not _is_long_paragraph(line)


def _split_sources(paragraphs: list[str], repairs: list[str]) -> tuple[list[str], list[str]]:
    """Split off a trailing "Sources:" / "References:" list (bulleted or one item a line)."""
    for header in range(len(paragraphs) - 2, max(-1, len(paragraphs) - 2 - _MAX_SOURCES), -1):
        if not _SOURCES_HEADER_RE.match(paragraphs[header]):
            continue
        tail = paragraphs[header + 1 :]
        if all(_is_list_item(p) or _is_source_line(p) for p in tail):
            items = [_clean_source_item(_bullet_text(p) or p) for p in tail]
            items = [i for i in items if i]
            _add(repairs, f"cited-sources:{len(items)}")
            return paragraphs[:header], items
        break
    if paragraphs:
        inline = _SOURCES_INLINE_RE.match(paragraphs[-1])
        if inline and len(paragraphs[-1]) <= 500:
            raw = inline.group(2)
            parts = re.split(r"\s*[;|]\s*", raw)
            if len(parts) == 1:
                comma_parts = [p for p in re.split(r"\s*,\s*", raw) if p]
                if all(len(p.split()) <= 6 for p in comma_parts):
                    parts = comma_parts
            items = [_clean_source_item(p) for p in parts if p.strip()]
            _add(repairs, f"cited-sources:{len(items)}")
            return paragraphs[:-1], items
    return paragraphs, []


def _find_headline(paragraphs: list[str]) -> int | None:
    """Index of the headline line, or None.

    A headline is a short Title-Case-ish line without terminal punctuation, followed by a
    long paragraph (possibly after a byline), and preceded either by nothing or by a run
    of key-takeaway sentences (at least two, or bullet items).
    """
    limit = min(len(paragraphs) - 1, _MAX_TAKEAWAYS + 2)
    for idx in range(limit):
        line = paragraphs[idx]
        candidate = _is_heading_like(line) or (idx == 0 and _is_sentence_case_headline(line))
        if candidate:
            nxt = idx + 1
            if nxt < len(paragraphs) - 1 and _BYLINE_RE.match(paragraphs[nxt]):
                nxt += 1
            if _is_long_paragraph(paragraphs[nxt]):
                before = [p for p in paragraphs[:idx] if not _TAKEAWAYS_HEADER_RE.match(p)]
                if idx == 0:
                    return idx
                bullets = all(_bullet_text(p) is not None for p in before)
                if before and (len(before) >= 2 or bullets):
                    return idx
        if not (_is_takeaway(line) or _TAKEAWAYS_HEADER_RE.match(line)):
            return None
    return None


def _process_plain(text: str, *, detect_title: bool) -> _Body:
    repairs: list[str] = []
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.lstrip("\ufeff")
    text, changed = repair_backslash_quotes(text)
    if changed:
        _add(repairs, "backslash-quotes")

    paragraphs = _split_paragraphs(text)
    paragraphs = _strip_boilerplate(paragraphs, repairs)
    paragraphs, sources = _split_sources(paragraphs, repairs)
    paragraphs = _strip_boilerplate(paragraphs, repairs)
    body = _Body(paragraphs=paragraphs, cited_sources=sources, repairs=repairs)

    if detect_title:
        idx = _find_headline(paragraphs)
        if idx is not None:
            body.title = paragraphs[idx]
            takeaways = [p for p in paragraphs[:idx] if not _TAKEAWAYS_HEADER_RE.match(p)]
            body.summary_points = [_bullet_text(p) or p for p in takeaways]
            paragraphs = paragraphs[idx + 1 :]
            if body.summary_points:
                _add(repairs, f"summary-points:{len(body.summary_points)}")
    if paragraphs:
        byline = _BYLINE_RE.match(paragraphs[0])
        if byline and len(paragraphs) > 1:
            body.byline = byline.group(1).strip()
            paragraphs = paragraphs[1:]
    body.paragraphs = paragraphs
    return body


def extract_text(text: str) -> Extracted:
    """Extract an article from a plain-text document (extractor ``text-heuristics``).

    Finds a headline (after an optional run of key-takeaway sentences, which become
    ``summary_points``), removes trailing boilerplate, splits off a trailing "Sources:"
    list into ``cited_sources`` and repairs backslash-escaped quotes. Without a headline
    the title is derived from the first sentence (``title_derived=True``).
    """
    if not text or not text.strip():
        raise EmptyDocumentError("empty document: the text holds only whitespace")
    body = _process_plain(text, detect_title=True)
    joined = "\n\n".join(body.paragraphs)
    title = body.title
    derived = False
    if not title:
        title = derive_title(joined) or None
        derived = title is not None
    return Extracted(
        text=joined,
        title=title,
        title_derived=derived,
        byline=body.byline,
        summary_points=body.summary_points,
        cited_sources=body.cited_sources,
        repairs=body.repairs,
        extractor="text-heuristics",
    )


# --------------------------------------------------------------------------- dates


def parse_datetime(value: str) -> datetime:
    """Parse ISO 8601 (``2024-12-07``, ``2024-12-07T09:30:00Z`` ...) or RFC 2822.

    A value without a timezone is taken to be UTC. The result is always UTC.
    Raises ValueError if the value is neither.
    """
    raw = value.strip()
    if not raw:
        raise ValueError("empty date")
    iso = raw
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)  # +0100 -> +01:00
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        raise ValueError(f"not an ISO 8601 or RFC 2822 date: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# --------------------------------------------------------------------------- HTML

_DATE_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "date_published",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.issued",
    "dcterms.created",
    "article.published",
    "date",
)


def _parse_tree(html: str) -> Any:
    cleaned = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    try:
        return lxml.html.document_fromstring(cleaned)
    except (etree.ParserError, ValueError):
        return None


def _meta_map(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        value = meta.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _json_ld_objects(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError):
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if "@graph" in item:
                    stack.append(item["@graph"])


@dataclass
class _PageMeta:
    published_at: datetime | None = None
    canonical_url: str | None = None
    language: str | None = None
    title: str | None = None
    byline: str | None = None
    sitename: str | None = None


def _page_metadata(tree: Any, url: str | None) -> _PageMeta:
    info = _PageMeta()
    if tree is None:
        return info
    metas = _meta_map(tree)
    ld = list(_json_ld_objects(tree))

    for key in _DATE_META_KEYS:
        if key in metas:
            try:
                info.published_at = parse_datetime(metas[key])
                break
            except ValueError:
                continue
    if info.published_at is None:
        for obj in ld:
            value = obj.get("datePublished")
            if isinstance(value, str):
                try:
                    info.published_at = parse_datetime(value)
                    break
                except ValueError:
                    continue
    if info.published_at is None:
        for time_el in tree.iter("time"):
            marker = " ".join(
                filter(
                    None, [time_el.get("itemprop"), time_el.get("class"), time_el.get("pubdate")]
                )
            ).lower()
            value = time_el.get("datetime")
            if value and (
                "published" in marker
                or "datepublished" in marker
                or "pubdate" in marker
                or time_el.get("pubdate") is not None
            ):
                try:
                    info.published_at = parse_datetime(value)
                    break
                except ValueError:
                    continue

    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = link.get("href")
        if "canonical" in rel and href and href.strip():
            info.canonical_url = urljoin(url or "", href.strip())
            break
    if info.canonical_url is None and metas.get("og:url"):
        info.canonical_url = urljoin(url or "", metas["og:url"])

    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    lang = lang or metas.get("content-language") or metas.get("og:locale")
    if not lang:
        for meta in tree.iter("meta"):
            if (meta.get("http-equiv") or "").lower() == "content-language" and meta.get("content"):
                lang = meta.get("content")
                break
    info.language = lang.strip() if lang else None

    title_el = tree.find(".//title")
    info.title = metas.get("og:title") or (
        clean_inline(title_el.text_content()) if title_el is not None else None
    )
    info.byline = metas.get("author") or metas.get("article:author")
    if info.byline and info.byline.startswith(("http://", "https://")):
        info.byline = None
    if not info.byline:
        for obj in ld:
            author = obj.get("author")
            candidates: list[Any] = author if isinstance(author, list) else [author]
            names: list[str] = []
            for candidate in candidates:
                name = candidate.get("name") if isinstance(candidate, dict) else candidate
                if isinstance(name, str) and name.strip():
                    names.append(name.strip())
            if names:
                info.byline = "; ".join(names)
                break
    info.sitename = metas.get("og:site_name") or metas.get("application-name")
    return info


_FALLBACK_DROP = (
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "template",
)


def _fallback_paragraphs(tree: Any) -> list[str]:
    if tree is None:
        return []
    body = tree.find(".//body")
    root = body if body is not None else tree
    for tag in _FALLBACK_DROP:
        for el in list(root.iter(tag)):
            el.drop_tree()
    paragraphs = [clean_inline(p.text_content()) for p in root.iter("p")]
    kept = [p for p in paragraphs if p]
    if not kept:
        text = root.text_content() if hasattr(root, "text_content") else ""
        kept = [line for line in (collapse_whitespace(ln) for ln in text.split("\n")) if line]
    return kept


def _strip_site_suffix(title: str, sitename: str | None) -> str:
    if not sitename:
        return title
    for sep in (" | ", " - ", " — ", " – ", " :: ", " · "):
        suffix = sep + sitename
        if title.lower().endswith(suffix.lower()) and len(title) > len(suffix):
            return title[: -len(suffix)].strip()
    return title


def _url_date(url: str | None, date: str) -> bool:
    if not url:
        return False
    year, month, day = date[:4], date[5:7], date[8:10]
    path = urlsplit(url).path
    return bool(re.search(rf"{year}[/_-]?{month}[/_-]?{day}", path))


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Extract an article and its metadata from an HTML page (trafilatura 2.x).

    Falls back to the page's ``<p>`` elements (lxml) when trafilatura finds no text, and
    records ``fallback:lxml-paragraphs`` in repairs. ``published_at`` comes only from the
    page (meta tags, JSON-LD, ``<time>``, or trafilatura's htmldate without guessing from
    free text); a page without a date has ``published_at=None`` - never the fetch time.
    """
    if not html or not html.strip():
        raise EmptyDocumentError("empty HTML document")
    repairs: list[str] = []
    tree = _parse_tree(html)
    page = _page_metadata(tree, url)

    doc: Any = None
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            favor_precision=True,
            date_extraction_params={"original_date": True, "extensive_search": False},
        )
    except Exception as exc:  # trafilatura can raise on pathological markup
        repairs.append(f"trafilatura-error: {type(exc).__name__}")
        doc = None

    raw_text = (getattr(doc, "text", None) or "") if doc is not None else ""
    title = clean_inline(getattr(doc, "title", None)) or clean_inline(page.title)
    sitename = clean_inline(getattr(doc, "sitename", None)) or clean_inline(page.sitename)
    if title:
        title = _strip_site_suffix(title, sitename)

    lines = [collapse_whitespace(ln) for ln in raw_text.split("\n")]
    paragraphs = [ln for ln in lines if ln]
    if not paragraphs:
        paragraphs = _fallback_paragraphs(_parse_tree(html))
        repairs.append("fallback:lxml-paragraphs")
    if title and paragraphs and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]  # the headline repeated as the first line of the body
    if paragraphs and _BYLINE_RE.match(paragraphs[0]) and len(paragraphs) > 1:
        paragraphs = paragraphs[1:]

    text = "\n\n".join(paragraphs)
    text, changed = repair_backslash_quotes(text)
    if changed:
        repairs.append("backslash-quotes")
    paragraphs = _strip_boilerplate(text.split("\n\n") if text else [], repairs)

    published_at = page.published_at
    published_source: str | None = "page-metadata" if published_at else None
    doc_date = getattr(doc, "date", None) if doc is not None else None
    if published_at is None and isinstance(doc_date, str) and doc_date:
        try:
            published_at = parse_datetime(doc_date)
            published_source = "url" if _url_date(url, doc_date) else "page-metadata"
        except ValueError:
            published_at = None

    canonical = page.canonical_url
    doc_url = getattr(doc, "url", None) if doc is not None else None
    if canonical is None and doc_url and doc_url != url:
        canonical = doc_url

    byline = clean_inline(getattr(doc, "author", None) if doc is not None else None)
    byline = byline or clean_inline(page.byline)
    raw_language = page.language or (getattr(doc, "language", None) if doc is not None else None)
    language = language_code(raw_language)

    return Extracted(
        text="\n\n".join(paragraphs),
        title=title,
        title_derived=False,
        byline=byline,
        published_at=published_at,
        published_at_source=published_source,
        language=language,
        url=url,
        canonical_url=canonical,
        source=sitename,
        repairs=repairs,
        extractor="trafilatura",
    )


# --------------------------------------------------------------------------- JSONL


def _optional_str(obj: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = obj.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"JSONL field {key!r} must be a string, got {type(value).__name__}")
        if value.strip():
            return value.strip()
    return None


def _html_to_text(text: str) -> str:
    """Paragraph text from an HTML fragment (for JSONL text fields holding markup)."""
    marked = re.sub(r"(?i)<br\s*/?>", "\n", text)
    marked = re.sub(r"(?i)</(p|div|h[1-6]|li|blockquote)>", "\n", marked)
    try:
        fragment = lxml.html.fragment_fromstring(marked, create_parent="div")
        plain = str(fragment.text_content())
    except (etree.ParserError, ValueError):
        plain = re.sub(r"<[^>]+>", " ", marked)
    return html_lib.unescape(plain)


def extract_jsonl_record(obj: dict[str, Any]) -> Extracted:
    """Extract an article from one parsed JSONL line (extractor ``jsonl``).

    Keys: ``text`` (required), ``title``, ``url``, ``published_at`` (ISO 8601 or RFC 2822),
    ``source``, and optionally ``author``/``byline`` and ``language``/``lang``. The text runs
    through the plain-text cleanup; headline detection only when no title is given.
    Raises ValueError (with the field named) for a missing or non-string text, a
    non-string optional field or an unparseable ``published_at``.
    """
    if not isinstance(obj, dict):
        raise ValueError(f"JSONL record must be an object, got {type(obj).__name__}")
    text = obj.get("text")
    if text is None:
        raise ValueError("JSONL record has no 'text' field")
    if not isinstance(text, str):
        raise ValueError(f"JSONL field 'text' must be a string, got {type(text).__name__}")
    if not text.strip():
        raise EmptyDocumentError("JSONL field 'text' is empty")

    title = _optional_str(obj, "title")
    url = _optional_str(obj, "url")
    source = _optional_str(obj, "source")
    byline = _optional_str(obj, "author", "byline")
    language = _optional_str(obj, "language", "lang")

    published_at: datetime | None = None
    raw_date = obj.get("published_at")
    if raw_date is not None and raw_date != "":
        if not isinstance(raw_date, str):
            raise ValueError(
                f"JSONL field 'published_at' must be an ISO 8601 or RFC 2822 string, "
                f"got {type(raw_date).__name__}"
            )
        try:
            published_at = parse_datetime(raw_date)
        except ValueError as exc:
            raise ValueError(f"JSONL field 'published_at': {exc}") from exc

    repairs: list[str] = []
    if _HTML_TAG_RE.search(text):
        text = _html_to_text(text)
        repairs.append("html-in-text")
    elif re.search(r"&(amp|lt|gt|quot|#\d+|#x[0-9a-f]+|nbsp|rsquo|ldquo|rdquo);", text, re.I):
        text = html_lib.unescape(text)
        repairs.append("html-entities")

    body = _process_plain(text, detect_title=title is None)
    for repair in body.repairs:
        _add(repairs, repair)
    joined = "\n\n".join(body.paragraphs)
    if not joined:
        raise EmptyDocumentError("JSONL field 'text' holds no article text after cleanup")
    derived = False
    if title is None:
        title = body.title
    if title is None:
        title = derive_title(joined) or None
        derived = title is not None
    title, changed = repair_backslash_quotes(title) if title else (title, False)
    if changed:
        _add(repairs, "backslash-quotes")

    return Extracted(
        text=joined,
        title=title,
        title_derived=derived,
        byline=byline or body.byline,
        published_at=published_at,
        published_at_source="jsonl" if published_at else None,
        language=language,
        url=url,
        canonical_url=None,
        source=source,
        summary_points=body.summary_points,
        cited_sources=body.cited_sources,
        repairs=repairs,
        extractor="jsonl",
    )
