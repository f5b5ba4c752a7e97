"""The article's lead (standfirst, teaser text, chapô), which block extractors often drop.

Why: many publishers mark the lead paragraph as a "teaser" or "intro", the same words their
recirculation widgets use, so extractors remove it with the boilerplate. The lead is the
article's first paragraph; it is recovered when an element marked as lead/intro/teaser text
stands *before* the extracted body in the page, outside navigation and asides, and its text is
not in the body yet.
"""

from __future__ import annotations

import re
from typing import Any

from newsflow.text import collapse_whitespace

_LEAD_CLASS_RE = re.compile(
    r"(teaser[-_]?text|teaser[-_]?intro|article[-_]?teaser|artikel[-_]?teaser|intro|lead|chapo"
    r"|chapeau|standfirst|abstract|summary|excerpt|\bdek\b|deck|subhead|sub[-_]?title|kicker"
    r"|description|bajada|entradilla|sumario|sapo)",
    re.IGNORECASE,
)
# The same, case-sensitive, for a lowercased ASCII marker: 4 times faster (re's IGNORECASE
# gives up its scanning shortcuts). Non-ASCII markers keep IGNORECASE, which also matches
# letters that lowercasing does not turn into ASCII ones: U+017F LONG S for "s", U+0131
# DOTLESS I for "i" (and U+0130 lowercases to two characters).
_LEAD_CLASS_LOWER_RE = re.compile(_LEAD_CLASS_RE.pattern.lower())
_EXCLUDED_RE = re.compile(
    r"(related|recirc|sidebar|widget|comment|footer|\bnav\b|navigation|menu|card|slider"
    r"|carousel|newsletter|promo|read-?more|more-(stories|articles|news)|popular|box-teaser"
    r"|teaser-?box|teaser-?list|tease-?list|news-?list|article-?list|post-?list)",
    re.IGNORECASE,
)
_EXCLUDED_TAGS = frozenset(["nav", "aside", "footer", "form", "figure", "figcaption", "li", "a"])
_MIN_CHARS = 60
_MAX_CHARS = 1200
_CANDIDATE_TAGS = ("p", "div", "h2", "span", "section", "strong")


def _marked(el: Any) -> bool:
    cls, ident = el.get("class"), el.get("id")
    if not cls and not ident:
        return False  # most elements: no regular expression to run
    marker = f"{cls or ''} {ident or ''}"
    if marker.isascii():
        return _LEAD_CLASS_LOWER_RE.search(marker.lower()) is not None
    return _LEAD_CLASS_RE.search(marker) is not None


def _excluded(el: Any) -> bool:
    node = el
    while node is not None:
        if not isinstance(node.tag, str) or node.tag in _EXCLUDED_TAGS:
            return True
        marker = f"{node.get('class') or ''} {node.get('id') or ''}"
        if node is not el and _EXCLUDED_RE.search(marker):
            return True
        node = node.getparent()
    return False


def recover_lead(tree: Any, paragraphs: list[str], repairs: list[str]) -> list[str]:
    """``paragraphs`` with the page's lead paragraph put first, when it was left out."""
    if tree is None or not paragraphs:
        return paragraphs
    start = paragraphs[0][:40]
    body_text = " ".join(paragraphs)
    lead: str | None = None
    for el in tree.iter(*_CANDIDATE_TAGS):
        # Only paragraphs and marked elements are read (text_content() of every container
        # would read the page many times over).
        marked = _marked(el)
        if el.tag != "p" and not marked:
            own = (el.text or "").strip()
            if own and start.startswith(own[:40]) and len(own) >= min(len(start), 20):
                break  # a text container that starts with the body
            continue
        text = collapse_whitespace(el.text_content())
        if start and text.startswith(start):
            break  # reached the extracted body: a lead must stand before it
        if not marked or not (_MIN_CHARS <= len(text) <= _MAX_CHARS):
            continue
        if text[:60] in body_text or _excluded(el):
            continue
        lead = text
    if lead is None:
        return paragraphs
    repairs.append(f"lead-recovered:{lead[:60]}")
    return [lead, *paragraphs]
