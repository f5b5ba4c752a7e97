"""``newsflow``: the command line (typer + rich)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from newsflow import db
from newsflow.settings import PROJECT_ROOT, get_settings

app = typer.Typer(
    help="newsflow: news ingestion into PostgreSQL through Airflow.", no_args_is_help=True
)
db_app = typer.Typer(help="The news database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


def _url() -> str:
    return db.database_url()


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply the numbered migrations in sql/migrations (safe to repeat)."""
    url = _url()
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
    from newsflow import pipeline

    url = _url()
    db.migrate(url)
    with console.status("ingesting ..."):
        row = pipeline.ingest_inbox(inbox=inbox, url=url)
    _print_run(row)


def _print_run(row: dict[str, Any]) -> None:
    table = Table(title=f"ingest run {row['id']} ({row['dag_id']}): {row['status']}")
    for col in (
        "documents_seen",
        "documents_new",
        "articles_stored",
        "articles_updated",
        "duplicates",
        "quarantined",
        "failed",
    ):
        table.add_column(col.replace("_", " "), justify="right")
    table.add_row(
        *(
            str(row[c])
            for c in (
                "documents_seen",
                "documents_new",
                "articles_stored",
                "articles_updated",
                "duplicates",
                "quarantined",
                "failed",
            )
        )
    )
    console.print(table)


def _run_logged(cmd: list[str], env: dict[str, str], log_path: Path, what: str) -> None:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with console.status(f"{what} ..."), log_path.open("w") as log:
        proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-40:]
        console.print("\n".join(tail))
        console.print(f"[red]{what} failed[/] (exit {proc.returncode}); full log: {log_path}")
        raise typer.Exit(proc.returncode)
    console.print(f"{what}: done in {time.monotonic() - started:.1f}s (log: {log_path})")


@app.command()
def demo() -> None:
    """`make run`: the news_files (and news_feeds) DAGs through Airflow over the sample data."""
    from newsflow import airflow_local

    started = time.monotonic()
    env = airflow_local.build_env()
    url = db.database_url()
    db.migrate(url)
    console.print(f"news database: {db.describe_url(url)}")
    airflow = airflow_local.airflow_executable()
    logs = get_settings().home / "logs"
    _run_logged(
        [airflow, "db", "migrate"], env, logs / "airflow-db-migrate.log", "airflow db migrate"
    )
    _run_logged(
        [airflow, "dags", "test", "news_files"],
        env,
        logs / "demo-news_files.log",
        "airflow dags test news_files",
    )
    _summary(url, dag_ids=("news_files",))
    console.print(f"make run finished in {time.monotonic() - started:.1f}s")


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
    rows = conn.execute(db.load_sql("queries/run_documents.sql"), {"run_id": run_id}).fetchall()
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
    """Row counts and the latest runs."""
    with db.connect(_url()) as conn:
        table = Table(title="newsflow")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name in (
            "raw_documents",
            "articles",
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


def main() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    app()


if __name__ == "__main__":
    sys.exit(main())
