"""HTML pages: the main text through trafilatura, metadata from the same parsed tree.

Why it is built this way:

- *Parse once.* The page is parsed by trafilatura's own loader; the metadata (dates, title,
  byline, canonical URL, language) is read from that tree, and trafilatura extracts the text
  from it (it works on its own copy). trafilatura's metadata pass is not run: it parsed and
  walked the page a second time for fields the project reads itself.
- *Distrust an implausible result.* An extractor can pick the wrong block (a reprint notice, a
  teaser, nothing). :func:`newsflow.extract.plausibility.implausible` names what is wrong with a
  result by a measurable rule; the next extraction mode is tried and the choice is recorded in
  ``repairs`` (``fallback:<mode>: <why>``).
- *Dates are resolved, not taken.* Every stated date is a candidate; placeholders are passed
  over (see :mod:`newsflow.extract.dates` for the order of trust).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from trafilatura.utils import load_html

from newsflow.decode import EmptyDocumentError
from newsflow.extract import dates
from newsflow.extract.lead import recover_lead
from newsflow.extract.metadata import PageMeta, page_metadata, parse_tree
from newsflow.extract.patterns import BYLINE_RE
from newsflow.extract.plain import strip_boilerplate
from newsflow.extract.plausibility import article_prose_chars, implausible
from newsflow.extract.tail import drop_author_note, trim_tail
from newsflow.normalize import language_code
from newsflow.records import DocumentContext, Extracted
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


def _strip_site_suffix(title: str, sitename: str | None, prefix_too: bool = False) -> str:
    """The title without the site's name after it ("Storm closes the harbour | The Courier"),
    and before it after a bar, or when ``prefix_too`` (a ``<title>`` element) after any
    separator: a headline may begin with the site's name and a dash, as a club's match report
    with its own ("FC Bayern München - Borussia Dortmund 4:0")."""
    if not sitename:
        return title
    for sep in (" | ", " - ", " — ", " – ", " :: ", " · "):
        suffix, prefix = sep + sitename, sitename + sep
        if title.lower().endswith(suffix.lower()) and len(title) > len(suffix):
            return title[: -len(suffix)].strip()
        opens = prefix_too or sep in (" | ", " :: ")  # no headline opens "Name | ..."
        if opens and title.lower().startswith(prefix.lower()) and len(title) > len(prefix):
            return title[len(prefix) :].strip()
    return title


_HOME_PATH_RE = re.compile(r"/?(?:index\.\w+)?")  # "", "/", "/index.html"


def _own_canonical(canonical: str | None, url: str | None, repairs: list[str]) -> str | None:
    """The page's canonical URL, unless it names the site's home page while the page has a
    path of its own: a template's default (every article of such a site claimed one URL, and
    each new one replaced the last as its "update")."""
    if not canonical or not url:
        return canonical
    try:
        claimed, page = urlsplit(canonical), urlsplit(url)
    except ValueError:
        return canonical
    home = _HOME_PATH_RE.fullmatch
    if home(claimed.path) and not claimed.query and not home(page.path):
        repairs.append(f"canonical_url-dropped: {canonical[:200]} is the site's home page")
        return None
    return canonical


def _load(html: str) -> Any:
    try:
        tree = load_html(html)
    except (TypeError, ValueError):
        tree = None
    return tree if tree is not None else parse_tree(html)


# Extraction modes tried in order; the first plausible result wins.
# Extraction modes in order; the first plausible result wins. The first is trafilatura's fast
# pass (no comparison with readability/justext): it gives the same text as the full cascade on
# most pages (917 of the 990 of the dev set) at ~70% of the cost.
_MODES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("trafilatura-fast", {"fast": True}),
    ("trafilatura", {}),
    ("trafilatura-recall", {"favor_recall": True}),
    ("trafilatura-precision", {"favor_precision": True}),
)
# Below this many characters the fast pass is not trusted and the full cascade runs: it mostly
# helps where the fast pass found little.
_FULL_CASCADE_BELOW = 1000
# ... and when it holds less than this share of the page's prose (see _fast_pass_short).
_FULL_CASCADE_SHARE = 0.6


def _run_mode(
    tree: Any, html: str, url: str | None, kwargs: dict[str, Any], repairs: list[str]
) -> str:
    try:
        doc = trafilatura.bare_extraction(
            tree if tree is not None else html,
            url=url,
            include_comments=False,
            with_metadata=False,
            **kwargs,
        )
    except Exception as exc:  # trafilatura can raise on pathological markup
        repairs.append(f"trafilatura-error: {type(exc).__name__}")
        return ""
    return (getattr(doc, "text", None) or "") if doc is not None else ""


def _paragraphs(raw: str) -> list[str]:
    return [line for line in (collapse_whitespace(ln) for ln in raw.split("\n")) if line]


def _main_text(
    tree: Any, html: str, url: str | None, page: PageMeta, repairs: list[str]
) -> list[str]:
    """The first plausible result of :data:`_MODES`; when none is plausible, the longest result
    or the page's ``<p>`` elements if they hold over twice as much text.

    A rejected result is recorded as ``implausible:<mode>: <why>``, the winner after a
    rejection as ``fallback:<mode>``. A short fast pass is not a rejection: the full cascade
    simply runs."""
    tried: list[list[str]] = []
    for number, (mode, kwargs) in enumerate(_MODES):
        paragraphs = _paragraphs(_run_mode(tree, html, url, kwargs, repairs))
        tried.append(paragraphs)
        if number == 0 and _fast_pass_short(paragraphs, tree):
            continue
        reason = implausible(paragraphs, tree, page)
        if reason is None:
            if number > 1 or (number == 1 and _chars(tried[0]) >= _FULL_CASCADE_BELOW):
                repairs.append(f"fallback:{mode}")
            return paragraphs
        repairs.append(f"implausible:{mode}: {reason}")
    best = max(tried[1:], key=_chars)
    fallback = _fallback_paragraphs(parse_tree(html))
    if _chars(fallback) > 2 * _chars(best):
        repairs.append("fallback:lxml-paragraphs")
        return fallback
    return best


def _fast_pass_short(paragraphs: list[str], tree: Any) -> bool:
    """Whether the fast pass may have missed text: it found little, or the page's
    ``<article>`` holds much more prose (an article split in parts by ads or recirculation
    blocks, which the fast pass cuts after the first part while the full cascade keeps them)."""
    chars = _chars(paragraphs)
    return chars < _FULL_CASCADE_BELOW or chars < _FULL_CASCADE_SHARE * article_prose_chars(tree)


def _chars(paragraphs: list[str]) -> int:
    return sum(len(p) for p in paragraphs)


def _published(
    page: PageMeta, url: str | None, tree: Any, context: DocumentContext, repairs: list[str]
) -> tuple[Any, str | None]:
    entry = (context.entry_meta or {}).get("published_at")
    feed_date = None
    if isinstance(entry, str):
        try:
            feed_date = dates.parse_datetime(entry)
        except ValueError:
            feed_date = None
    candidates: list[tuple[str, Any]] = [("page-metadata", d) for d in page.dates]
    candidates += [("feed", feed_date), ("url", dates.url_date(url or context.url))]
    found = dates.resolve(candidates, repairs, context.fetched_at)
    if found[0] is not None or tree is None:
        return found if found[0] is not None else _last_resort(context, repairs)
    found = dates.resolve([("htmldate", _htmldate(tree))], repairs, context.fetched_at)
    return found if found[0] is not None else _last_resort(context, repairs)


def _last_resort(context: DocumentContext, repairs: list[str]) -> tuple[Any, str | None]:
    folder = dates.day_start(context.inbox_date())
    return dates.resolve([("inbox-folder", folder)], repairs, context.fetched_at)


def _htmldate(tree: Any) -> Any:
    """trafilatura's date finder (htmldate) on the parsed tree, without guessing from free
    text; only asked when the page states no plausible date itself."""
    from htmldate import find_date

    try:
        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception:  # htmldate raises on odd trees; no date is the honest answer
        return None
    if not found:
        return None
    try:
        return dates.parse_datetime(found)
    except ValueError:
        return None


def extract_html(
    html: str, url: str | None = None, *, context: DocumentContext | None = None
) -> Extracted:
    """Extract an article and its metadata from an HTML page (trafilatura 2.x).

    The text comes from the first plausible extraction mode (then the page's ``<p>`` elements,
    ``fallback:lxml-paragraphs``), cleaned of boilerplate lines and of trailing recirculation
    blocks. ``published_at`` is the first plausible stated date (see
    :mod:`newsflow.extract.dates`); a page without one has ``published_at=None``, never the
    fetch time.
    """
    if not html or not html.strip():
        raise EmptyDocumentError("empty HTML document")
    context = context or DocumentContext(url=url)
    url = url or context.url
    repairs: list[str] = []
    tree = _load(html)
    page = page_metadata(tree, url)
    # Read what the text extraction does not need before trafilatura works on the tree.
    published_at, published_source = _published(page, url, tree, context, repairs)

    title = clean_inline(page.title)
    sitename = clean_inline(page.sitename)
    if title:
        title = _strip_site_suffix(title, sitename, page.title_from_tag)

    paragraphs = recover_lead(tree, _main_text(tree, html, url, page, repairs), repairs)
    if title and paragraphs and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]  # the headline repeated as the first line of the body
    if paragraphs and BYLINE_RE.match(paragraphs[0]) and len(paragraphs) > 1:
        paragraphs = paragraphs[1:]

    text = "\n\n".join(paragraphs)
    text, changed = repair_backslash_quotes(text)
    if changed:
        repairs.append("backslash-quotes")
    paragraphs = strip_boilerplate(text.split("\n\n") if text else [], repairs)
    paragraphs = trim_tail(paragraphs, repairs)
    paragraphs = drop_author_note(paragraphs, page.byline, repairs)

    return Extracted(
        text="\n\n".join(paragraphs),
        title=title,
        title_derived=False,
        byline=clean_inline(page.byline),
        published_at=published_at,
        published_at_source=published_source,
        language=language_code(page.language),
        url=url,
        canonical_url=_own_canonical(page.canonical_url, url, repairs),
        source=sitename,
        repairs=repairs,
        extractor="trafilatura",
    )
