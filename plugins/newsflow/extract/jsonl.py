"""JSONL records: one article per line, its fields taken as given, its text cleaned up."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime
from typing import Any

import lxml.html
from lxml import etree

from newsflow.decode import EmptyDocumentError
from newsflow.extract.dates import parse_datetime
from newsflow.extract.patterns import HTML_TAG_RE
from newsflow.extract.plain import add_repair, process_plain, text_dates
from newsflow.records import DocumentContext, Extracted
from newsflow.text import derive_title, repair_backslash_quotes


def _optional_str(obj: dict[str, Any], repairs: list[str], *keys: str) -> str | None:
    """The first non-empty of ``keys`` as a string. A broken optional field never costs the
    article: a list of strings is joined (``field-joined:<key>``, several authors), a number
    is written out (``field-coerced:<key>``), anything else is dropped
    (``field-dropped:<key>: <type>``); each repair is recorded."""
    for key in keys:
        value = obj.get(key)
        if value is None:
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(v.strip() for v in value if v.strip())
            if value:
                add_repair(repairs, f"field-joined:{key}")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
            add_repair(repairs, f"field-coerced:{key}")
        elif not isinstance(value, str):
            add_repair(repairs, f"field-dropped:{key}: a {type(value).__name__}, not a string")
            continue
        if value.strip():
            return value.strip()
    return None


# Epoch numbers above this are milliseconds (in seconds it would be past the year 5000).
_EPOCH_MS_FROM = 100_000_000_000


def _stated_date(raw: Any, repairs: list[str]) -> datetime | None:
    """``published_at`` as given: an ISO 8601 or RFC 2822 string, or an epoch number (seconds
    or milliseconds, ``date-from-epoch``). One that cannot be read is dropped with its repair
    (``date-dropped:jsonl: ...``), never the article: the date then comes from the text."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = raw / 1000 if abs(raw) >= _EPOCH_MS_FROM else raw
        try:
            stated = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            add_repair(repairs, f"date-dropped:jsonl: {raw!r} is no epoch time")
            return None
        add_repair(repairs, "date-from-epoch")
        return stated
    if not isinstance(raw, str):
        add_repair(repairs, f"date-dropped:jsonl: a {type(raw).__name__}, not a date")
        return None
    try:
        return parse_datetime(raw)
    except ValueError as exc:
        add_repair(repairs, f"date-dropped:jsonl: {exc}")
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
    Raises ValueError (with the field named) for a record that is not an object or a missing
    or non-string text: without its text there is no article. A broken optional field is
    repaired or dropped, with the repair recorded (:func:`_optional_str`, :func:`_stated_date`);
    a parseable but impossible ``published_at`` (a placeholder such as ``0001-01-01``) is
    dropped too, and the date then comes from the text's dateline or the inbox folder
    (:func:`~.plain.text_dates`).
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

    repairs: list[str] = []
    title = _optional_str(obj, repairs, "title")
    url = _optional_str(obj, repairs, "url")
    source = _optional_str(obj, repairs, "source")
    byline = _optional_str(obj, repairs, "author", "byline")
    language = _optional_str(obj, repairs, "language", "lang")
    published_at = _stated_date(obj.get("published_at"), repairs)

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
