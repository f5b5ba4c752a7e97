"""``make run`` (``python -m newsflow_tools.demo``): the sample inbox and a demo feed site through
the Airflow DAGs, then a summary.

The demo site is served on 127.0.0.1 from ``data/demo_feed`` (RSS, Atom, OPML, article pages,
robots.txt), so that the feed path shows in the summary."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import typer

from newsflow import cli, db, migrate
from newsflow.cli import console
from newsflow.settings import PROJECT_ROOT, get_settings
from newsflow.sources import feeds
from newsflow_tools import airflow_local, dags_test

log = logging.getLogger(__name__)
DEMO_SITE = PROJECT_ROOT / "data" / "demo_feed"
DEFAULT_PORT = 8765


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/xml",
        ".html": "text/html; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
    }

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        name = os.fspath(path)
        if name.endswith("feed.xml"):
            return "application/rss+xml; charset=utf-8"
        if name.endswith("atom.xml"):
            return "application/atom+xml; charset=utf-8"
        return super().guess_type(name)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("demo site: " + format, *args)


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def serve(site: Path = DEMO_SITE, port: int | None = None) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1; yields the base URL (ending in ``/``).

    The port is fixed (``NEWSFLOW_DEMO_PORT``, default 8765) so the demo's feed and page URLs
    stay the same from one run to the next; a busy port falls back to a free one."""
    wanted = port if port is not None else int(os.environ.get("NEWSFLOW_DEMO_PORT") or DEFAULT_PORT)
    if wanted and not _free(wanted):
        log.warning("port %s is busy; the demo site uses a free port instead", wanted)
        wanted = 0
    handler = functools.partial(_Handler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", wanted), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def opml_for(base: str, site: Path = DEMO_SITE) -> bytes:
    """The demo OPML with its ``{base}`` placeholder replaced by the served URL."""
    return (site / "opml.xml").read_text(encoding="utf-8").replace("{base}", base).encode()


def _run_logged(cmd: list[str], env: dict[str, str], log_path: Path, what: str) -> str:
    """Run ``cmd`` with its output in ``log_path``; the log's text. A failure prints the log's
    tail and exits with the command's code."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with console.status(f"{what} ..."), log_path.open("w") as log:
        proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    text = log_path.read_text(errors="replace")
    if proc.returncode != 0:
        console.print("\n".join(text.splitlines()[-40:]))
        console.print(f"[red]{what} failed[/] (exit {proc.returncode}); full log: {log_path}")
        raise typer.Exit(proc.returncode)
    console.print(f"{what}: done in {time.monotonic() - started:.1f}s (log: {log_path})")
    return text


DEMO_DAGS = ("news_files", "news_feeds", "news_events")


def run_demo() -> None:
    """`make run`: news_files over the sample inbox, news_feeds over a demo site served on
    127.0.0.1 and news_events, through Airflow (`airflow db migrate`, then `airflow dags test`
    for each, all in one Airflow process: see :mod:`newsflow_tools.dags_test`), then a summary."""

    started = time.monotonic()
    env = airflow_local.build_env()
    url = db.database_url()
    migrate.migrate(url)
    console.print(f"news database: {db.describe_url(url)}")
    logs = get_settings().home / "logs"
    with serve() as base:
        with db.connect(url) as conn:
            local = dataclasses.replace(get_settings(), http_allowlist=("127.0.0.1",))
            imported = feeds.import_opml(
                conn, opml_for(base), source="Demo Coast Times", settings=local
            )
            ids = imported.added + imported.existing
            db.execute(conn, "demo/feeds_due_now", {"ids": ids})
            conn.commit()
        console.print(f"demo site on {base} ({len(ids)} feeds from its OPML)")
        dag_env = {
            **env,
            # news_feeds fetches from the demo site; news_files and news_events fetch nothing
            "NEWSFLOW_HTTP_ALLOWLIST": "127.0.0.1",
            # politeness stays on, with a short interval for the local demo server
            "NEWSFLOW_HOST_MIN_INTERVAL": env.get("NEWSFLOW_HOST_MIN_INTERVAL", "0.2"),
        }
        text = _run_logged(
            [sys.executable, "-m", "newsflow_tools.dags_test", "--db-migrate", *DEMO_DAGS],
            dag_env,
            logs / "demo-airflow.log",
            f"airflow db migrate, dags test {', '.join(DEMO_DAGS)}",
        )
    for line in text.splitlines():
        if line.startswith(dags_test.DONE):
            console.print(f"    {line.removeprefix(dags_test.DONE).strip()}")
    cli._summary(url, dag_ids=("news_files", "news_feeds"))
    with db.connect(url) as conn:
        cli._print_feeds(conn)
    cli.events_cmd(limit=5)
    console.print(f"make run finished in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    try:
        run_demo()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
