"""JSONL records: one article per line, its fields taken as given, its text cleaned up."""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime
from typing import Any

import lxml.html
from lxml import etree

from newsflow.decode import EmptyDocumentError
from newsflow.extract.dates import parse_datetime
from newsflow.extract.patterns import HTML_TAG_RE
from newsflow.extract.plain import add_repair, process_plain, text_dates
from newsflow.records import DocumentContext, Extracted
from newsflow.text import derive_title, repair_backslash_quotes


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


def extract_jsonl_record(
    obj: dict[str, Any], *, context: DocumentContext | None = None
) -> Extracted:
    """Extract an article from one parsed JSONL line (extractor ``jsonl``).

    Keys: ``text`` (required), ``title``, ``url``, ``published_at`` (ISO 8601 or RFC 2822),
    ``source``, and optionally ``author``/``byline`` and ``language``/``lang``. The text runs
    through the plain-text cleanup; headline detection only when no title is given.
    Raises ValueError (with the field named) for a missing or non-string text, a
    non-string optional field or an unparseable ``published_at``. A parseable but impossible
    ``published_at`` (a placeholder such as ``0001-01-01``) is dropped with a repair, and the
    date comes from the text's dateline or the inbox folder (:func:`~.plain.text_dates`).
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
    if HTML_TAG_RE.search(text):
        text = _html_to_text(text)
        repairs.append("html-in-text")
    elif re.search(r"&(amp|lt|gt|quot|#\d+|#x[0-9a-f]+|nbsp|rsquo|ldquo|rdquo);", text, re.I):
        text = html_lib.unescape(text)
        repairs.append("html-entities")

    body = process_plain(text, detect_title=title is None)
    for repair in body.repairs:
        add_repair(repairs, repair)
    joined = "\n\n".join(body.paragraphs)
    if not joined:
        raise EmptyDocumentError("JSONL field 'text' holds no article text after cleanup")
    # A stated date that cannot be a publication date (0001-01-01) is dropped, not fatal.
    published_at, published_source = text_dates(
        joined, context, repairs, ("jsonl", published_at) if published_at else None
    )
    derived = False
    if title is None:
        title = body.title
    if title is None:
        title = derive_title(joined) or None
        derived = title is not None
    title, changed = repair_backslash_quotes(title) if title else (title, False)
    if changed:
        add_repair(repairs, "backslash-quotes")

    return Extracted(
        text=joined,
        title=title,
        title_derived=derived,
        byline=byline or body.byline,
        published_at=published_at,
        published_at_source=published_source,
        language=language,
        url=url,
        canonical_url=None,
        source=source,
        summary_points=body.summary_points,
        cited_sources=body.cited_sources,
        repairs=repairs,
        extractor="jsonl",
    )
