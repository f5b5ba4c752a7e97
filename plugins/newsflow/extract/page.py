"""HTML pages: the main text through trafilatura, metadata from the page, a ``<p>`` fallback."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import trafilatura

from newsflow.decode import EmptyDocumentError
from newsflow.extract.dates import parse_datetime
from newsflow.extract.metadata import page_metadata, parse_tree
from newsflow.extract.patterns import BYLINE_RE
from newsflow.extract.plain import strip_boilerplate
from newsflow.normalize import language_code
from newsflow.records import Extracted
from newsflow.text import clean_inline, collapse_whitespace, repair_backslash_quotes

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
    tree = parse_tree(html)
    page = page_metadata(tree, url)

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
        paragraphs = _fallback_paragraphs(parse_tree(html))
        repairs.append("fallback:lxml-paragraphs")
    if title and paragraphs and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]  # the headline repeated as the first line of the body
    if paragraphs and BYLINE_RE.match(paragraphs[0]) and len(paragraphs) > 1:
        paragraphs = paragraphs[1:]

    text = "\n\n".join(paragraphs)
    text, changed = repair_backslash_quotes(text)
    if changed:
        repairs.append("backslash-quotes")
    paragraphs = strip_boilerplate(text.split("\n\n") if text else [], repairs)

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
