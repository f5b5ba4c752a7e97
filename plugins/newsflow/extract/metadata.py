"""Page metadata from the parsed HTML tree: meta tags, JSON-LD, ``<time>``, canonical link.

Kept apart from the text extraction so that metadata is read from the same parsed tree the
text comes from, and so that each source of a field (a date, a title) can be tried in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
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
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if "@graph" in item:
                    stack.append(item["@graph"])


@dataclass
class PageMeta:
    published_at: datetime | None = None
    canonical_url: str | None = None
    language: str | None = None
    title: str | None = None
    byline: str | None = None
    sitename: str | None = None


def page_metadata(tree: Any, url: str | None) -> PageMeta:
    info = PageMeta()
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
