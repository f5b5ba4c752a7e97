"""Plain-text documents: layout heuristics that recover an article's structure.

A ``.txt`` file has no markup, so the headline, key takeaways, byline, trailing boilerplate
and a trailing "Sources:" list are recognised from the layout of its lines (see
:mod:`newsflow.extract.patterns`). JSONL text fields go through the same cleanup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newsflow.decode import EmptyDocumentError
from newsflow.extract import dates
from newsflow.extract.patterns import (
    BYLINE_RE,
    MAX_SOURCE_CHARS,
    MAX_SOURCES,
    MAX_TAKEAWAYS,
    SOURCES_HEADER_RE,
    SOURCES_INLINE_RE,
    TAKEAWAYS_HEADER_RE,
    TERMINAL_RE,
    bullet_text,
    is_boilerplate,
    is_heading_like,
    is_list_item,
    is_long_paragraph,
    is_sentence_case_headline,
    is_takeaway,
)
from newsflow.records import DocumentContext, Extracted
from newsflow.text import collapse_whitespace, derive_title, repair_backslash_quotes


@dataclass
class PlainBody:
    paragraphs: list[str]
    title: str | None = None
    byline: str | None = None
    summary_points: list[str] = field(default_factory=list)
    cited_sources: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)


def add_repair(repairs: list[str], repair: str) -> None:
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
            if is_list_item(line):
                continue
            continued += 1
            if TERMINAL_RE.search(line) or line.endswith(":"):
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
            if not current and len(line) < 0.7 * width and is_heading_like(line):
                units.append(line)  # a heading directly above its paragraph
                continue
            if is_list_item(line):
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


def strip_boilerplate(paragraphs: list[str], repairs: list[str]) -> list[str]:
    kept: list[str] = []
    for para in paragraphs:
        if is_boilerplate(para, trailing=False):
            add_repair(repairs, f"boilerplate:{para}")
        else:
            kept.append(para)
    while kept and is_boilerplate(kept[-1], trailing=True):
        add_repair(repairs, f"boilerplate:{kept.pop()}")
    return kept


def _clean_source_item(item: str) -> str:
    return collapse_whitespace(item).strip(" ;,")


def _is_source_line(line: str) -> bool:
    """An unbulleted item of a sources list: short, not a prose paragraph."""
    return len(line) <= MAX_SOURCE_CHARS and not is_long_paragraph(line)


def _split_sources(paragraphs: list[str], repairs: list[str]) -> tuple[list[str], list[str]]:
    """Split off a trailing "Sources:" / "References:" list (bulleted or one item a line)."""
    for header in range(len(paragraphs) - 2, max(-1, len(paragraphs) - 2 - MAX_SOURCES), -1):
        if not SOURCES_HEADER_RE.match(paragraphs[header]):
            continue
        tail = paragraphs[header + 1 :]
        if all(is_list_item(p) or _is_source_line(p) for p in tail):
            items = [_clean_source_item(bullet_text(p) or p) for p in tail]
            items = [i for i in items if i]
            add_repair(repairs, f"cited-sources:{len(items)}")
            return paragraphs[:header], items
        break
    if paragraphs:
        inline = SOURCES_INLINE_RE.match(paragraphs[-1])
        if inline and len(paragraphs[-1]) <= 500:
            raw = inline.group(2)
            parts = re.split(r"\s*[;|]\s*", raw)
            if len(parts) == 1:
                comma_parts = [p for p in re.split(r"\s*,\s*", raw) if p]
                if all(len(p.split()) <= 6 for p in comma_parts):
                    parts = comma_parts
            items = [_clean_source_item(p) for p in parts if p.strip()]
            add_repair(repairs, f"cited-sources:{len(items)}")
            return paragraphs[:-1], items
    return paragraphs, []


def _find_headline(paragraphs: list[str]) -> int | None:
    """Index of the headline line, or None.

    A headline is a short Title-Case-ish line without terminal punctuation, followed by a
    long paragraph (possibly after a byline), and preceded either by nothing or by a run
    of key-takeaway sentences (at least two, or bullet items).
    """
    limit = min(len(paragraphs) - 1, MAX_TAKEAWAYS + 2)
    for idx in range(limit):
        line = paragraphs[idx]
        candidate = is_heading_like(line) or (idx == 0 and is_sentence_case_headline(line))
        if candidate:
            nxt = idx + 1
            if nxt < len(paragraphs) - 1 and BYLINE_RE.match(paragraphs[nxt]):
                nxt += 1
            if is_long_paragraph(paragraphs[nxt]):
                before = [p for p in paragraphs[:idx] if not TAKEAWAYS_HEADER_RE.match(p)]
                if idx == 0:
                    return idx
                bullets = all(bullet_text(p) is not None for p in before)
                if before and (len(before) >= 2 or bullets):
                    return idx
        if not (is_takeaway(line) or TAKEAWAYS_HEADER_RE.match(line)):
            return None
    return None


def process_plain(text: str, *, detect_title: bool) -> PlainBody:
    repairs: list[str] = []
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.lstrip("\ufeff")
    text, changed = repair_backslash_quotes(text)
    if changed:
        add_repair(repairs, "backslash-quotes")

    paragraphs = _split_paragraphs(text)
    paragraphs = strip_boilerplate(paragraphs, repairs)
    paragraphs, sources = _split_sources(paragraphs, repairs)
    paragraphs = strip_boilerplate(paragraphs, repairs)
    body = PlainBody(paragraphs=paragraphs, cited_sources=sources, repairs=repairs)

    if detect_title:
        idx = _find_headline(paragraphs)
        if idx is not None:
            body.title = paragraphs[idx]
            takeaways = [p for p in paragraphs[:idx] if not TAKEAWAYS_HEADER_RE.match(p)]
            body.summary_points = [bullet_text(p) or p for p in takeaways]
            paragraphs = paragraphs[idx + 1 :]
            if body.summary_points:
                add_repair(repairs, f"summary-points:{len(body.summary_points)}")
    if paragraphs:
        byline = BYLINE_RE.match(paragraphs[0])
        if byline and len(paragraphs) > 1:
            body.byline = byline.group(1).strip()
            paragraphs = paragraphs[1:]
    body.paragraphs = paragraphs
    return body


def text_dates(
    text: str,
    context: DocumentContext | None,
    repairs: list[str],
    stated: tuple[str, Any] | None = None,
) -> tuple[datetime | None, str | None]:
    """Publication date of a text document: ``stated`` (a JSONL field), a ``dateline`` date
    at the start of the text, the ``inbox-folder`` date, in that order of trust (see
    :mod:`newsflow.extract.dates`). Never the ingestion time."""
    context = context or DocumentContext()
    candidates: list[tuple[str, datetime | None]] = [stated] if stated else []
    candidates.append(("dateline", dates.dateline_date(text)))
    candidates.append(("inbox-folder", dates.day_start(context.inbox_date())))
    return dates.resolve(candidates, repairs, context.fetched_at)


def extract_text(text: str, *, context: DocumentContext | None = None) -> Extracted:
    """Extract an article from a plain-text document (extractor ``text-heuristics``).

    Finds a headline (after an optional run of key-takeaway sentences, which become
    ``summary_points``), removes trailing boilerplate, splits off a trailing "Sources:"
    list into ``cited_sources`` and repairs backslash-escaped quotes. Without a headline
    the title is derived from the first sentence (``title_derived=True``). The publication
    date is a dateline date, else the inbox folder's (:func:`text_dates`).
    """
    if not text or not text.strip():
        raise EmptyDocumentError("empty document: the text holds only whitespace")
    body = process_plain(text, detect_title=True)
    joined = "\n\n".join(body.paragraphs)
    published_at, published_source = text_dates(joined, context, body.repairs)
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
        published_at=published_at,
        published_at_source=published_source,
        url=context.url if context else None,
        summary_points=body.summary_points,
        cited_sources=body.cited_sources,
        repairs=body.repairs,
        extractor="text-heuristics",
    )
