"""Feed polling end to end against a real hostile HTTP server on 127.0.0.1 and a real Postgres.

Every case goes through the library as the DAG does: ``feeds.add_feed`` ->
``runs.start_run`` -> ``feeds.poll_feed`` (entries and pages through an autocommit
connection) -> ``ingest.process_run`` -> ``runs.finish_run``,
then the rows are checked: ``feeds`` (health), ``feed_polls``, ``feed_entries``, ``pages``,
``raw_documents``, ``articles`` / ``article_versions`` and ``document_outcomes``.

No address but 127.0.0.1 is ever contacted: feeds link to pages on the local server, and the
``only_loopback`` safety net fails any test that tries to connect elsewhere.

``pytest -s`` prints, at the end of the module, a table "case -> what newsflow recorded".
"""

from __future__ import annotations

import email.utils
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from httpserver import (  # noqa: E402
    CP1251_PAGE,
    CP1251_TEXT,
    GARBAGE,
    HTML_PAGE,
    HostileServer,
    Reply,
    SeenRequest,
    hostile_routes,
    only_loopback,
    serve,
)

from newsflow import db, fetch, ingest, runs  # noqa: E402
from newsflow.sources import feeds  # noqa: E402
from tests.fetching import make_fetcher  # noqa: E402
from tests.integration.helpers import DATA_TABLES, article_text, query, snapshot  # noqa: E402

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
MAX_BYTES = 200_000  # the fetcher's size cap in these tests (pages are ~3 kB)
# Everything a failed poll must leave alone (the feed row itself records the failure).
KEPT_TABLES = (*[t for t in DATA_TABLES if t != "feeds"], "feed_entries", "pages")


# --------------------------------------------------------------------------- the report table
_TABLE: list[tuple[str, str]] = []


@pytest.fixture(scope="module", autouse=True)
def recorded_table() -> Iterator[list[tuple[str, str]]]:
    """Collects "case -> what newsflow recorded"; printed when the module ends (``-s``)."""
    _TABLE.clear()
    yield _TABLE
    if not _TABLE:
        return
    width = max(len(case) for case, _ in _TABLE)
    lines = ["", "", "case".ljust(width) + " | what newsflow recorded", "-" * (width + 60)]
    lines += [f"{case.ljust(width)} | {what}" for case, what in _TABLE]
    print("\n".join(lines))


def record(case: str, what: str) -> None:
    _TABLE.append((case, what))


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(autouse=True)
def loopback_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Safety net: any connection to an address other than 127.0.0.1 fails the test. The
    test feeds live on 127.0.0.1, which registering a feed refuses unless allowed."""
    monkeypatch.setenv("NEWSFLOW_HTTP_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("NEWSFLOW_FEED_MIN_INTERVAL", "600")  # the floor asserted here
    return only_loopback(monkeypatch)


@pytest.fixture
def site() -> Iterator[HostileServer]:
    """The hostile catalogue plus article pages under /p/, /atom/ and /other/."""
    with serve({"/p/*": _page_route, "/atom/*": _page_route, "/other/*": _page_route}) as server:
        server.pages = {}  # type: ignore[attr-defined]  # path -> Reply (else a generated page)
        yield server


@pytest.fixture
def fetcher() -> Iterator[fetch.Fetcher]:
    """The shared test fetcher with this module's size cap and two tries."""
    with make_fetcher(max_document_bytes=MAX_BYTES, fetch_max_tries=2) as f:
        yield f


# --------------------------------------------------------------------------- payloads
def article_page(
    seed: int,
    *,
    title: str | None = None,
    published: str | None = None,
    lang: str = "en",
    extra: str = "",
) -> bytes:
    """An English-like article page (distinct text per seed); title/date only when given."""
    paragraphs = "".join(f"<p>{p}</p>" for p in article_text(seed).split("\n\n"))
    head = '<meta charset="utf-8">'
    if title:
        head += f"<title>{title}</title>"
    if published:
        head += f'<meta property="article:published_time" content="{published}">'
    return (
        f'<!doctype html><html lang="{lang}"><head>{head}</head>'
        f"<body><article>{paragraphs}{extra}</article></body></html>"
    ).encode()


def _page_route(req: SeenRequest, server: HostileServer) -> Reply:
    pages: dict[str, Reply] = server.pages  # type: ignore[attr-defined]
    if req.route in pages:
        return pages[req.route]
    return Reply(200, article_page(zlib.crc32(req.route.encode())), HTML_TYPE)


@dataclass
class Item:
    link: str
    title: str
    guid: str | None = None
    date: str | None = None  # RFC 822 for RSS 2.0, ISO 8601 for RSS 1.0 / Atom
    author: str | None = None
    summary: str | None = None


def rss2(items: list[Item], *, title: str = "Local Wire", description: str = "test") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
        f"<title>{title}</title><link>/</link><description>{description}</description>",
    ]
    for it in items:
        parts.append("<item>")
        parts.append(f"<title>{it.title}</title>")
        if it.link:
            parts.append(f"<link>{it.link}</link>")
        if it.guid:
            permalink = "true" if it.guid.startswith("http") else "false"
            parts.append(f'<guid isPermaLink="{permalink}">{it.guid}</guid>')
        if it.date:
            parts.append(f"<pubDate>{it.date}</pubDate>")
        if it.author:
            parts.append(f"<dc:creator>{it.author}</dc:creator>")
        if it.summary:
            parts.append(f"<description>{it.summary}</description>")
        parts.append("</item>")
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def rss1(base: str, items: list[Item]) -> bytes:
    lis = "".join(f'<rdf:li rdf:resource="{it.link}"/>' for it in items)
    body = "".join(
        f'<item rdf:about="{it.link}"><title>{it.title}</title><link>{it.link}</link>'
        + (f"<dc:date>{it.date}</dc:date>" if it.date else "")
        + (f"<dc:creator>{it.author}</dc:creator>" if it.author else "")
        + "</item>"
        for it in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="{base}/"><title>RDF News</title><link>{base}/</link>'
        f"<description>RSS 1.0</description><items><rdf:Seq>{lis}</rdf:Seq></items></channel>"
        f"{body}</rdf:RDF>\n"
    ).encode()


def atom(base: str) -> bytes:
    """Atom 1.0 with xml:base: relative hrefs resolve against it (and a per-entry base)."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/atom/">
  <title>Atom Times</title><id>urn:test:atom</id><updated>2024-05-03T10:00:00Z</updated>
  <entry>
    <title type="html">Atom &lt;em&gt;one&lt;/em&gt;</title>
    <link rel="alternate" href="2024/one.html"/>
    <id>urn:test:atom:1</id>
    <published>2024-05-03T09:00:00+01:00</published>
    <updated>2024-05-03T09:30:00+01:00</updated>
    <author><name>Cy Writer</name></author>
    <summary type="html">&lt;p&gt;One &amp;amp; only.&lt;/p&gt;</summary>
  </entry>
  <entry xml:base="{base}/other/section/">
    <title>Atom two</title>
    <link rel="alternate" href="two.html"/>
    <id>urn:test:atom:2</id>
    <updated>2024-05-03T11:00:00Z</updated>
  </entry>
</feed>
""".encode()


def rfc822(days_ago: int, hour: int = 8) -> str:
    when = datetime(2024, 5, 10, hour, 0, tzinfo=UTC) - timedelta(days=days_ago)
    return email.utils.format_datetime(when, usegmt=True)


def two_items(prefix: str) -> list[Item]:
    return [
        Item(f"/p/{prefix}-1", f"{prefix} story one", date=rfc822(1)),
        Item(f"/p/{prefix}-2", f"{prefix} story two", date=rfc822(2)),
    ]


# --------------------------------------------------------------------------- DB helpers
@dataclass
class Poll:
    run_id: int
    results: list[dict[str, Any]]
    processed: dict[str, Any]
    finished: dict[str, Any]

    @property
    def result(self) -> dict[str, Any]:
        return self.results[0]


def run_polls(db_url: str, feed_ids: list[int], fetcher: fetch.Fetcher, name: str) -> Poll:
    """One ingest run as the DAG makes it: start, poll each feed, process, finish."""
    with db.connect(db_url) as conn, db.connect_autocommit(db_url) as pages:
        run_id = runs.start_run(conn, runs.identity("test_feeds", name))
        conn.commit()  # the run row, visible to the autocommit connection
        results = []
        for feed_id in feed_ids:
            results.append(feeds.poll_feed(conn, pages, run_id, feed_id, fetcher))
            conn.commit()
        processed = ingest.process_run(conn, run_id)
        conn.commit()
        finished = runs.finish_run(conn, run_id)
        conn.commit()
    return Poll(run_id, results, processed, finished)


def add(db_url: str, url: str, name: str, source: str | None = None) -> int:
    with db.connect(db_url) as conn:
        feed_id = feeds.add_feed(conn, url, name=name, source=source)
        conn.commit()
    return feed_id


def register_unchecked(db_url: str, url: str, name: str) -> int:
    """A feed row written directly, as an older version (or an operator in SQL) could have."""
    sql = "INSERT INTO news.feeds (url, name) VALUES (%s, %s) RETURNING id"
    return int(query(db_url, sql, (url, name))[0]["id"])


def feed_row(db_url: str, feed_id: int) -> dict[str, Any]:
    return query(db_url, "SELECT * FROM news.feeds WHERE id = %s", (feed_id,))[0]


def health(db_url: str, feed_id: int) -> dict[str, Any]:
    return query(db_url, "SELECT * FROM news.feed_health WHERE id = %s", (feed_id,))[0]


def last_poll(db_url: str, feed_id: int) -> dict[str, Any]:
    return query(
        db_url,
        "SELECT * FROM news.feed_polls WHERE feed_id = %s ORDER BY id DESC LIMIT 1",
        (feed_id,),
    )[0]


def articles(db_url: str) -> dict[str, dict[str, Any]]:
    """Articles by URL path ('/p/x')."""
    rows = query(db_url, "SELECT * FROM news.articles ORDER BY id")
    return {"/" + r["url"].split("/", 3)[3]: r for r in rows}


def page_rows(db_url: str) -> dict[str, dict[str, Any]]:
    return {r["url"]: r for r in query(db_url, "SELECT * FROM news.pages")}


def outcomes(db_url: str, run_id: int) -> list[str]:
    rows = query(
        db_url,
        "SELECT state FROM news.document_outcomes WHERE run_id = %s ORDER BY raw_document_id",
        (run_id,),
    )
    return [r["state"] for r in rows]


def kept(db_url: str) -> dict[str, list[tuple]]:
    return snapshot(db_url, KEPT_TABLES)


def health_line(row: dict[str, Any]) -> str:
    return (
        f"status={row['last_status']} http={row['last_http_status']} "
        f"score={row['failure_score']:g} consecutive={row['consecutive_failures']} "
        f"interval={row['poll_interval_seconds']}s"
    )


# =========================================================================== formats
def test_rss2_rss1_atom_become_articles_with_feed_fallbacks(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    base = site.base_url
    site.routes["/f/rss2"] = Reply(
        200,
        rss2(
            [
                # page has neither title nor date: the entry's title, date, author are used
                Item(
                    f"{base}/p/rss2-a",
                    "Feed title &amp; fallback",
                    guid="wire-1",
                    date="Wed, 01 May 2024 08:30:00 +0200",
                    author="Ada Reporter",
                    summary="&lt;p&gt;First &lt;b&gt;story&lt;/b&gt;.&lt;/p&gt;",
                ),
                # relative link; the page's own title and date win over the entry's
                Item("/p/rss2-b", "Entry title B", guid="wire-2", date=rfc822(3)),
                # guid permalink only, no date anywhere: the fetch time, said so
                Item("", "Guid only", guid=f"{base}/p/rss2-c"),
            ]
        ),
        RSS_TYPE,
    )
    site.pages["/p/rss2-a"] = Reply(200, article_page(101), HTML_TYPE)
    site.pages["/p/rss2-b"] = Reply(
        200,
        article_page(102, title="Page title B", published="2024-04-30T12:00:00Z"),
        HTML_TYPE,
    )
    site.pages["/p/rss2-c"] = Reply(200, article_page(103), HTML_TYPE)
    site.routes["/f/rss1"] = Reply(
        200,
        rss1(
            base,
            [
                Item(f"{base}/p/rdf-a", "RDF item A", date="2024-05-02T12:00:00Z", author="Bea"),
                Item(f"{base}/p/rdf-b", "RDF item B", date="2024-05-02T13:00:00+02:00"),
            ],
        ),
        "application/rdf+xml",
    )
    site.pages["/p/rdf-a"] = Reply(200, article_page(104), HTML_TYPE)
    site.pages["/p/rdf-b"] = Reply(200, article_page(105), HTML_TYPE)
    site.routes["/f/atom"] = Reply(200, atom(base), ATOM_TYPE)
    site.pages["/atom/2024/one.html"] = Reply(200, article_page(106), HTML_TYPE)
    site.pages["/other/section/two.html"] = Reply(200, article_page(107), HTML_TYPE)
    # recoverable: an undefined entity and bare ampersands
    site.routes["/f/bozo"] = Reply(
        200,
        b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        b"<title>Sloppy & Sons</title><link>/</link>"
        b"<item><title>Caf&eacute; opens</title><link>/p/sloppy-1</link>"
        b"<description>Fish & chips</description></item>"
        b"<item><title>Second sloppy story</title><link>/p/sloppy-2</link></item>"
        b"</channel></rss>\n",
        "text/xml",
    )

    ids = [
        add(db_url, site.url("/f/rss2"), "rss2", source="Local Wire"),
        add(db_url, site.url("/f/rss1"), "rss1"),
        add(db_url, site.url("/f/atom"), "atom"),
    ]
    bozo = add(db_url, site.url("/f/bozo"), "bozo")
    poll = run_polls(db_url, [*ids, bozo], fetcher, "formats")

    assert [r["outcome"] for r in poll.results] == ["ok", "ok", "ok", "ok-malformed"]
    assert [(r["entries"], r["new_entries"], r["pages_fetched"]) for r in poll.results] == [
        (3, 3, 3),
        (2, 2, 2),
        (2, 2, 2),
        (2, 2, 2),
    ]
    assert poll.finished["status"] == "success"
    assert poll.finished["articles_stored"] == 9
    assert outcomes(db_url, poll.run_id) == ["stored"] * 9

    # the malformed feed: entries kept, the parser's complaint on the poll, no failure counted
    assert poll.results[3]["warning"]
    row = feed_row(db_url, bozo)
    assert (row["last_status"], row["failure_score"], row["last_error"]) == (
        "ok-malformed",
        0,
        None,
    )
    assert health(db_url, bozo)["failures_24h"] == 0
    bozo_error = last_poll(db_url, bozo)["error"]
    assert bozo_error

    arts = articles(db_url)
    assert arts.pop("/p/sloppy-1")["title"] == "Café opens"
    assert arts.pop("/p/sloppy-2")["title"] == "Second sloppy story"
    assert set(arts) == {
        "/p/rss2-a",
        "/p/rss2-b",
        "/p/rss2-c",
        "/p/rdf-a",
        "/p/rdf-b",
        "/atom/2024/one.html",
        "/other/section/two.html",
    }
    a, b, c = arts["/p/rss2-a"], arts["/p/rss2-b"], arts["/p/rss2-c"]
    # entry fallbacks: title, author, date (and where the date came from)
    assert (a["title"], a["byline"]) == ("Feed title & fallback", "Ada Reporter")
    assert a["published_at"] == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    assert a["published_at_source"] == "feed"
    assert a["language"] == "en" and a["word_count"] > 100
    assert a["text"].startswith(article_text(101)[:60])
    # the page's own metadata wins
    assert (b["title"], b["published_at_source"]) == ("Page title B", "page-metadata")
    assert b["published_at"] == datetime(2024, 4, 30, 12, 0, tzinfo=UTC)
    assert b["url"] == f"{base}/p/rss2-b"  # relative link resolved against the feed URL
    # no date in the entry nor on the page: no publication date (the fetch time is not one)
    assert (c["published_at"], c["published_at_source"]) == (None, None)
    assert c["title"] == "Guid only"
    assert c["source_id"] is not None  # the feed's source
    # RSS 1.0: dc:date and dc:creator
    assert arts["/p/rdf-a"]["published_at"] == datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
    assert arts["/p/rdf-b"]["published_at"] == datetime(2024, 5, 2, 11, 0, tzinfo=UTC)
    assert arts["/p/rdf-a"]["byline"] == "Bea"
    assert arts["/p/rdf-a"]["published_at_source"] == "feed"
    # Atom: xml:base and a per-entry xml:base, HTML title, published before updated
    one, two = arts["/atom/2024/one.html"], arts["/other/section/two.html"]
    assert one["title"] == "Atom one" and one["byline"] == "Cy Writer"
    assert one["published_at"] == datetime(2024, 5, 3, 8, 0, tzinfo=UTC)
    assert two["published_at"] == datetime(2024, 5, 3, 11, 0, tzinfo=UTC)

    # raw archive: one page document per article, with the entry's metadata kept
    raws = query(db_url, "SELECT * FROM news.raw_documents ORDER BY id")
    assert len(raws) == 9 and {r["origin"] for r in raws} == {"page"}
    meta_a = next(r for r in raws if r["url"].endswith("/p/rss2-a"))["entry_meta"]
    assert meta_a["title"] == "Feed title & fallback" and meta_a["feed"] == "rss2"
    assert meta_a["summary"] == "First story."
    # entries and pages
    entries = query(db_url, "SELECT * FROM news.feed_entries ORDER BY feed_id, entry_url")
    assert len(entries) == 9
    assert {p["last_outcome"] for p in page_rows(db_url).values()} == {"ok"}
    for feed_id in ids:
        row = feed_row(db_url, feed_id)
        assert (row["last_status"], row["last_http_status"], row["last_error"]) == ("ok", 200, None)
        assert row["body_hash"] and row["entries_new_last"] == row["entries_seen_total"] > 0
        assert row["poll_interval_seconds"] == 600  # all entries new: 900 halved, clamped
        polled = last_poll(db_url, feed_id)
        assert polled["outcome"] == "ok" and polled["pages_failed"] == 0

    record(
        "RSS 2.0",
        "ok, 3 entries -> 3 articles (title/author/date from the entry when the page lacks them; published_at_source feed / page-metadata / none)",
    )
    record("RSS 1.0", "ok, 2 entries -> 2 articles (dc:date, dc:creator used)")
    record(
        "Atom 1.0",
        "ok, 2 entries -> 2 articles (xml:base and per-entry xml:base resolved, HTML title stripped)",
    )
    record(
        "malformed but recoverable feed",
        f"ok-malformed, 2 entries -> 2 articles, no failure counted; feed_polls.error={bozo_error[:50]!r}",
    )
    record(
        "relative links",
        f"resolved against the feed URL / xml:base: {b['url'].replace(base, '')}, {two['url'].replace(base, '')}",
    )


# =========================================================================== conditional GET
def test_304_stale_validators_and_429_then_success(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    last_modified = "Wed, 01 May 2024 10:00:00 GMT"
    etag_body = rss2(two_items("etag"))

    def etag_route(req: SeenRequest, server: HostileServer) -> Reply:
        headers = {"ETag": '"v1"', "Last-Modified": last_modified}
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", content_type=None, headers=headers)
        return Reply(200, etag_body, RSS_TYPE, headers)

    # the same ETag every time, conditional requests ignored, the body changes when it likes
    stale = {"items": two_items("stale")}

    def stale_route(req: SeenRequest, server: HostileServer) -> Reply:
        return Reply(200, rss2(stale["items"]), RSS_TYPE, {"ETag": '"same"'})

    flaky_body = rss2(two_items("flaky"))

    def flaky_route(req: SeenRequest, server: HostileServer) -> Reply:
        if server.count("flaky") == 1:
            return Reply(429, b"slow down", headers={"Retry-After": "1"})
        return Reply(200, flaky_body, RSS_TYPE)

    site.routes.update({"/f/etag": etag_route, "/f/stale": stale_route, "/f/flaky": flaky_route})
    etag = add(db_url, site.url("/f/etag"), "etag")
    stale_id = add(db_url, site.url("/f/stale"), "stale")
    flaky = add(db_url, site.url("/f/flaky"), "flaky")

    # run 1: all three fine (the 429 is retried after its Retry-After)
    started = time.monotonic()
    first = run_polls(db_url, [etag, stale_id, flaky], fetcher, "cond-1")
    assert time.monotonic() - started >= 0.9
    assert [r["outcome"] for r in first.results] == ["ok", "ok", "ok"]
    assert first.finished["articles_stored"] == 6
    flaky_times = [r.at for r in site.requests if r.route == "/f/flaky"]
    assert len(flaky_times) == 2 and flaky_times[1] - flaky_times[0] >= 0.9  # Retry-After: 1
    row = feed_row(db_url, flaky)
    assert (row["last_status"], row["failure_score"], row["consecutive_failures"]) == ("ok", 0, 0)
    row = feed_row(db_url, etag)
    assert (row["etag"], row["last_modified"]) == ('"v1"', last_modified)
    stale_hash = feed_row(db_url, stale_id)["body_hash"]
    before = kept(db_url)

    # run 2: 304 for the first; the same body (stale ETag) for the second and the third
    second = run_polls(db_url, [etag, stale_id, flaky], fetcher, "cond-2")
    assert [r["outcome"] for r in second.results] == [
        "not-modified",
        "unchanged-body",
        "unchanged-body",
    ]
    sent = [r for r in site.requests if r.route == "/f/etag"]
    assert "if-none-match" not in sent[0].headers
    assert sent[1].headers["if-none-match"] == '"v1"'
    assert sent[1].headers["if-modified-since"] == last_modified
    assert [r.headers.get("if-none-match") for r in site.requests if r.route == "/f/stale"] == [
        None,
        '"same"',
    ]
    assert site.hits("/p/etag-1") == site.hits("/p/stale-1") == 1  # no page fetched again
    assert kept(db_url) == before
    assert second.finished["documents_seen"] == 0 and second.finished["status"] == "success"
    row = feed_row(db_url, etag)
    assert (row["last_status"], row["last_http_status"], row["etag"]) == (
        "not-modified",
        304,
        '"v1"',
    )
    assert row["poll_interval_seconds"] == 900  # 600 after an all-new poll, x1.5 now
    polled = last_poll(db_url, etag)
    assert (polled["outcome"], polled["http_status"], polled["entries_total"]) == (
        "not-modified",
        304,
        0,
    )
    row = feed_row(db_url, stale_id)
    assert (row["last_status"], row["last_http_status"], row["body_hash"]) == (
        "unchanged-body",
        200,
        stale_hash,
    )

    # run 3: still the same stale ETag, but the body changed: the new entry is found
    stale["items"] = [Item("/p/stale-3", "stale story three", date=rfc822(0)), *stale["items"]]
    third = run_polls(db_url, [stale_id], fetcher, "cond-3")
    assert third.result["outcome"] == "ok"
    assert (third.result["entries"], third.result["new_entries"]) == (3, 1)
    assert third.result["pages_fetched"] == 1
    assert (site.hits("/p/stale-1"), site.hits("/p/stale-3")) == (1, 1)
    assert third.finished["articles_stored"] == 1
    assert len(articles(db_url)) == 7
    row = feed_row(db_url, stale_id)
    assert row["body_hash"] != stale_hash and row["last_status"] == "ok"
    assert last_poll(db_url, stale_id)["entries_new"] == 1

    record(
        "304 flow",
        "2nd poll sends If-None-Match + If-Modified-Since -> not-modified (304); no page fetched, no row changed; interval 600 -> 900 s",
    )
    record(
        "stale validators, same body",
        "200 despite If-None-Match -> unchanged-body (body hash); nothing re-fetched",
    )
    record(
        "stale validators, changed body", "ok: only the 1 new entry's page fetched -> 1 new article"
    )
    record(
        "429 with Retry-After, then 200",
        "waited the 1 s Retry-After, retried -> ok, 2 articles, no failure counted",
    )


# =========================================================================== hostile feeds
HOSTILE = hostile_routes()


@dataclass
class Hostile:
    case: str
    reply: Any  # a Reply, or "loop" for a redirect loop
    outcome: str
    status: int | None
    kind: str
    weight: float
    error: str
    requests: int = 1  # requests the hostile poll makes (retries included)

    def routes(self, path: str) -> dict[str, Any]:
        if self.reply == "loop":
            return {
                path: Reply(302, b"", headers={"Location": path + "-b"}),
                path + "-b": Reply(302, b"", headers={"Location": path}),
            }
        return {path: self.reply}


HOSTILE_FEEDS = [
    Hostile(
        "feed that is not XML (HTML page)",
        Reply(200, HTML_PAGE, HTML_TYPE),
        "not-a-feed",
        200,
        "hard",
        1.0,
        "not a feed: the body is an HTML page",
    ),
    Hostile(
        "feed that is binary garbage",
        Reply(200, GARBAGE, "text/plain"),
        "not-a-feed",
        200,
        "hard",
        1.0,
        "not a feed",
    ),
    Hostile("redirect loop", "loop", "redirect-loop", 302, "hard", 1.0, "redirect loop back to"),
    Hostile(
        "429 with Retry-After (every time)",
        Reply(429, b"slow down", headers={"Retry-After": "1"}),
        "http-error",
        429,
        "soft",
        0.5,
        "HTTP 429",
        requests=2,
    ),
    Hostile(
        "slow response past the timeout",
        Reply(200, rss2(two_items("slow")), RSS_TYPE, delay=2.5),
        "timeout",
        None,
        "temporary",
        0.25,
        "ReadTimeout",
    ),
    Hostile(
        "gzip bomb",
        HOSTILE["/bomb/gzip"],
        "decompression-bomb",
        200,
        "hard",
        1.0,
        "decompressed body exceeds",
    ),
    Hostile(
        "oversized body (streamed, no Content-Length)",
        HOSTILE["/big/stream"],
        "too-large",
        200,
        "soft",
        0.5,
        f"body exceeds the {MAX_BYTES}-byte cap",
    ),
    Hostile(
        "oversized body (Content-Length)",
        HOSTILE["/big/declared"],
        "too-large",
        200,
        "soft",
        0.5,
        "Content-Length 268435456 exceeds",
    ),
    Hostile("404", Reply(404, b"nope"), "http-error", 404, "hard", 1.0, "HTTP 404"),
    Hostile(
        "503 (retried, then given up)",
        Reply(503, b"down", headers={"Retry-After": "0"}),
        "http-error",
        503,
        "temporary",
        0.25,
        "HTTP 503",
        requests=2,
    ),
]


def test_hostile_feeds_are_recorded_and_nothing_stored_is_lost(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    """Each feed first answers well (articles stored), then turns hostile at the same URL."""
    paths = [f"/f/h{i}" for i in range(len(HOSTILE_FEEDS))]
    for i, path in enumerate(paths):
        site.routes[path] = Reply(200, rss2(two_items(f"h{i}")), RSS_TYPE, {"ETag": f'"good-{i}"'})
    ids = [add(db_url, site.url(path), f"hostile-{i}") for i, path in enumerate(paths)]
    first = run_polls(db_url, ids, fetcher, "good")
    assert first.finished["articles_stored"] == 2 * len(ids)
    good = {feed_id: feed_row(db_url, feed_id) for feed_id in ids}
    before = kept(db_url)

    for case, path in zip(HOSTILE_FEEDS, paths, strict=True):
        site.routes.update(case.routes(path))
    started = time.monotonic()
    poll = run_polls(db_url, ids, fetcher, "hostile")
    assert time.monotonic() - started < 10

    problems: list[str] = []
    for case, path, feed_id, result in zip(HOSTILE_FEEDS, paths, ids, poll.results, strict=True):
        row = feed_row(db_url, feed_id)
        polled = last_poll(db_url, feed_id)
        view = health(db_url, feed_id)
        seen = {
            "outcome": result["outcome"],
            "failure": result.get("failure"),
            "paused": result.get("paused"),
            "requests": site.hits(path) - 1,
            "last_status": row["last_status"],
            "last_http_status": row["last_http_status"],
            "error prefix": row["last_error"].startswith(f"{case.kind}: {case.outcome}: "),
            "error text": case.error in row["last_error"],
            "failure_score": row["failure_score"],
            "consecutive_failures": row["consecutive_failures"],
            "poll_interval_seconds": row["poll_interval_seconds"],
            "validators kept": (row["etag"], row["body_hash"])
            == (good[feed_id]["etag"], good[feed_id]["body_hash"]),
            "last_success_at kept": row["last_success_at"] == good[feed_id]["last_success_at"],
            "poll row": (polled["outcome"], polled["http_status"], case.error in polled["error"]),
            "view": (view["status"], view["failures_24h"], view["polls_24h"]),
        }
        expected = {
            "outcome": case.outcome,
            "failure": case.kind,
            "paused": None,
            "requests": case.requests,
            "last_status": "error",
            "last_http_status": case.status,
            "error prefix": True,
            "error text": True,
            "failure_score": pytest.approx(case.weight),
            "consecutive_failures": 1,
            "poll_interval_seconds": 1200,  # 600 after the all-new good poll, doubled
            "validators kept": True,
            "last_success_at kept": True,
            "poll row": (case.outcome, case.status, True),
            "view": ("error", 1, 2),
        }
        for key, want in expected.items():
            if seen[key] != want:
                problems.append(f"{case.case}: {key} = {seen[key]!r}, expected {want!r}")
        record(
            case.case,
            f"{case.outcome}: {health_line(row)}; last_error={row['last_error'][:72]!r}; "
            "articles unchanged",
        )
    assert not problems, "\n".join(problems)

    # nothing stored before is lost; the run itself finishes cleanly
    assert kept(db_url) == before
    assert poll.processed["documents"] == 0
    assert poll.finished["status"] == "success"


def test_private_feed_address_refused_without_allowlist(
    db_url: str, site: HostileServer, loopback_connections: list[tuple[str, int]]
) -> None:
    # registered before `add_feed` refused such URLs (it does now): polling must refuse them too
    private = register_unchecked(db_url, "http://10.0.0.1/feed", "private")
    metadata = register_unchecked(db_url, "http://169.254.169.254/latest/meta-data/", "metadata")
    local = add(db_url, site.url("/feeds/rss2"), "loopback")
    with make_fetcher(http_allowlist=[], max_document_bytes=MAX_BYTES, fetch_max_tries=2) as strict:
        poll = run_polls(db_url, [private, metadata, local], strict, "ssrf")
    assert [r["outcome"] for r in poll.results] == ["blocked-ssrf"] * 3
    assert site.requests == []  # not even robots.txt
    assert loopback_connections == []
    errors = {f: feed_row(db_url, f)["last_error"] for f in (private, metadata, local)}
    assert errors[private] == "hard: blocked-ssrf: 10.0.0.1 is a private address"
    assert "cloud metadata" in errors[metadata]
    assert errors[local] == "hard: blocked-ssrf: 127.0.0.1 is a loopback address"
    for feed_id in (private, metadata, local):
        row = feed_row(db_url, feed_id)
        assert (row["last_status"], row["failure_score"], row["last_http_status"]) == (
            "error",
            1.0,
            None,
        )
        assert last_poll(db_url, feed_id)["outcome"] == "blocked-ssrf"
    assert poll.finished["status"] == "success"
    # the private address stays refused when only loopback is allowed
    with make_fetcher(max_document_bytes=MAX_BYTES, fetch_max_tries=2) as allow_loopback:
        again = run_polls(db_url, [private], allow_loopback, "ssrf-2")
    assert again.result["outcome"] == "blocked-ssrf"
    assert loopback_connections == []
    assert query(db_url, "SELECT count(*) AS n FROM news.raw_documents")[0]["n"] == 0
    record(
        "feed URL at a private address",
        f"blocked-ssrf, nothing contacted: {errors[private]!r}; hard failure (score 1)",
    )
    record(
        "feed on 127.0.0.1, no allowlist", f"blocked-ssrf: {errors[local]!r}; server saw no request"
    )


# =========================================================================== hostile pages
def test_hostile_article_pages_are_recorded_per_page(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    base = site.base_url
    gzip_bomb = HOSTILE["/bomb/gzip"]
    site.pages.update(  # type: ignore[attr-defined]
        {
            "/p/good": Reply(200, article_page(201, title="A good page"), HTML_TYPE),
            "/p/cp1251": Reply(200, CP1251_PAGE, "text/html"),  # no charset anywhere
            "/p/slow": Reply(200, article_page(202), HTML_TYPE, delay=2.5),
            "/p/bomb": Reply(
                200, gzip_bomb.body, "text/html", gzip_bomb.headers, content_length=False
            ),
            "/p/huge": HOSTILE["/big/stream"],
            "/p/missing": Reply(404, b"gone"),
            "/p/image": Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
            "/p/loop": Reply(302, b"", headers={"Location": "/p/loop-b"}),
            "/p/loop-b": Reply(302, b"", headers={"Location": "/p/loop"}),
            "/p/thin": Reply(200, b"<html><body><p>Too short.</p></body></html>", HTML_TYPE),
        }
    )
    paths = ["good", "cp1251", "slow", "bomb", "huge", "missing", "image", "loop", "thin"]
    items = [Item(f"/p/{p}", f"Entry {p}", date=rfc822(1)) for p in paths]
    items += [
        Item("/private/secret", "Robots says no", date=rfc822(1)),
        Item("http://10.0.0.1/internal", "Private address", date=rfc822(1)),
    ]
    site.routes["/f/pages"] = Reply(200, rss2(items), RSS_TYPE)
    feed_id = add(db_url, site.url("/f/pages"), "pages")
    poll = run_polls(db_url, [feed_id], fetcher, "pages")

    # the feed itself is fine: failed pages are the pages' business
    assert poll.result["outcome"] == "ok"
    assert (poll.result["entries"], poll.result["pages_fetched"], poll.result["pages_failed"]) == (
        11,
        3,
        8,
    )
    row = feed_row(db_url, feed_id)
    assert row["last_status"] == "ok" and row["failure_score"] == 0
    polled = last_poll(db_url, feed_id)
    assert (polled["pages_fetched"], polled["pages_failed"]) == (3, 8)

    pages = page_rows(db_url)
    got = {
        url.replace(base, ""): (p["last_outcome"], p["last_http_status"])
        for url, p in pages.items()
    }
    assert got == {
        "/p/good": ("ok", 200),
        "/p/cp1251": ("ok", 200),
        "/p/thin": ("ok", 200),
        "/p/slow": ("timeout", None),
        "/p/bomb": ("decompression-bomb", 200),
        "/p/huge": ("too-large", 200),
        "/p/missing": ("http-error", 404),
        "/p/image": ("bad-content-type", 200),
        "/p/loop": ("redirect-loop", 302),
        "/private/secret": ("blocked-robots", None),
        "http://10.0.0.1/internal": ("blocked-ssrf", None),
    }
    assert site.hits("/private/secret") == 0
    assert "10.0.0.1 is a private address" in pages["http://10.0.0.1/internal"]["last_error"]
    assert all(p["raw_document_id"] is None for u, p in pages.items() if p["last_outcome"] != "ok")

    # only the fetched pages were archived; two became articles, the thin one is quarantined
    raws = query(db_url, "SELECT id, url, charset FROM news.raw_documents ORDER BY id")
    assert len(raws) == 3
    assert sorted(outcomes(db_url, poll.run_id)) == ["quarantined", "stored", "stored"]
    quarantined = query(
        db_url,
        "SELECT q.reasons, r.url FROM news.quarantine q JOIN news.raw_documents r ON r.id = q.raw_document_id",
    )
    assert [q["url"] for q in quarantined] == [f"{base}/p/thin"]
    arts = articles(db_url)
    assert set(arts) == {"/p/good", "/p/cp1251"}
    ru = arts["/p/cp1251"]
    assert ru["language"] == "ru"
    assert CP1251_TEXT[:60] in ru["text"]
    assert ru["title"] == "Новости экономики"
    assert next(r for r in raws if r["url"].endswith("/p/cp1251"))["charset"] is None
    assert poll.finished["status"] == "success"
    assert (poll.finished["articles_stored"], poll.finished["quarantined"]) == (2, 1)

    record(
        "page in windows-1251, no charset",
        f"ok -> article language={ru['language']!r}, title {ru['title']!r}, Cyrillic text intact",
    )
    for path in (
        "/p/slow",
        "/p/bomb",
        "/p/huge",
        "/p/missing",
        "/p/image",
        "/p/loop",
        "/private/secret",
        "http://10.0.0.1/internal",
    ):
        outcome, status = got[path]
        record(
            f"article page {path}",
            f"pages.last_outcome={outcome} (http {status}); no document archived; the feed stays ok",
        )
    record(
        "article page too short",
        "archived, then quarantined (validation), document_outcomes=quarantined",
    )


# =========================================================================== dedupe across feeds
def test_entry_present_in_two_feeds_is_one_article(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    shared = Item("/p/shared", "Shared story", date=rfc822(1))
    site.routes["/f/alpha"] = Reply(
        200,
        rss2([Item("/p/alpha-1", "Alpha only", date=rfc822(1)), shared], title="Alpha"),
        RSS_TYPE,
    )
    site.routes["/f/beta"] = Reply(
        200, rss2([shared, Item("/p/beta-1", "Beta only", date=rfc822(1))], title="Beta"), RSS_TYPE
    )
    site.routes["/f/gamma"] = Reply(200, rss2([shared], title="Gamma"), RSS_TYPE)
    alpha = add(db_url, site.url("/f/alpha"), "alpha")
    beta = add(db_url, site.url("/f/beta"), "beta")
    poll = run_polls(db_url, [alpha, beta], fetcher, "shared")
    a, b = poll.results
    assert (a["pages_fetched"], a["pages_skipped"]) == (2, 0)
    assert (b["pages_fetched"], b["pages_skipped"]) == (1, 1)  # claimed by alpha in this run
    assert site.hits("/p/shared") == 1
    entries = query(
        db_url,
        "SELECT feed_id FROM news.feed_entries WHERE entry_url = %s ORDER BY feed_id",
        (site.url("/p/shared"),),
    )
    assert [e["feed_id"] for e in entries] == [alpha, beta]  # one entry per feed
    assert poll.finished["articles_stored"] == 3
    shared_articles = query(
        db_url, "SELECT * FROM news.articles WHERE canonical_url = %s", (site.url("/p/shared"),)
    )
    assert len(shared_articles) == 1

    # a third feed lists the same URL in a later run: the page is the same bytes, still one article
    gamma = add(db_url, site.url("/f/gamma"), "gamma")
    later = run_polls(db_url, [gamma], fetcher, "shared-later")
    assert later.result["new_entries"] == 1
    assert outcomes(db_url, later.run_id) in ([], ["already-ingested"])
    assert later.finished["articles_stored"] == 0
    assert (
        len(
            query(
                db_url,
                "SELECT 1 FROM news.articles WHERE canonical_url = %s",
                (site.url("/p/shared"),),
            )
        )
        == 1
    )
    assert len(articles(db_url)) == 3
    record(
        "entry present in two feeds",
        f"one page fetch, one article; 2nd feed: pages_skipped=1; a 3rd feed in a later run: outcome {outcomes(db_url, later.run_id) or 'none'}",
    )


# =========================================================================== feed health
def test_repeated_failures_pause_the_feed_with_a_reason(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    site.routes["/f/broken"] = Reply(200, HTML_PAGE, HTML_TYPE)
    feed_id = add(db_url, site.url("/f/broken"), "broken")
    intervals = []
    for n in range(1, 6):
        poll = run_polls(db_url, [feed_id], fetcher, f"broken-{n}")
        assert poll.result["outcome"] == "not-a-feed"
        row = feed_row(db_url, feed_id)
        intervals.append(row["poll_interval_seconds"])
        assert row["consecutive_failures"] == n
        assert row["failure_score"] == pytest.approx(float(n))
        if n < 5:
            assert (row["last_status"], row["paused_at"]) == ("error", None)
            assert poll.result["paused"] is None
    assert intervals == [1800, 3600, 7200, 14400, 28800]  # doubled each time
    assert poll.result["paused"]
    row = feed_row(db_url, feed_id)
    # the pause lives in paused_at/paused_reason; the feed_health view shows status "paused"
    assert row["last_status"] == "error" and row["paused_at"] is not None
    assert row["paused_reason"] == "failure score 5.00 reached 5 (5 consecutive failures)"
    view = health(db_url, feed_id)
    assert (view["status"], view["paused_reason"], view["failures_24h"]) == (
        "paused",
        row["paused_reason"],
        5,
    )
    assert view["last_error"].startswith("hard: not-a-feed: not a feed")
    with db.connect(db_url) as conn:
        far_future = datetime.now(UTC) + timedelta(days=30)
        assert feed_id not in [f["id"] for f in feeds.due_feeds(conn, far_future)]
        # lifting the pause resets the health and makes the feed due at once
        assert feeds.enable_feed(conn, "broken")
        conn.commit()
        assert feed_id in [f["id"] for f in feeds.due_feeds(conn)]
    site.routes["/f/broken"] = Reply(200, rss2(two_items("mended")), RSS_TYPE)
    mended = run_polls(db_url, [feed_id], fetcher, "mended")
    assert mended.result["outcome"] == "ok"
    row = feed_row(db_url, feed_id)
    assert (row["last_status"], row["failure_score"], row["paused_at"]) == ("ok", 0, None)
    record(
        "5 hard failures in a row",
        f"paused, reason {view['paused_reason']!r}; interval 900->{intervals}; not due; enable_feed clears paused_at/reason and makes it due",
    )

    # temporary failures weigh 0.25: the limit of 10 in a row pauses first
    site.routes["/f/down"] = Reply(503, b"down", headers={"Retry-After": "0"})
    feed_id = add(db_url, site.url("/f/down"), "down")
    with db.connect(db_url) as conn, db.connect_autocommit(db_url) as pages:
        run_id = runs.start_run(conn, runs.identity("test_feeds", "down"))
        conn.commit()  # the run row, visible to the autocommit connection
        for _ in range(9):
            assert feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)["paused"] is None
        conn.commit()
        row = feed_row(db_url, feed_id)
        assert (row["failure_score"], row["consecutive_failures"]) == (pytest.approx(2.25), 9)
        assert row["poll_interval_seconds"] == 86400  # the back-off stops at 24 h
        assert feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)["paused"]
        conn.commit()
    row = feed_row(db_url, feed_id)
    assert row["paused_reason"] == "10 consecutive failures (limit 10)"
    record(
        "10 temporary failures (503)",
        f"score {row['failure_score']:g}, paused: {row['paused_reason']!r}; interval capped at 86400 s",
    )


def test_adaptive_interval_follows_the_share_of_new_entries(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    state = {"items": two_items("adapt"), "description": "v1"}

    def route(req: SeenRequest, server: HostileServer) -> Reply:
        return Reply(200, rss2(state["items"], description=state["description"]), RSS_TYPE)

    site.routes["/f/adapt"] = route
    feed_id = add(db_url, site.url("/f/adapt"), "adapt")

    def set_interval(seconds: int) -> None:
        with db.connect(db_url) as conn:
            conn.execute(
                "UPDATE news.feeds SET poll_interval_seconds = %s WHERE id = %s", (seconds, feed_id)
            )
            conn.commit()

    def poll(name: str) -> tuple[str, int]:
        # the polling policy only: the archived pages need not be processed here
        with db.connect(db_url) as conn, db.connect_autocommit(db_url) as pages:
            run_id = runs.start_run(conn, runs.identity("test_feeds", name))
            conn.commit()  # the run row, visible to the autocommit connection
            result = feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)
            conn.commit()
        return result["outcome"], feed_row(db_url, feed_id)["poll_interval_seconds"]

    set_interval(3600)
    assert poll("all-new") == ("ok", 1800)  # every entry new: halved
    state["description"] = "v2"  # a new body, every entry already seen
    assert poll("all-seen") == ("ok", 2700)  # x1.5
    state["items"] = [*two_items("adapt-new"), *state["items"]]
    state["description"] = "v3"
    assert poll("half-new") == ("ok", 2700)  # half new: kept
    assert poll("unchanged") == ("unchanged-body", 4050)  # unchanged counts as all seen
    state["items"] = two_items("adapt-fresh")
    assert poll("fresh") == ("ok", 2025)
    set_interval(80000)
    assert poll("cap") == ("unchanged-body", 86400)  # clamped at 24 h
    state["items"] = two_items("adapt-floor")
    set_interval(700)
    assert poll("floor") == ("ok", 600)  # clamped at 10 min
    row = feed_row(db_url, feed_id)
    assert row["next_poll_at"] - row["last_polled_at"] == timedelta(seconds=600)
    record(
        "adaptive interval",
        "3600 -> all new 1800 -> all seen 2700 -> half new 2700 -> unchanged 4050 -> all new 2025; clamped to [600, 86400]",
    )


# =========================================================================== versions
def test_changed_page_becomes_version_2(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    state = {"summary": "First take.", "page": article_page(301, title="Developing story")}

    def feed(req: SeenRequest, server: HostileServer) -> Reply:
        item = Item("/p/developing", "Developing story", date=rfc822(1), summary=state["summary"])
        return Reply(200, rss2([item]), RSS_TYPE)

    site.routes["/f/dev"] = feed
    site.routes["/p/developing"] = lambda req, server: Reply(200, state["page"], HTML_TYPE)
    feed_id = add(db_url, site.url("/f/dev"), "dev")
    first = run_polls(db_url, [feed_id], fetcher, "v1")
    assert first.finished["articles_stored"] == 1
    (v1,) = query(db_url, "SELECT * FROM news.articles")
    assert v1["version"] == 1

    # the entry is updated and the page now carries more text
    update = "<p>Update: officials confirmed the ferry timetable will change again next week.</p>"
    state["summary"] = "Updated take."
    state["page"] = article_page(301, title="Developing story", extra=update)
    second = run_polls(db_url, [feed_id], fetcher, "v2")
    assert second.result["pages_fetched"] == 1
    assert outcomes(db_url, second.run_id) == ["updated"]
    assert second.finished["articles_updated"] == 1
    (v2,) = query(db_url, "SELECT * FROM news.articles")
    assert (v2["id"], v2["version"]) == (v1["id"], 2)
    assert "Update: officials confirmed" in v2["text"]
    assert v2["content_hash"] != v1["content_hash"]
    assert v2["first_seen_at"] == v1["first_seen_at"]
    assert v2["published_at"] == v1["published_at"]
    (old,) = query(db_url, "SELECT * FROM news.article_versions")
    assert (old["article_id"], old["version"]) == (v1["id"], 1)
    assert (old["text"], old["content_hash"], old["raw_document_id"]) == (
        v1["text"],
        v1["content_hash"],
        v1["raw_document_id"],
    )
    assert len(query(db_url, "SELECT 1 FROM news.raw_documents")) == 2
    record(
        "page changed since the last fetch",
        "same article id, version 2 (document_outcomes=updated); version 1 kept in article_versions",
    )


# =========================================================================== failed pages
def test_page_that_failed_temporarily_is_fetched_on_the_next_poll(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    """A page that timed out (or answered 503) must not be lost for good: the next poll of the
    feed tries it again, even though the feed's body and the entry did not change."""
    site.routes["/f/retry"] = Reply(200, rss2(two_items("retry")), RSS_TYPE)
    site.pages["/p/retry-2"] = Reply(503, b"down", headers={"Retry-After": "0"})
    feed_id = add(db_url, site.url("/f/retry"), "retry")
    first = run_polls(db_url, [feed_id], fetcher, "retry-1")
    assert (first.result["pages_fetched"], first.result["pages_failed"]) == (1, 1)
    assert page_rows(db_url)[site.url("/p/retry-2")]["last_outcome"] == "http-error"

    site.pages["/p/retry-2"] = Reply(200, article_page(401), HTML_TYPE)  # the site recovered
    second = run_polls(db_url, [feed_id], fetcher, "retry-2")
    page = page_rows(db_url)[site.url("/p/retry-2")]
    record(
        "page failed temporarily (503), site recovers",
        f"next poll: feed {second.result['outcome']}, page last_outcome={page['last_outcome']}, articles={len(articles(db_url))}",
    )
    assert site.hits("/p/retry-2") > 2, "the failed page was never tried again"
    assert page["last_outcome"] == "ok"
    assert set(articles(db_url)) == {"/p/retry-1", "/p/retry-2"}


def test_enable_feed_clears_the_paused_status_in_feed_health(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    """After ``enable_feed`` lifts an automatic pause, feed_health must not say 'paused'."""
    site.routes["/f/broken"] = Reply(200, HTML_PAGE, HTML_TYPE)
    feed_id = add(db_url, site.url("/f/broken"), "broken")
    with db.connect(db_url) as conn, db.connect_autocommit(db_url) as pages:
        run_id = runs.start_run(conn, runs.identity("test_feeds", "pause"))
        conn.commit()  # the run row, visible to the autocommit connection
        for _ in range(5):
            feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)
        conn.commit()
        assert health(db_url, feed_id)["status"] == "paused"
        assert feeds.enable_feed(conn, str(feed_id))
        conn.commit()
    view = health(db_url, feed_id)
    record(
        "enable_feed after an automatic pause",
        f"feed_health.status={view['status']!r}, paused_at={view['paused_at']}, "
        f"paused_reason={view['paused_reason']!r}",
    )
    assert (view["paused_at"], view["paused_reason"], view["failure_score"]) == (None, None, 0)
    assert view["status"] != "paused", "feed_health still says 'paused' (feeds.last_status)"


def test_two_entries_of_one_page_do_not_make_it_fetched_every_poll(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    """Two entries whose links differ only by tracking parameters are one page: recorded under
    one URL, each overwrote the other's hash, so the page counted as changed and was fetched
    again on every poll whose feed body changed."""
    twins = [
        Item("/p/twin?utm_source=rss", "twin story", guid="twin-a", date=rfc822(1)),
        Item("/p/twin?utm_source=rss&utm_content=update", "twin story (updated)", guid="twin-b",
             date=rfc822(1)),
    ]  # fmt: skip
    feed_id = add(db_url, site.url("/f/twins"), "twins")
    for poll in range(3):  # a new filler item each time: the feed body changes
        filler = [Item(f"/p/filler-{n}", f"filler {n}", date=rfc822(2)) for n in range(poll + 1)]
        site.routes["/f/twins"] = Reply(200, rss2(twins + filler), RSS_TYPE)
        run_polls(db_url, [feed_id], fetcher, f"twins-{poll}")
    assert site.hits("/p/twin") == 1


def test_a_feed_asking_to_wait_an_hour_is_not_polled_again_sooner(
    db_url: str, site: HostileServer, fetcher: fetch.Fetcher
) -> None:
    """429 with Retry-After: 3600: the next poll was set by the usual doubling (minutes)."""
    site.routes["/f/busy"] = Reply(429, b"busy", headers={"Retry-After": "3600"})
    feed_id = add(db_url, site.url("/f/busy"), "busy")
    run_polls(db_url, [feed_id], fetcher, "busy-1")
    row = feed_row(db_url, feed_id)
    assert site.hits("/f/busy") == 1
    assert (row["next_poll_at"] - row["last_polled_at"]).total_seconds() >= 3599
    assert row["poll_interval_seconds"] < 3600  # the feed's own interval is not an hour now
