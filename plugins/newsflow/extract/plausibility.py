"""Is an extraction result plausibly the article? A measurable rule, so a fallback can be chosen.

Why: a block-selection extractor fails silently: it returns *some* text (a reprint notice, a
teaser, a cookie banner) that then passes every length check. These checks are cheap and only
look at what is already at hand (the result, the parsed page, its headline/description).
"""

from __future__ import annotations

import re
from typing import Any

from newsflow.extract.metadata import PageMeta

# A body this short is checked against the page; a longer one is taken as an article.
_SHORT_BODY_CHARS = 600
# "Tiny body against a long page": the page's paragraphs hold this many times more text.
_PAGE_RATIO = 6
_PAGE_MIN_CHARS = 2500
_WORD_RE = re.compile(r"\w{4,}")
# "Navigation, not an article": this share of at least this many lines are short fragments.
_PROSE_MIN_CHARS = 100
_MENU_MIN_LINES = 8
_MENU_SHARE = 0.7
_SENTENCE_END_RE = re.compile(r"[.!?:;…]")
_NOTICE_RE = re.compile(
    r"(for your personal,? non-?commercial use|reprints?\b|distribution and use of this material"
    r"|all rights reserved|copyright|©|cookies?\b|javascript|enable js|your browser"
    r"|subscribe|subscription|sign (in|up)|log ?in|register|paywall|already a subscriber"
    r"|page not found|404|access denied|newsletter)",
    re.IGNORECASE,
)


def _page_chars(tree: Any) -> int:
    if tree is None:
        return 0
    total = 0
    for el in tree.iter("p"):
        total += len(el.text_content())
    return total


def _menu_like(paragraphs: list[str]) -> bool:
    """Mostly short fragments without sentence punctuation: navigation, a calendar, a table."""
    if len(paragraphs) < _MENU_MIN_LINES:
        return False
    fragments = sum(1 for p in paragraphs if len(p) <= 40 and not _SENTENCE_END_RE.search(p))
    long_prose = sum(1 for p in paragraphs if len(p) >= 200)
    return fragments >= _MENU_SHARE * len(paragraphs) and long_prose < 2


def article_prose_chars(tree: Any) -> int:
    """Characters in the prose paragraphs (``<p>`` of 100 characters or more) of the page's
    largest ``<article>`` element; 0 without one. Menus, captions, comments and other stories
    outside the article element do not count."""
    if tree is None:
        return 0
    best = 0
    for article in tree.iter("article"):
        total = 0
        for el in article.iter("p"):
            length = len(el.text_content())
            if length >= _PROSE_MIN_CHARS:
                total += length
        best = max(best, total)
    return best


def implausible(paragraphs: list[str], tree: Any, page: PageMeta) -> str | None:
    """Why ``paragraphs`` are not plausibly the page's article (a phrase), or None."""
    if not paragraphs:
        return "no text extracted"
    if _menu_like(paragraphs):
        return "the text is a list of short fragments (navigation, calendar, table)"
    chars = sum(len(p) for p in paragraphs)
    if chars >= _SHORT_BODY_CHARS:
        return None
    notice = sum(len(p) for p in paragraphs if len(p) < 400 and _NOTICE_RE.search(p))
    if notice * 2 >= chars:
        return "the text is a notice (reprint, copyright, cookies, subscription)"
    page_chars = _page_chars(tree)
    if page_chars >= _PAGE_MIN_CHARS and page_chars > _PAGE_RATIO * chars:
        return f"{chars} characters of text on a page of {page_chars}"
    headline = set(_WORD_RE.findall(f"{page.title or ''} {page.description or ''}".lower()))
    if len(headline) >= 4:
        words = set(_WORD_RE.findall(" ".join(paragraphs).lower()))
        if not headline & words:
            return "no word of the headline or description in the text"
    return None
