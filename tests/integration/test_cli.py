"""The newsflow CLI against a real database: readable tables and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from newsflow.cli import app
from tests.integration.helpers import query


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    # wide tables whatever COLUMNS said when newsflow.cli was imported (xdist workers: 80)
    monkeypatch.setattr("newsflow.cli.console", Console(width=200))
    return CliRunner()


def test_ingest_cluster_and_read_back(
    cli: CliRunner, db_url: str, inbox: Path, seeds_dir: Path
) -> None:
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    result = cli.invoke(app, ["ingest", "--inbox", str(inbox)])
    assert result.exit_code == 0, result.output
    assert "articles stored" in result.output
    assert cli.invoke(app, ["cluster"]).exit_code == 0

    events = cli.invoke(app, ["events"])
    assert events.exit_code == 0, events.output
    event = query(db_url, "SELECT id, title FROM news.events")[0]
    assert event["title"][:30] in events.output

    article_id = query(
        db_url, "SELECT id FROM news.articles WHERE title LIKE 'Syrian Rebels Advance%'"
    )[0]["id"]
    shown = cli.invoke(app, ["article", str(article_id)])
    assert shown.exit_code == 0, shown.output
    assert "Syrian Rebels Advance Towards Homs, Threatening Damascus" in shown.output
    assert "summary points" in shown.output and "event" in shown.output
    assert "why in this event" in shown.output and "similarity" in shown.output
    missing = cli.invoke(app, ["article", "999999"])
    assert missing.exit_code == 1 and "no article 999999" in missing.output
    for limit in ("-1", "99999999999999999999"):  # a usage error, not a Postgres traceback
        refused = cli.invoke(app, ["events", "--limit", limit])
        assert refused.exit_code == 2 and "--limit" in refused.output, refused.output

    stats = cli.invoke(app, ["stats"])
    assert stats.exit_code == 0 and "articles" in stats.output and "latest runs" in stats.output


def test_feed_registry_commands(cli: CliRunner, db_url: str, tmp_path: Path) -> None:
    added = cli.invoke(
        app,
        [
            "feeds",
            "add",
            "https://coast-news.com/rss.xml",
            "--name",
            "Coast",
            "--source",
            "Coast News",
        ],
    )
    assert added.exit_code == 0, added.output
    bad = cli.invoke(app, ["feeds", "add", "ftp://coast-news.com/rss.xml"])
    assert bad.exit_code == 2 and "http(s)" in bad.output
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>s</title></head><body>'
        '<outline text="News"><outline type="rss" text="Harbour" xmlUrl="https://harbour.org/feed"/>'
        '<outline type="rss" text="Hills" xmlUrl="https://hills-daily.com/atom.xml"/></outline>'
        "</body></opml>"
    )
    imported = cli.invoke(app, ["feeds", "import", str(opml)])
    assert imported.exit_code == 0 and "imported 2 feeds" in imported.output
    listing = cli.invoke(app, ["feeds", "list"])
    assert listing.exit_code == 0 and "Coast" in listing.output and "Harbour" in listing.output
    assert cli.invoke(app, ["feeds", "disable", "Coast"]).exit_code == 0
    assert (
        query(db_url, "SELECT status FROM news.feed_health WHERE name = 'Coast'")[0]["status"]
        == "disabled"
    )
    assert cli.invoke(app, ["feeds", "disable", "nope"]).exit_code == 1
    assert cli.invoke(app, ["feeds", "enable", "Coast"]).exit_code == 0
    assert (
        query(db_url, "SELECT enabled FROM news.feeds WHERE name = 'Coast'")[0]["enabled"] is True
    )
