"""Pure feed functions: parsing sample feeds (files in tests/fixtures/feeds), feed
autodiscovery in HTML, WebSub hub discovery and signatures, and the polling policy."""

from __future__ import annotations

import functools
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsflow.fetch import parse_link_header
from newsflow.sources.feedparse import html_to_text, parse_feed, parse_opml
from newsflow.sources.feeds import discovery, health, websub
from newsflow.sources.feeds.health import classify_failure, publication_gap, should_pause
from newsflow.sources.feeds.registry import FeedRef, group_by_host

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
RSS2 = (FEEDS / "rss2.xml").read_bytes()

# The bounds these assertions were written for (the settings' bounds are passed in production).
MIN_POLL_SECONDS, MAX_POLL_SECONDS = 600, 86400
next_poll_interval = functools.partial(
    health.next_poll_interval, bounds=(MIN_POLL_SECONDS, MAX_POLL_SECONDS)
)


def test_sample_feeds_parse_without_a_server() -> None:
    rss2 = parse_feed(RSS2, base_url="https://wire.example.org/rss")
    assert [e.url for e in rss2.entries] == [
        "https://wire.example.org/2024/05/01/first",
        "https://wire.example.org/2024/05/01/second",
        "https://wire.example.org/2024/05/01/third",
    ]
    atom = parse_feed((FEEDS / "atom.xml").read_bytes(), base_url="https://x.example/feed")
    assert [e.url for e in atom.entries] == [
        "https://atom.example.org/news/2024/one.html",
        "https://other.example.org/section/two.html",
    ]
    assert parse_feed((FEEDS / "not-a-feed.html").read_bytes(), base_url="https://x/").fatal
    assert len(parse_opml((FEEDS / "subscriptions.opml").read_bytes())) == 3


@pytest.mark.parametrize(
    "body",
    [b"", b"   \n", b"<?xml version='1.0'?><catalog><book/></catalog>", b"<rss><channel"],
)
def test_other_non_feeds_are_fatal(body):
    feed = parse_feed(body, base_url="https://example.org/feed")
    assert feed.fatal and feed.entries == [] and feed.bozo_reason


def test_empty_but_valid_feed_is_not_fatal():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    feed = parse_feed(body, base_url="https://example.org/feed")
    assert not feed.fatal and feed.entries == [] and feed.title == "Quiet"
    served_as_html = parse_feed(
        body, base_url="https://e.example/", headers={"Content-Type": "text/html"}
    )
    assert served_as_html.bozo and not served_as_html.fatal


def test_unusable_and_duplicate_entries_skipped():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>js</title><link>javascript:alert(1)</link></item>
    <item><title>none</title><description>no link</description></item>
    <item><title>ok</title><link>https://e.example/1</link></item>
    <item><title>dup</title><link>https://e.example/1</link></item>
    </channel></rss>"""
    feed = parse_feed(body, base_url="https://e.example/feed")
    assert [e.title for e in feed.entries] == ["ok"]
    assert feed.skipped == 3


def test_summary_is_plain_text_and_bounded():
    long = "<p>" + "word " * 1000 + "</p><script>alert(1)</script>"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
        "<title>t</title><link>https://e.example/1</link>"
        f"<description><![CDATA[{long}]]></description></item></channel></rss>"
    ).encode()
    entry = parse_feed(body, base_url="https://e.example/").entries[0]
    assert "<" not in entry.summary and "alert" not in entry.summary
    assert len(entry.summary) <= 2000
    assert html_to_text("<b>a</b>&amp;<i>b</i>\n\n c") == "a&b c"
    assert html_to_text("") is None


def test_parse_opml_refuses_bad_input():
    with pytest.raises(ValueError, match="entity"):
        parse_opml(
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]>'
            b'<opml><body><outline xmlUrl="https://x.example/&a;"/></body></opml>'
        )
    with pytest.raises(ValueError, match="not an OPML"):
        parse_opml(RSS2)
    with pytest.raises(ValueError, match="not an OPML"):
        parse_opml(b"garbage")


@pytest.mark.parametrize(
    ("outcome", "status", "kind", "weight"),
    [
        ("http-error", 404, "hard", 1.0),
        ("http-error", 410, "hard", 1.0),
        ("not-a-feed", None, "hard", 1.0),
        ("blocked-ssrf", None, "hard", 1.0),
        ("redirect-loop", 301, "hard", 1.0),
        ("decompression-bomb", 200, "hard", 1.0),
        ("bad-content-type", 200, "hard", 1.0),
        ("http-error", 403, "soft", 0.5),
        ("http-error", 429, "soft", 0.5),
        ("http-error", 401, "soft", 0.5),
        ("blocked-robots", None, "soft", 0.5),
        ("too-large", 200, "soft", 0.5),
        ("http-error", 500, "temporary", 0.25),
        ("http-error", 503, "temporary", 0.25),
        ("http-error", 408, "temporary", 0.25),
        ("timeout", None, "temporary", 0.25),
        ("connection-error", None, "temporary", 0.25),
        ("ok", 200, "none", 0.0),
        ("not-modified", 304, "none", 0.0),
    ],
)
def test_classify_failure(outcome, status, kind, weight):
    assert classify_failure(outcome, status) == (kind, weight)


def test_next_poll_interval():
    assert next_poll_interval(3600, 0.0, False) == 1800  # everything new: poll sooner
    assert next_poll_interval(3600, 0.5, False) == 3600
    assert next_poll_interval(3600, 1.0, False) == 5400  # nothing new: poll later
    assert next_poll_interval(3600, 0.2, True) == 7200  # failure: back off
    assert next_poll_interval(700, 0.0, False) == MIN_POLL_SECONDS
    assert next_poll_interval(80000, 1.0, False) == MAX_POLL_SECONDS
    assert next_poll_interval(80000, 0.0, True) == MAX_POLL_SECONDS
    assert next_poll_interval(0, 0.5, False) == MIN_POLL_SECONDS
    assert next_poll_interval(900, float("nan"), False) == 1350
    assert next_poll_interval(900, 7.0, False) == 1350
    interval = 900
    for _ in range(30):
        interval = next_poll_interval(interval, 1.0, False)
        assert MIN_POLL_SECONDS <= interval <= MAX_POLL_SECONDS
    assert interval == MAX_POLL_SECONDS


def test_should_pause():
    assert should_pause(0, 0.0) is None
    assert should_pause(4, 4.0) is None
    assert "score" in should_pause(5, 5.0)  # five hard failures
    assert should_pause(9, 2.25) is None  # nine temporary failures are tolerated
    assert "10 consecutive" in should_pause(10, 2.5)


def test_publication_gap_is_the_median_gap_of_recent_entries() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    every_3_min = [now - timedelta(minutes=3 * i) for i in range(10)]
    assert publication_gap(every_3_min) == 180
    assert publication_gap([now, None, now]) is None  # one distinct time: no pace
    bursty = [now, now - timedelta(minutes=1), now - timedelta(hours=5), now - timedelta(hours=6)]
    assert publication_gap(bursty) == 3600


def test_interval_learns_a_feed_that_changes_every_few_minutes() -> None:
    bounds = (60, 86400)
    interval = 3600
    for _ in range(3):  # every poll finds new entries, published 3 minutes apart
        interval = health.next_poll_interval(interval, 0.5, bounds=bounds, publication_gap_s=180.0)
    assert interval == 180
    # nothing new: the gap does not pull it down, the interval grows again
    assert health.next_poll_interval(180, 1.0, bounds=bounds, publication_gap_s=180.0) == 270
    # the floor is a setting
    assert health.next_poll_interval(600, 0.0, bounds=(300, 86400), publication_gap_s=60) == 300
    # a slow feed is not pulled up by its gap: the share of new entries decides
    assert health.next_poll_interval(1800, 0.0, bounds=bounds, publication_gap_s=86400) == 900


def test_feed_hubs_and_self_link_are_discovered() -> None:
    body = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
    <title>Pushed</title><id>urn:x</id><updated>2024-05-03T10:00:00Z</updated>
    <link rel="hub" href="https://hub.example.net/"/>
    <link rel="self" href="https://news.example.org/atom.xml"/>
    <entry><title>a</title><link href="https://news.example.org/a"/><id>urn:a</id>
    <updated>2024-05-03T10:00:00Z</updated></entry></feed>"""
    parsed = parse_feed(body, base_url="https://news.example.org/feed")
    assert parsed.hubs == ["https://hub.example.net/"]
    assert parsed.self_url == "https://news.example.org/atom.xml"
    assert websub.discover(parsed, {}, "https://news.example.org/feed") == (
        "https://hub.example.net/",
        "https://news.example.org/atom.xml",
    )
    header = '<https://hub2.example.net/>; rel="hub", <https://t.example/x>; rel="self"'
    assert websub.discover(parsed, {"link": header}, "u") == (
        "https://hub2.example.net/",
        "https://t.example/x",
    )
    assert websub.discover(parse_feed(RSS2, base_url="https://w/"), {}, "u") is None
    assert parse_link_header('<https://a/>; rel="hub self"') == [
        ("https://a/", "hub"),
        ("https://a/", "self"),
    ]


def test_websub_signature() -> None:
    body = b"<feed/>"
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert websub.signature_valid("s3cret", good, body)
    assert websub.signature_valid("s3cret", good.upper().replace("SHA256", "sha256"), body)
    assert not websub.signature_valid("s3cret", good, body + b" ")
    assert not websub.signature_valid("other", good, body)
    assert not websub.signature_valid(None, good, body)
    assert not websub.signature_valid("s3cret", "md5=abc", body)
    assert not websub.signature_valid("s3cret", None, body)


def test_html_page_advertises_its_feeds() -> None:
    page = """<!doctype html><html><head><title>Site</title>
    <link rel="stylesheet" href="/s.css">
    <LINK REL="alternate" TYPE="application/rss+xml" HREF="/rss.xml" title="All news">
    <link rel="alternate" type="application/atom+xml" href="https://cdn.example/atom">
    <link rel="alternate" type="application/rss+xml" href="/rss.xml">
    <link rel="alternate" type="text/html" hreflang="de" href="/de/">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    </head><body><p>home</body></html>"""
    assert discovery.discover_feeds(page, "https://site.example/") == [
        ("https://site.example/rss.xml", "All news"),
        ("https://cdn.example/atom", None),
    ]
    assert discovery.discover_feeds("<html><p>no head", "https://site.example/") == []
    based = '<base href="https://other.example/sub/"><link rel="alternate feed" type="application/atom+xml" href="a.xml">'
    assert discovery.discover_feeds(based, "https://site.example/") == [
        ("https://other.example/sub/a.xml", None)
    ]


def test_feeds_grouped_by_host_for_one_task_each() -> None:
    feeds = [
        FeedRef(id=i, name=f"f{i}", url=f"https://{host}/feed{i}")
        for i, host in enumerate(["b.example", "a.example", "b.example", "A.example"])
    ]
    groups = group_by_host(feeds)
    assert [(g["label"], [f["id"] for f in g["feeds"]]) for g in groups] == [
        ("a.example", [1, 3]),
        ("b.example", [0, 2]),
    ]
    many = [FeedRef(id=i, name=str(i), url=f"https://c.example/{i}") for i in range(5)]
    assert [g["label"] for g in group_by_host(many, max_per_group=2)] == [
        "c.example #0",
        "c.example #1",
        "c.example #2",
    ]


def _rss(items: str, declaration: bytes = b'<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        declaration
        + b"<rss version='2.0'><channel><title>T</title><link>https://ex.com/</link>"
        + items.encode("utf-8", "surrogatepass")
        + b"</channel></rss>"
    )


def test_a_nul_in_one_entry_is_removed_not_stored() -> None:
    """A NUL cannot be stored in Postgres text: one in one entry failed the whole feed."""
    body = _rss(
        "<item><title>Bad A&#0;B</title><link>https://ex.com/a</link>"
        "<description><![CDATA[x\x00y]]></description><guid>id\x01-1</guid></item>"
        "<item><title>Good</title><link>https://ex.com/b</link></item>"
    )
    parsed = parse_feed(body, base_url="https://ex.com/feed")
    assert [e.url for e in parsed.entries] == ["https://ex.com/a", "https://ex.com/b"]
    first = parsed.entries[0]
    for value in (first.title, first.summary, first.entry_id):
        assert value is not None and "\x00" not in value and "\x01" not in value
    assert first.title == "Bad AB"


def test_an_emoji_written_as_surrogate_references_does_not_lose_the_feed() -> None:
    body = _rss(
        "<item><title>Fans cheer &#55357;&#56832; and &#xD83D;&#xDE00;, alone &#55357;</title>"
        "<link>https://ex.com/a</link></item>"
        "<item><title>Other</title><link>https://ex.com/b</link></item>"
    )
    parsed = parse_feed(body, base_url="https://ex.com/feed")
    assert not parsed.fatal, parsed.bozo_reason
    assert [e.title for e in parsed.entries] == [
        "Fans cheer \U0001f600 and \U0001f600, alone \ufffd",
        "Other",
    ]


def test_one_invalid_byte_does_not_garble_a_utf8_feed() -> None:
    body = _rss(
        "<item><title>Zürich élection résultats</title><link>https://ex.com/a</link></item>"
        "<item><title>Other</title><link>https://ex.com/b</link>"
        "<description>bad BYTE here</description></item>"
    ).replace(b"BYTE", b"\xff")
    parsed = parse_feed(body, base_url="https://ex.com/feed")
    assert parsed.entries[0].title == "Zürich élection résultats"
    assert parsed.entries[1].summary == "bad \ufffd here"
    # a feed declared in another encoding is left to that encoding
    latin = _rss(
        "<item><title>ZRICH</title><link>https://ex.com/a</link></item>",
        b'<?xml version="1.0" encoding="iso-8859-1"?>',
    ).replace(b"ZRICH", "Zürich".encode("latin-1"))
    assert parse_feed(latin, base_url="https://ex.com/feed").entries[0].title == "Zürich"
