"""Feed autodiscovery: the feeds a web page advertises, and what a URL given by a user is.

People give a site's home page more often than its feed URL. A page advertises its feeds with
``<link rel="alternate" type="application/rss+xml|application/atom+xml" href="...">`` in its
head; :func:`resolve` fetches what the user gave and answers with the feed URLs to register:
the URL itself when it is a feed, the advertised feeds when it is such a page, or a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from newsflow import fetch
from newsflow.sources import feedparse

FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
)
HTML_TYPES = ("text/html", "application/xhtml+xml")


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag == "link":
            self.links.append(values)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def discover_feeds(html: str, base_url: str) -> list[tuple[str, str | None]]:
    """``(url, title)`` of the RSS/Atom feeds an HTML page advertises, absolute, in order."""
    finder = _LinkFinder()
    try:
        finder.feed(html)
        finder.close()
    except Exception:  # malformed markup: keep what was found before it
        pass
    base = urljoin(base_url, finder.base) if finder.base else base_url
    found: list[tuple[str, str | None]] = []
    for link in finder.links:
        rels = link.get("rel", "").lower().split()
        kind = link.get("type", "").lower().split(";")[0].strip()
        if "alternate" not in rels or kind not in FEED_TYPES or kind == "application/feed+json":
            continue
        url = urljoin(base, link.get("href", "").strip())
        if urlsplit(url).scheme not in ("http", "https") or not link.get("href"):
            continue
        if url not in [u for u, _ in found]:
            found.append((url, link.get("title", "").strip() or None))
    return found


@dataclass
class Resolution:
    """What a URL given by a user resolves to."""

    feeds: list[tuple[str, str | None]] = field(default_factory=list)  # (url, title)
    problem: str | None = None  # why nothing can be registered
    note: str | None = None  # something to tell the user (e.g. "could not check now")


def resolve(fetcher: fetch.Fetcher, url: str) -> Resolution:
    """Fetch ``url`` once: a feed is itself; an HTML page gives the feeds it advertises."""
    accept: tuple[str, ...] = (*fetch.FEED_CONTENT_TYPES, *HTML_TYPES)
    answer = fetcher.fetch(url, accept=accept)
    if not answer.ok or answer.body is None:
        if answer.outcome in ("timeout", "connection-error") or (
            answer.outcome == "http-error" and (answer.status or 0) >= 500
        ):
            note = f"could not check it now ({answer.outcome}: {answer.error}); polling will tell"
            return Resolution([(url, None)], note=note)
        return Resolution(problem=f"cannot use {url}: {answer.outcome}: {answer.error}")
    parsed = feedparse.parse_feed(answer.body, base_url=answer.final_url, headers=answer.headers)
    if not parsed.fatal:
        return Resolution([(url, parsed.title)])
    advertised = discover_feeds(answer.text(), answer.final_url)
    if advertised:
        return Resolution(advertised, note=f"{url} is a web page; it advertises these feeds")
    return Resolution(problem=f"{url} is not a feed ({parsed.bozo_reason}) and advertises none")
