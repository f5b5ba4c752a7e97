"""Feeds fetched from the local hostile server, then parsed (pure parsing and the polling
policy are tested in tests/unit/test_feedparse.py)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from httpserver import (  # noqa: E402
    SHARED_LINK,
    HostileServer,
    only_loopback,
    serve,
)

from newsflow.fetch import Fetcher  # noqa: E402
from newsflow.sources.feedparse import (  # noqa: E402
    ParsedFeed,
    parse_feed,
    parse_opml,
)
from tests.fetching import make_fetcher  # noqa: E402


@pytest.fixture(autouse=True)
def loopback_connections(monkeypatch):
    return only_loopback(monkeypatch)


@pytest.fixture(scope="module")
def server():
    with serve() as srv:
        yield srv


@pytest.fixture(scope="module")
def fetcher():
    with make_fetcher(fetch_read_timeout=2, fetch_request_budget=5) as f:
        yield f


def fetch_and_parse(server: HostileServer, fetcher: Fetcher, path: str) -> ParsedFeed:
    res = fetcher.fetch(server.url(path))
    assert res.outcome == "ok", (path, res.outcome, res.error)
    return parse_feed(res.body, base_url=res.final_url, headers=res.headers)


# ----------------------------------------------------------------------- formats


def test_rss2(server, fetcher):
    feed = fetch_and_parse(server, fetcher, "/feeds/rss2")
    assert not feed.fatal and not feed.bozo
    assert (feed.title, feed.link, feed.version) == (
        "Example Wire",
        "https://wire.example.org/",
        "rss20",
    )
    first, second, third = feed.entries
    assert first.url == "https://wire.example.org/2024/05/01/first"
    assert first.title == "Absolute & first"
    assert first.published_at == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    assert first.published_at.tzinfo is not None
    assert first.author == "Ada Reporter"
    assert first.summary == "First story summary."  # HTML stripped
    assert first.entry_id == "wire-1"
    # relative link resolved against the URL the feed was fetched from
    assert second.url == server.url("/2024/05/01/second")
    # permalink guid used as the link
    assert third.url == "https://wire.example.org/2024/05/01/third"
    assert third.published_at is None


def test_rss1_rdf(server, fetcher):
    feed = fetch_and_parse(server, fetcher, "/feeds/rss1")
    assert feed.version == "rss10" and not feed.fatal
    assert [e.url for e in feed.entries] == [
        "https://rdf.example.org/a",
        "https://rdf.example.org/b",
    ]
    assert feed.entries[0].author == "Bea"
    assert feed.entries[1].published_at == datetime(2024, 5, 2, 11, 0, tzinfo=UTC)


def test_atom_with_xml_base(server, fetcher):
    feed = fetch_and_parse(server, fetcher, "/feeds/atom")
    assert feed.version == "atom10"
    assert feed.link == "https://atom.example.org/"
    one, two = feed.entries
    assert one.url == "https://atom.example.org/news/2024/one.html"  # feed-level xml:base
    assert two.url == "https://other.example.org/section/two.html"  # entry-level xml:base
    assert one.title == "Atom one"
    assert one.summary == "One & only."
    assert one.author == "Cy Writer"
    assert one.entry_id == "urn:example:atom:1"
    assert one.published_at == datetime(2024, 5, 3, 8, 0, tzinfo=UTC)  # published wins
    assert two.published_at == datetime(2024, 5, 3, 11, 0, tzinfo=UTC)  # falls back to updated


def test_atom_relative_links_without_xml_base(server, fetcher):
    feed = fetch_and_parse(server, fetcher, "/feeds/atom-relative")
    assert feed.entries[0].url == server.url("/feeds/articles/rel.html")


def test_relative_links_resolve_against_final_url_after_redirect(server, fetcher):
    res = fetcher.fetch(server.url("/redirect/relative"))  # -> /feeds/atom
    assert res.final_url == server.url("/feeds/atom")
    feed = parse_feed(res.body, base_url=res.final_url, headers=res.headers)
    assert feed.entries[0].url == "https://atom.example.org/news/2024/one.html"


@pytest.mark.parametrize("path", ["/feeds/gzip", "/feeds/br"])
def test_compressed_feed(server, fetcher, path):
    feed = fetch_and_parse(server, fetcher, path)
    assert len(feed.entries) == 3


def test_entry_present_in_two_feeds(server, fetcher):
    a = fetch_and_parse(server, fetcher, "/feeds/shared-a")
    b = fetch_and_parse(server, fetcher, "/feeds/shared-b")
    shared_a = [e for e in a.entries if e.url == SHARED_LINK]
    shared_b = [e for e in b.entries if e.url == SHARED_LINK]
    assert len(shared_a) == len(shared_b) == 1
    assert shared_a[0].entry_id == shared_b[0].entry_id == SHARED_LINK
    assert {e.url for e in a.entries} & {e.url for e in b.entries} == {SHARED_LINK}


def test_recoverable_malformed_feed_keeps_entries(server, fetcher):
    feed = fetch_and_parse(server, fetcher, "/feeds/bozo")
    assert feed.bozo and not feed.fatal
    assert feed.bozo_reason
    assert [e.title for e in feed.entries] == ["Café opens", "Second"]


# -------------------------------------------------------------------- not a feed


def test_html_page_is_fatal(server, fetcher):
    feed = fetch_and_parse(server, fetcher, "/feeds/not-xml")
    assert feed.fatal and feed.entries == []
    assert "HTML" in feed.bozo_reason


def test_text_plain_garbage_is_fatal(server, fetcher):
    feed = fetch_and_parse(server, fetcher, "/feeds/garbage")
    assert feed.fatal and feed.entries == []
    assert "not XML" in feed.bozo_reason


def test_json_is_refused_by_fetch_and_fatal_for_parser(server, fetcher):
    res = fetcher.fetch(server.url("/feeds/json"))
    assert res.outcome == "bad-content-type"
    feed = parse_feed(b'{"error": "no feed here"}', base_url=server.url("/feeds/json"))
    assert feed.fatal and "JSON" in feed.bozo_reason


def test_parser_never_opens_files_or_urls(server):
    """feedparser would treat a str/bytes that looks like a path or URL as one."""
    before = len(server.requests)
    feed = parse_feed(server.url("/feeds/rss2").encode(), base_url="https://example.org/")
    assert feed.fatal and feed.entries == []
    assert len(server.requests) == before
    feed = parse_feed(b"/etc/hostname", base_url="https://example.org/")
    assert feed.fatal and feed.entries == []


# -------------------------------------------------------------------------- OPML


def test_parse_opml_from_server(server, fetcher):
    res = fetcher.fetch(server.url("/opml"), accept=None)
    assert res.ok
    assert parse_opml(res.body) == [
        ("https://wire.example.org/rss", "Example Wire"),
        ("https://atom.example.org/feed.atom", "Atom Times"),
        ("https://rdf.example.org/index.rdf", "RDF News"),
    ]
