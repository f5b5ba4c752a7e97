"""The ``newsflow feeds`` commands' pitfalls: an existing URL is never renamed silently, a URL
the fetcher would refuse is refused at once, an OPML that yields no feed says why, a home page
that advertises its feeds adds them, and feed data is printed as text, never as markup."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from httpserver import RSS2, Reply, only_loopback, serve  # noqa: E402

from newsflow.cli import app  # noqa: E402
from tests.integration.helpers import query  # noqa: E402

HOME = b"""<!doctype html><html><head><title>Harbour News</title>
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss.xml">
<link rel="alternate" type="application/atom+xml" title="Local" href="/local.atom">
</head><body><h1>Harbour News</h1></body></html>"""


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("NEWSFLOW_HTTP_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("NEWSFLOW_HOST_MIN_INTERVAL", "0")
    only_loopback(monkeypatch)
    return CliRunner()


def test_add_existing_url_never_renames_and_rename_is_explicit(cli: CliRunner, db_url: str) -> None:
    with serve() as site:
        url = site.url("/feeds/rss2")
        first = cli.invoke(app, ["feeds", "add", url, "--name", "Wire"])
        assert first.exit_code == 0, first.output
        again = cli.invoke(app, ["feeds", "add", url, "--name", "Other"])
    assert again.exit_code == 1
    assert "already exists" in again.output and "feeds rename" in again.output
    assert [r["name"] for r in query(db_url, "SELECT name FROM news.feeds")] == ["Wire"]
    renamed = cli.invoke(app, ["feeds", "rename", url, "Wire Service"])
    assert renamed.exit_code == 0, renamed.output
    assert [r["name"] for r in query(db_url, "SELECT name FROM news.feeds")] == ["Wire Service"]
    assert cli.invoke(app, ["feeds", "rename", "nope", "x"]).exit_code == 1


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://metadata.google.internal/feed", "cloud metadata host"),
        ("http://10.1.2.3/rss", "private address"),
    ],
)
def test_add_refuses_what_the_fetcher_refuses_at_once(
    cli: CliRunner, db_url: str, url: str, why: str
) -> None:
    refused = cli.invoke(app, ["feeds", "add", url])
    assert refused.exit_code == 2
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("refused:") and why in lines[0], lines
    assert "NEWSFLOW_HTTP_ALLOWLIST" in lines[0]
    assert query(db_url, "SELECT count(*) AS n FROM news.feeds")[0]["n"] == 0


def test_home_page_adds_the_feeds_it_advertises(cli: CliRunner, db_url: str) -> None:
    routes = {
        "/": Reply(200, HOME, "text/html; charset=utf-8"),
        "/rss.xml": Reply(200, RSS2, "application/rss+xml"),
        "/plain": Reply(200, b"<html><body>no feeds here</body></html>", "text/html"),
    }
    with serve(routes) as site:
        added = cli.invoke(app, ["feeds", "add", site.url("/")])
        assert added.exit_code == 0, added.output
        nothing = cli.invoke(app, ["feeds", "add", site.url("/plain")])
    rows = query(db_url, "SELECT url, name FROM news.feeds ORDER BY id")
    assert [(r["url"], r["name"]) for r in rows] == [
        (site.url("/rss.xml"), "Top stories"),
        (site.url("/local.atom"), "Local"),
    ]
    assert nothing.exit_code == 2 and "not a feed" in nothing.output
    assert "advertises none" in nothing.output


def test_opml_with_no_feed_says_why(cli: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.opml"
    empty.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="Blog" htmlUrl="https://blog.example/"/></body></opml>'
    )
    result = cli.invoke(app, ["feeds", "import", str(empty)])
    assert result.exit_code == 0
    assert "imported 0 feeds" in result.output and "no <outline> with an http(s) xmlUrl" in (
        result.output
    )
    refused = tmp_path / "refused.opml"
    refused.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline xmlUrl="http://169.254.169.254/feed"/></body></opml>'
    )
    result = cli.invoke(app, ["feeds", "import", str(refused)])
    assert "refused http://169.254.169.254/feed" in result.output
    assert "no feed imported" in result.output


def test_feed_names_are_printed_as_text_not_markup(cli: CliRunner) -> None:
    with serve() as site:
        name = "Rock [/i] & [bold]Roll[/bold]"
        added = cli.invoke(app, ["feeds", "add", site.url("/feeds/rss2"), "--name", name])
        assert added.exit_code == 0, added.output
    listing = cli.invoke(app, ["feeds", "list"])
    assert listing.exit_code == 0, listing.output
    cells = "".join(ch for ch in listing.output if ch not in "│ \n")  # the table may wrap
    assert "Rock[/i]&" in cells and "[bold]Roll" in cells  # literal, not styled away
