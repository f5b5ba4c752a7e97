"""``newsflow``: the command line (typer + rich)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.exceptions import TyperException

from newsflow import db, jobs, migrate, runs

app = typer.Typer(
    pretty_exceptions_enable=False,
    help="newsflow: news ingestion into PostgreSQL through Airflow.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="The news database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
feeds_app = typer.Typer(help="RSS/Atom feeds.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")
console = Console()


def _date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option, or a usage error that says what was expected."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-01", param_hint=option
        ) from None


def _print_counts(title: str, counts: Mapping[str, object]) -> None:
    """A dict of counts as a one-row table with readable column names."""
    table = Table(title=title)
    for key in counts:
        table.add_column(key.replace("_", " "), justify="right")
    _row(table, *counts.values())
    console.print(table)


def _row(table: Table, *cells: object) -> None:
    """Add a row of data: third-party text (titles, feed names, reasons) is shown as it is,
    never read as rich markup (a title holding ``[/i]`` must not break the table)."""
    table.add_row(*(Text("-" if c is None else str(c)) for c in cells))


def _url() -> str:
    """The news database, migrated (a no-op when it is up to date)."""
    url = db.database_url()
    migrate.migrate(url)
    return url


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply the numbered migrations in sql/migrations (safe to repeat)."""
    url = db.database_url()
    applied = migrate.migrate(url)
    if applied:
        for m in applied:
            console.print(f"applied [bold]{m.path.name}[/]")
    else:
        console.print("database is up to date")
    console.print(f"database: {db.describe_url(url)}")


@db_app.command("status")
def db_status() -> None:
    """Which database, which migrations are applied and which are pending (changes nothing)."""
    url = db.database_url()
    state = migrate.status(url)
    console.print(f"database: {db.describe_url(url)}")
    last = state.applied[-1] if state.applied else None
    console.print(
        f"applied: {len(state.applied)} migrations"
        + (f", the latest {last[0]:04d}_{last[1]} at {last[2]:%Y-%m-%d %H:%M}" if last else "")
    )
    for m in state.pending:
        console.print(f"pending: {m.path.name}", markup=False)
    for m in state.changed:
        console.print(f"changed after it was applied: {m.path.name}", markup=False)
    if not state.pending and not state.changed:
        console.print("up to date")
    if state.changed:
        raise typer.Exit(1)


@db_app.command("url")
def db_url() -> None:
    """Print the news database's connection string, for psql (starts the embedded server if
    needed; never the password: psql takes it from PGPASSWORD or ~/.pgpass)."""
    print(db.url_without_password(_url()))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres server."""
    console.print("stopped" if db.stop_embedded_server() else "no embedded server here")


@app.command()
def ingest(inbox: Path = typer.Option(None, help="Inbox folder (default NEWSFLOW_INBOX).")) -> None:
    """Ingest an inbox directly, without Airflow (same pipeline as the news_files DAG)."""
    from rich.progress import Progress

    url = _url()
    ident = runs.identity("cli", f"cli__{datetime.now(UTC).isoformat()}")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("archiving files", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        row = jobs.ingest_inbox(url, ident, inbox=inbox, progress=advance)
    _print_run(row)


@app.command()
def cluster() -> None:
    """Group articles not yet in an event into events (as the news_events DAG)."""

    with db.connect(_url()) as conn, console.status("clustering ..."):
        counts = jobs.cluster_pending(conn)
    _print_counts("events (news_events)", counts)


@app.command("events")
def events_cmd(
    limit: int = typer.Option(15, min=1, max=10_000, help="How many events."),
) -> None:
    """The latest events with their size, sources and places."""
    with db.connect(_url()) as conn:
        rows = db.fetch_all(conn, "cli/latest_events", {"limit": limit})
    table = Table(title="latest events (news.latest_events)")
    for col in (
        "id",
        "headline",
        "articles",
        "sources",
        "first .. last published",
        "places",
        "keywords",
    ):
        table.add_column(col, overflow="fold")
    for r in rows:
        span = " .. ".join(
            t.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if t else "undated"
            for t in (r["first_published_at"], r["last_published_at"])
        )
        _row(
            table,
            str(r["event_id"]),
            r["title"],
            str(r["article_count"]),
            str(r["source_count"]),
            span,
            ", ".join(r["places"][:4]),
            ", ".join(r["keywords"][:5]),
        )
    console.print(table)


@app.command("article")
def article_cmd(article_id: int) -> None:
    """One article: metadata, versions, duplicates, event, and the start of its text."""
    with db.connect(_url()) as conn:
        a = db.fetch_one(conn, "cli/article", {"id": article_id})
        if a is None:
            console.print(f"[red]no article {article_id}[/] (see `newsflow stats`)")
            raise typer.Exit(1)
        chain = db.fetch_one(conn, "cli/article_duplicates", {"id": article_id})
        versions = db.fetch_all(conn, "cli/article_versions", {"id": article_id})
        membership = db.fetch_one(conn, "events/article_membership", {"id": article_id})
    meta = Table(show_header=False, title=f"article {article_id}")
    meta.add_column("field", style="bold")
    meta.add_column("value", overflow="fold")
    for label, value in (
        ("title", a["title"] + ("  (derived)" if a["title_derived"] else "")),
        ("source", a["source"]),
        ("byline", a["byline"]),
        ("url", a["canonical_url"]),
        (
            "published",
            f"{a['published_at']} (from {a['published_at_source']})"
            if a["published_at"]
            else "unknown",
        ),
        ("language", a["language"]),
        ("words", a["word_count"]),
        ("document", a["locator"]),
        ("version", f"{a['version']} (extractor {a['extractor_version']})"),
        (
            "event",
            f"{a['event_id']}: {a['event']} (similarity {a['similarity']:.2f})"
            if a["event_id"]
            else "not clustered yet",
        ),
        ("why in this event", _why_here(membership)),
        ("summary points", "\n".join(a["summary_points"]) or "-"),
        ("cited sources", "\n".join(a["cited_sources"]) or "-"),
        ("repairs", ", ".join(a["repairs"]) or "-"),
    ):
        _row(meta, label, str(value) if value is not None else "-")
    console.print(meta)
    if versions:
        console.print(
            "earlier versions: "
            + ", ".join(f"v{v['version']} ({v['extractor_version']})" for v in versions)
        )
    dups = chain["duplicates"] if chain else []
    if dups:
        table = Table(title="recorded as duplicates of this article")
        for col in ("method", "score", "threshold", "title", "document"):
            table.add_column(col, overflow="fold")
        for d in dups:
            _row(
                table,
                d["method"],
                str(d["score"]),
                str(d["threshold"]),
                d["title"] or "",
                d["locator"] or "",
            )
        console.print(table)
    console.print(Text(a["text"][:1200] + (" ..." if len(a["text"]) > 1200 else "")))


def _why_here(membership: dict[str, Any] | None) -> str:
    """The similarity and shared features that placed the article, and how it moved."""
    from newsflow.events.describe import why_text

    if membership is None:
        return "-"
    lines = [why_text(membership["similarity"], membership["evidence"])]
    for move in membership["history"]:
        lines.append(f"{move['at'][:19]}: {move['reason']}")
    return "\n".join(lines)


def _print_run(row: dict[str, Any]) -> None:
    from newsflow.runs import RUN_COUNTS

    table = Table(title=f"ingest run {row['id']} ({row['dag_id']}): {row['status']}")
    for col in RUN_COUNTS:
        table.add_column(col.replace("_", " "), justify="right")
    _row(table, *(str(row[c]) for c in RUN_COUNTS))
    console.print(table)


def _print_feeds(conn: Any) -> None:
    from newsflow.sources import feeds

    table = Table(title="feed health (news.feed_health)")
    for col in ("name", "status", "http", "new entries", "interval (s)", "last error"):
        table.add_column(col)
    for f in feeds.list_feeds(conn):
        _row(
            table,
            f["name"],
            f["status"],
            str(f["last_http_status"] or ""),
            str(f["entries_new_last"]),
            str(f["poll_interval_seconds"]),
            (f["last_error"] or "")[:60],
        )
    console.print(table)


def _summary(url: str, dag_ids: tuple[str, ...]) -> None:
    with db.connect(url) as conn:
        for dag_id in dag_ids:
            row = db.fetch_one(conn, "runs/latest_run", {"dag_id": dag_id})
            if row:
                _print_run(row)
                _print_outcomes(conn, int(row["id"]))
        titles = db.fetch_all(conn, "cli/latest_articles", {"limit": 8})
        table = Table(title="latest articles")
        table.add_column("id", justify="right")
        table.add_column("title")
        table.add_column("published")
        for t in titles:
            _row(table, str(t["id"]), t["title"], t["day"])
        console.print(table)


def _print_outcomes(conn: Any, run_id: int) -> None:
    rows = db.fetch_all(conn, "runs/run_documents", {"run_id": run_id})
    table = Table(title="documents in this run")
    table.add_column("document")
    table.add_column("state")
    table.add_column("detail", overflow="fold")
    for r in rows:
        name = r["locator"] + (f" #{r['item_no']}" if r["item_no"] else "")
        _row(table, name, r["state"], (r["detail"] or "")[:160])
    console.print(table)


@app.command()
def stats() -> None:
    """Row counts, document states and the latest runs."""
    with db.connect(_url()) as conn:
        table = Table(title="newsflow tables")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for count in db.fetch_all(conn, "cli/table_counts"):
            _row(table, count["table"], str(count["n"]))
        console.print(table)
        methods = db.fetch_all(conn, "cli/duplicate_methods")
        if methods:
            dup = Table(title="duplicates by method")
            for col in ("method", "count", "mean score"):
                dup.add_column(col)
            for m in methods:
                _row(dup, m["method"], str(m["n"]), str(m["mean_score"]))
            console.print(dup)
        latest = db.fetch_all(conn, "cli/latest_runs", {"limit": 8})
        recent = Table(title="latest runs")
        columns = ("id", "dag", "status", "started", "seen", "stored", "updated", "dups", "quar.")
        for col in (*columns, "failed"):
            recent.add_column(col)
        for r in latest:
            _row(
                recent,
                str(r["id"]),
                r["dag_id"],
                r["status"],
                r["started_at"].strftime("%Y-%m-%d %H:%M"),
                str(r["documents_seen"]),
                str(r["articles_stored"]),
                str(r["articles_updated"]),
                str(r["duplicates"]),
                str(r["quarantined"]),
                str(r["failed"]),
            )
        console.print(recent)


@app.command()
def reprocess(
    start: str = typer.Option(
        None,
        help="First archive day (YYYY-MM-DD): the inbox date folder, else the UTC day "
        "the document was archived; not its publication date.",
    ),
    end: str = typer.Option(None, help="Last archive day (YYYY-MM-DD), as --start."),
    source: list[str] = typer.Option([], help="Only these sources (repeatable)."),
    extractor_version: str = typer.Option(None, help="Only articles made by this version."),
    force: bool = typer.Option(False, help="Re-extract articles already at the current version."),
) -> None:
    """Re-extract archived documents with the current extractor (as the news_reprocess DAG)."""
    from newsflow import reprocess as reprocessing

    sel = reprocessing.Selection(
        start=_date(start, "--start"),
        end=_date(end, "--end"),
        sources=tuple(source),
        extractor_version=extractor_version,
        force=force,
    )
    ident = runs.identity("cli-reprocess", f"cli__{datetime.now(UTC).isoformat()}")
    with db.connect(_url()) as conn, console.status("re-extracting ..."):
        with runs.ingest_run(conn, ident) as run_id:
            counts = reprocessing.reprocess(conn, run_id, sel)
        row = db.fetch_one(conn, "runs/by_id", {"run_id": run_id})
    assert row is not None
    _print_counts("re-extraction", counts)
    _print_run(row)


def _say(line: str, *, err: bool = False) -> None:
    """One line of plain text (data from feeds is never read as rich markup)."""
    typer.echo(line, err=err)


@feeds_app.command("add")
def feeds_add(
    url: str,
    name: str = typer.Option(None, help="Display name (default: the feed's title or host)."),
    source: str = typer.Option(None, help="Publisher the feed's articles belong to."),
    check: bool = typer.Option(
        True, help="Fetch the URL once: a web page gives the feeds it advertises."
    ),
) -> None:
    """Register a feed, or the feeds a web page advertises (<link rel="alternate">)."""
    import dataclasses

    from newsflow import fetch
    from newsflow.settings import get_settings
    from newsflow.sources import feeds
    from newsflow.sources.feeds import discovery

    problem = feeds.feed_url_problem(url)
    if problem:
        _say(f"refused: {problem}", err=True)
        raise typer.Exit(2)
    with db.connect(_url()) as conn:
        known = feeds.find_feed(conn, url)
        if known is not None and known["url"] == url:
            _say(
                f"feed {known['id']} already exists with this URL (name {known['name']!r}); "
                f"to rename it: newsflow feeds rename {known['id']} NEW-NAME",
                err=True,
            )
            raise typer.Exit(1)
        if check:  # one try: the user is waiting, and polling retries anyway
            once = dataclasses.replace(get_settings(), fetch_max_tries=1)
            with fetch.Fetcher(once) as fetcher:
                found = discovery.resolve(fetcher, url)
        else:
            found = discovery.Resolution([(url, None)])
        if found.problem:
            _say(f"not added: {found.problem}", err=True)
            raise typer.Exit(2)
        if found.note:
            _say(found.note)
        added = 0
        for feed_url, title in found.feeds:
            label = name if name and len(found.feeds) == 1 else title
            try:
                feed_id = feeds.add_feed(conn, feed_url, name=label or None, source=source)
            except feeds.FeedExists as exc:
                _say(f"feed {exc.feed['id']} already exists: {feed_url} ({exc.feed['name']})")
                continue
            except ValueError as exc:
                _say(f"not added: {exc}", err=True)
                continue
            added += 1
            _say(f"feed {feed_id}: {feed_url}")
        conn.commit()
    if not added:
        raise typer.Exit(1)


@feeds_app.command("rename")
def feeds_rename(
    feed: str = typer.Argument(..., help="Feed id, URL or name."),
    name: str = typer.Argument(..., help="The new name."),
    source: str = typer.Option(None, help="A new publisher as well."),
) -> None:
    """Rename a feed (adding a known URL again never renames it)."""
    from newsflow.sources import feeds

    with db.connect(_url()) as conn:
        found = feeds.rename_feed(conn, feed, name, source)
        conn.commit()
    if not found:
        _say(f"no feed {feed!r}", err=True)
        raise typer.Exit(1)
    _say(f"renamed {feed} to {name}")


@feeds_app.command("import")
def feeds_import(
    opml: Path, source: str = typer.Option(None, help="Publisher for every imported feed.")
) -> None:
    """Import the feeds of an OPML file (what feed readers export)."""
    from newsflow.sources import feeds

    with db.connect(_url()) as conn:
        try:
            result = feeds.import_opml(conn, opml.read_bytes(), source=source)
        except (OSError, ValueError) as exc:
            _say(f"{opml}: {exc}", err=True)
            raise typer.Exit(2) from exc
        conn.commit()
    for url, why in result.refused:
        _say(f"refused {url}: {why}", err=True)
    _say(
        f"imported {len(result.added)} feeds"
        + (f" ({len(result.existing)} already registered)" if result.existing else "")
        + (f" ({len(result.refused)} refused)" if result.refused else "")
    )
    if not result.added:
        if result.outlines == 0:
            why = "the file has no <outline> with an http(s) xmlUrl attribute (a feed address)"
        elif result.existing and not result.refused:
            why = "every feed in it is already registered"
        else:
            why = "every feed in it was refused (reasons above) or is already registered"
        _say(f"no feed imported: {why}", err=True)


@feeds_app.command("list")
def feeds_list() -> None:
    """Every feed with its health."""
    with db.connect(_url()) as conn:
        _print_feeds(conn)


def _toggle_feed(feed: str, enable: bool) -> None:
    from newsflow.sources import feeds

    with db.connect(_url()) as conn:
        found = (feeds.enable_feed if enable else feeds.disable_feed)(conn, feed)
        conn.commit()
    if not found:
        _say(f"no feed {feed!r}", err=True)
        raise typer.Exit(1)
    _say(f"{'enabled' if enable else 'disabled'} {feed}")


@feeds_app.command("disable")
def feeds_disable(feed: str = typer.Argument(..., help="Feed id, URL or name.")) -> None:
    """Stop polling a feed."""
    _toggle_feed(feed, enable=False)


@feeds_app.command("enable")
def feeds_enable(feed: str = typer.Argument(..., help="Feed id, URL or name.")) -> None:
    """Enable a feed and lift an automatic pause."""
    _toggle_feed(feed, enable=True)


def _one_line(exc: BaseException) -> str | None:
    """What to tell the user about an error they can act on; None for a bug (traceback)."""
    if isinstance(exc, psycopg.OperationalError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"lost or could not open the connection to the news database ({first}). Check that "
            "it is running, then run the command again: what was already archived is kept."
        )
    if isinstance(exc, db.PipelineLockTimeout):
        return str(exc)
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    if isinstance(exc, ValueError) and "NEWSFLOW_" in str(exc):
        return str(exc)  # a setting with a bad value
    return None


def main() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except TyperException as exc:  # bad arguments: say which, and how to ask for help
        exc.show()  # type: ignore[attr-defined]  # a click exception under typer's name
        sys.exit(exc.exit_code)
    except Exception as exc:
        message = _one_line(exc)
        if message is None:
            raise
        print(f"newsflow: {message}", file=sys.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
