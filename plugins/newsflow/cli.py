"""``newsflow``: the command line (typer + rich)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from newsflow import db

app = typer.Typer(
    help="newsflow: news ingestion into PostgreSQL through Airflow.", no_args_is_help=True
)
db_app = typer.Typer(help="The news database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
feeds_app = typer.Typer(help="RSS/Atom feeds.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")
console = Console()


def _url() -> str:
    """The news database, migrated (a no-op when it is up to date)."""
    url = db.database_url()
    db.migrate(url)
    return url


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply the numbered migrations in sql/migrations (safe to repeat)."""
    url = db.database_url()
    applied = db.migrate(url)
    if applied:
        for m in applied:
            console.print(f"applied [bold]{m.path.name}[/]")
    else:
        console.print("database is up to date")
    console.print(f"database: {db.describe_url(url)}")


@db_app.command("url")
def db_url() -> None:
    """Print the news database URL (starts the embedded server if needed)."""
    print(_url())


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres server."""
    console.print("stopped" if db.stop_embedded_server() else "no embedded server here")


@app.command()
def ingest(inbox: Path = typer.Option(None, help="Inbox folder (default NEWSFLOW_INBOX).")) -> None:
    """Ingest an inbox directly, without Airflow (same pipeline as the news_files DAG)."""
    from rich.progress import Progress

    from newsflow import pipeline

    url = _url()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("archiving files", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        row = pipeline.ingest_inbox(inbox=inbox, url=url, progress=advance)
    _print_run(row)


@app.command()
def cluster() -> None:
    """Group articles not yet in an event into events (as the news_events DAG)."""
    from newsflow import events

    with db.connect(_url()) as conn, console.status("clustering ..."):
        counts = events.cluster_pending(conn)
    console.print(counts)


@app.command("events")
def events_cmd(limit: int = typer.Option(15, help="How many events.")) -> None:
    """The latest events with their size, sources and places."""
    with db.connect(_url()) as conn:
        rows = conn.execute("SELECT * FROM news.latest_events LIMIT %s", (limit,)).fetchall()
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
            t.strftime("%Y-%m-%d %H:%M") if t else "?"
            for t in (r["first_published_at"], r["last_published_at"])
        )
        table.add_row(
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
        a = conn.execute(
            "SELECT a.*, s.name AS source, r.locator, ea.event_id, ea.similarity, e.title AS event "
            "FROM news.articles a JOIN news.raw_documents r ON r.id = a.raw_document_id "
            "LEFT JOIN news.sources s ON s.id = a.source_id "
            "LEFT JOIN news.event_articles ea ON ea.article_id = a.id "
            "LEFT JOIN news.events e ON e.id = ea.event_id WHERE a.id = %s",
            (article_id,),
        ).fetchone()
        if a is None:
            console.print(f"[red]no article {article_id}[/]")
            raise typer.Exit(1)
        chain = conn.execute(
            "SELECT duplicates FROM news.article_duplicate_chain WHERE article_id = %s",
            (article_id,),
        ).fetchone()
        versions = conn.execute(
            "SELECT version, extractor_version, superseded_at FROM news.article_versions "
            "WHERE article_id = %s ORDER BY version",
            (article_id,),
        ).fetchall()
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
        meta.add_row(label, str(value) if value is not None else "-")
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
            table.add_row(
                d["method"],
                str(d["score"]),
                str(d["threshold"]),
                d["title"] or "",
                d["locator"] or "",
            )
        console.print(table)
    console.print(a["text"][:1200] + (" ..." if len(a["text"]) > 1200 else ""))


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
    from newsflow.pipeline import RUN_COUNTS

    table = Table(title=f"ingest run {row['id']} ({row['dag_id']}): {row['status']}")
    for col in RUN_COUNTS:
        table.add_column(col.replace("_", " "), justify="right")
    table.add_row(*(str(row[c]) for c in RUN_COUNTS))
    console.print(table)


def _print_feeds(conn: Any) -> None:
    from newsflow.sources import feeds

    table = Table(title="feed health (news.feed_health)")
    for col in ("name", "status", "http", "new entries", "interval (s)", "last error"):
        table.add_column(col)
    for f in feeds.list_feeds(conn):
        table.add_row(
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
            row = conn.execute(
                "SELECT * FROM news.ingest_runs WHERE dag_id = %s ORDER BY id DESC LIMIT 1",
                (dag_id,),
            ).fetchone()
            if row:
                _print_run(row)
                _print_outcomes(conn, int(row["id"]))
        titles = conn.execute(
            "SELECT id, title, coalesce(published_at::date::text, '') AS day FROM news.articles "
            "ORDER BY id DESC LIMIT 8"
        ).fetchall()
        table = Table(title="latest articles")
        table.add_column("id", justify="right")
        table.add_column("title")
        table.add_column("published")
        for t in titles:
            table.add_row(str(t["id"]), t["title"], t["day"])
        console.print(table)


def _print_outcomes(conn: Any, run_id: int) -> None:
    rows = conn.execute(db.sql("runs/run_documents"), {"run_id": run_id}).fetchall()
    table = Table(title="documents in this run")
    table.add_column("document")
    table.add_column("state")
    table.add_column("detail", overflow="fold")
    for r in rows:
        name = r["locator"] + (f" #{r['item_no']}" if r["item_no"] else "")
        table.add_row(name, r["state"], (r["detail"] or "")[:160])
    console.print(table)


@app.command()
def stats() -> None:
    """Row counts, document states and the latest runs."""
    with db.connect(_url()) as conn:
        table = Table(title="newsflow tables")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name in (
            "raw_documents",
            "articles",
            "article_versions",
            "article_duplicates",
            "quarantine",
            "events",
            "event_articles",
            "feeds",
            "ingest_runs",
        ):
            count = conn.execute(f"SELECT count(*) AS n FROM news.{name}").fetchone()
            table.add_row(name, str(count["n"] if count else 0))
        console.print(table)
        methods = conn.execute(
            "SELECT method, count(*) AS n, round(avg(score)::numeric, 3) AS mean_score "
            "FROM news.article_duplicates GROUP BY method ORDER BY method"
        ).fetchall()
        if methods:
            dup = Table(title="duplicates by method")
            for col in ("method", "count", "mean score"):
                dup.add_column(col)
            for m in methods:
                dup.add_row(m["method"], str(m["n"]), str(m["mean_score"]))
            console.print(dup)
        runs = conn.execute(
            "SELECT id, dag_id, status, started_at, documents_seen, articles_stored, duplicates, "
            "quarantined, failed FROM news.ingest_runs ORDER BY id DESC LIMIT 8"
        ).fetchall()
        recent = Table(title="latest runs")
        for col in ("id", "dag", "status", "started", "seen", "stored", "dups", "quar.", "failed"):
            recent.add_column(col)
        for r in runs:
            recent.add_row(
                str(r["id"]),
                r["dag_id"],
                r["status"],
                r["started_at"].strftime("%Y-%m-%d %H:%M"),
                str(r["documents_seen"]),
                str(r["articles_stored"]),
                str(r["duplicates"]),
                str(r["quarantined"]),
                str(r["failed"]),
            )
        console.print(recent)


@app.command()
def reprocess(
    start: str = typer.Option(None, help="First document date (YYYY-MM-DD)."),
    end: str = typer.Option(None, help="Last document date (YYYY-MM-DD)."),
    source: list[str] = typer.Option([], help="Only these sources (repeatable)."),
    extractor_version: str = typer.Option(None, help="Only articles made by this version."),
    force: bool = typer.Option(False, help="Re-extract articles already at the current version."),
) -> None:
    """Re-extract archived documents with the current extractor (as the news_reprocess DAG)."""
    from datetime import UTC, date, datetime

    from newsflow import pipeline
    from newsflow import reprocess as reprocessing

    sel = reprocessing.Selection(
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else None,
        sources=tuple(source),
        extractor_version=extractor_version,
        force=force,
    )
    url = _url()
    with db.connect(url) as conn, console.status("re-extracting ..."):
        run_id = pipeline.start_run(
            conn, dag_id="cli-reprocess", run_id=f"cli__{datetime.now(UTC).isoformat()}"
        )
        conn.commit()
        counts = reprocessing.reprocess(conn, run_id, sel)
        row = pipeline.finish_run(conn, run_id)
        conn.commit()
    console.print(counts)
    _print_run(row)


@feeds_app.command("add")
def feeds_add(
    url: str,
    name: str = typer.Option(None, help="Display name (default: the host)."),
    source: str = typer.Option(None, help="Publisher the feed's articles belong to."),
) -> None:
    """Register a feed."""
    from newsflow.sources import feeds

    with db.connect(_url()) as conn:
        try:
            feed_id = feeds.add_feed(conn, url, name=name, source=source)
        except ValueError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from exc
        conn.commit()
    console.print(f"feed {feed_id}: {url}")


@feeds_app.command("import")
def feeds_import(
    opml: Path, source: str = typer.Option(None, help="Publisher for every imported feed.")
) -> None:
    """Import the feeds of an OPML file (what feed readers export)."""
    from newsflow.sources import feeds

    with db.connect(_url()) as conn:
        try:
            ids = feeds.import_opml(conn, opml.read_bytes(), source=source)
        except ValueError as exc:
            console.print(f"[red]{opml}: {exc}[/]")
            raise typer.Exit(2) from exc
        conn.commit()
    console.print(f"imported {len(ids)} feeds")


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
        console.print(f"[red]no feed {feed!r}[/]")
        raise typer.Exit(1)
    console.print(f"{'enabled' if enable else 'disabled'} {feed}")


@feeds_app.command("disable")
def feeds_disable(feed: str = typer.Argument(..., help="Feed id, URL or name.")) -> None:
    """Stop polling a feed."""
    _toggle_feed(feed, enable=False)


@feeds_app.command("enable")
def feeds_enable(feed: str = typer.Argument(..., help="Feed id, URL or name.")) -> None:
    """Enable a feed and lift an automatic pause."""
    _toggle_feed(feed, enable=True)


def main() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    app()


if __name__ == "__main__":
    main()
