"""Page metadata from the parsed HTML tree: meta tags, JSON-LD, ``<time>``, canonical link.

Kept apart from the text extraction so that metadata is read from the same parsed tree the
text comes from, and so that each source of a field (a date, a title) can be tried in order.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from newsflow.extract.dates import parse_datetime
from newsflow.text import clean_inline

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


def parse_tree(html: str) -> Any:
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
        while stack:  # in document order
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if "@graph" in item:
                    stack.append(item["@graph"])


# JSON-LD types whose date and author are the article's (NewsArticle, ReportageNewsArticle,
# BlogPosting, LiveBlogPosting, Report...), and types whose are never (a video, an image, a
# person's or an organisation's own node, the site, a comment; a Review is a critic's article,
# kept): a page's array or @graph often holds both, and the first dated object was taken (a
# 2019 video's date and author became a 2024 article's).
_ARTICLE_TYPE_RE = re.compile(r"(?:article|posting|report)$", re.IGNORECASE)
_NOT_THE_ARTICLE_RE = re.compile(
    r"(?:object|clip|gallery|person|organi[sz]ation|website|breadcrumblist|comment|"
    r"event|place|product|rating|sitenavigationelement|imagegallery|collection)$",
    re.IGNORECASE,
)


def _types(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return [k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)]


def _article_objects(ld: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The JSON-LD objects that may describe the article, article types first (then pages and
    untyped objects), each group in document order."""
    first, then = [], []
    for obj in ld:
        kinds = _types(obj)
        if any(_ARTICLE_TYPE_RE.search(k) for k in kinds):
            first.append(obj)
        elif not any(_NOT_THE_ARTICLE_RE.search(k) for k in kinds):
            then.append(obj)
    return first + then


def _ld_authors(obj: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> list[str]:
    author = obj.get("author")
    names: list[str] = []
    for candidate in author if isinstance(author, list) else [author]:
        if isinstance(candidate, dict) and "name" not in candidate:
            candidate = nodes.get(str(candidate.get("@id")), candidate)  # {"@id": ...} only
        name = candidate.get("name") if isinstance(candidate, dict) else candidate
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.IGNORECASE)


def _unescaped(value: Any) -> Any:
    """A metadata string with the entities a template escaped twice read ("Mayor&#039;s")."""
    return html.unescape(value) if isinstance(value, str) and _ENTITY_RE.search(value) else value


@dataclass
class PageMeta:
    # Every date the page states as its publication date, in order of trust (meta tags,
    # JSON-LD, <time>); placeholders included: the resolver passes over them.
    dates: list[datetime] = field(default_factory=list)
    canonical_url: str | None = None
    language: str | None = None
    title: str | None = None
    title_from_tag: bool = False  # the <title> element (which may open with the site's name)
    byline: str | None = None
    sitename: str | None = None
    description: str | None = None


def _parsed(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _date_candidates(tree: Any, metas: dict[str, str], ld: list[dict[str, Any]]) -> list[datetime]:
    found = [_parsed(metas[key]) for key in _DATE_META_KEYS if key in metas]
    found += [_parsed(obj.get("datePublished")) for obj in _article_objects(ld)]
    unmarked: list[Any] = []
    for time_el in tree.iter("time"):
        marker = " ".join(
            filter(None, [time_el.get("itemprop"), time_el.get("class"), time_el.get("pubdate")])
        ).lower()
        if "published" in marker or "pubdate" in marker or time_el.get("pubdate") is not None:
            found.append(_parsed(time_el.get("datetime")))
        elif time_el.get("datetime") and not re.search(r"modif|updat", marker):
            unmarked.append(time_el)
    # Last: the one <time datetime> of the article (a byline's "December 1, 2024"), when the
    # page's article or main element holds exactly one (a list of teasers holds several).
    inside = [t for t in unmarked if any(a.tag in ("article", "main") for a in t.iterancestors())]
    if len(inside) == 1:
        found.append(_parsed(inside[0].get("datetime")))
    return [d for d in found if d is not None]


def page_metadata(tree: Any, url: str | None) -> PageMeta:
    """Metadata the page states about itself, read from the already parsed tree."""
    info = PageMeta()
    if tree is None:
        return info
    metas = _meta_map(tree)
    ld = list(_json_ld_objects(tree))

    info.dates = _date_candidates(tree, metas, ld)

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

    articles = _article_objects(ld)
    publisher = next((o.get("publisher") for o in articles if o.get("publisher")), None)
    publisher_name = publisher.get("name") if isinstance(publisher, dict) else None
    info.sitename = _unescaped(
        metas.get("og:site_name")
        or metas.get("application-name")
        or (publisher_name if isinstance(publisher_name, str) else None)
    )
    # The page's only <h1> is its headline (as trafilatura reads it), unless it is the site's
    # logo; else og:title, the article's JSON-LD headline, <title>.
    headings = tree.findall(".//h1")
    only_h1 = _headline_h1(headings[0], info.sitename) if len(headings) == 1 else None
    title_el = tree.find(".//title")
    headline = next((o["headline"] for o in articles if isinstance(o.get("headline"), str)), None)
    info.title = _unescaped(only_h1 or metas.get("og:title") or headline)
    if not info.title and title_el is not None:
        info.title, info.title_from_tag = _unescaped(clean_inline(title_el.text_content())), True
    info.byline = metas.get("author") or metas.get("article:author")
    if info.byline and re.match(r"(?:https?://|www\.|facebook\.com/|twitter\.com/)", info.byline):
        info.byline = None
    if not info.byline:
        nodes = {str(o["@id"]): o for o in ld if "@id" in o and "name" in o}
        for obj in articles:
            names = _ld_authors(obj, nodes)
            if names:
                info.byline = "; ".join(names)
                break
    info.byline = _unescaped(info.byline)
    info.description = metas.get("og:description") or metas.get("description")
    return info


def _headline_h1(h1: Any, sitename: str | None) -> str | None:
    """The text of a page's only ``<h1>``, or None when it is the site's logo rather than the
    headline: the site's own name, a link to the home page, or inside the page's ``<header>``
    or ``<nav>`` outside any ``<article>``/``<main>``. Taken as the title, a logo made every
    page of a site one headline, and the same-title rule took its articles for duplicates."""
    text = clean_inline(h1.text_content())
    site = clean_inline(sitename) if sitename else None
    if not text or (site and text.casefold() == site.casefold()):
        return None
    for link in h1.iter("a"):
        href = (link.get("href") or "").strip()
        if href in ("/", "./", "index.html") or re.fullmatch(r"https?://[^/]+/?", href):
            return None
    ancestors = {a.tag for a in h1.iterancestors() if isinstance(a.tag, str)}
    if ancestors & {"header", "nav"} and not ancestors & {"article", "main"}:
        return None
    return text
