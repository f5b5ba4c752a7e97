"""Section 3, **feeds**: RSS feeds and article pages served on 127.0.0.1 (politeness interval
0, ``NEWSFLOW_HTTP_ALLOWLIST=127.0.0.1``), polled with ``sources.feeds.poll_feed``; then the
fetched pages are processed with ``process_run``."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from newsflow_tools.bench.config import Config, rate, say
from newsflow_tools.bench.env import BenchEnv
from newsflow_tools.bench.text import byline, headline, html_page, paragraphs


class _Site:
    """RSS feeds and article pages, pre-rendered, served from memory on 127.0.0.1."""

    def __init__(self, n_feeds: int, entries: int, seed: int = 5) -> None:
        self.n_feeds, self.entries = n_feeds, entries
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.rng = random.Random(seed)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.requests = 0
        self._lock = threading.Lock()
        self._render()
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _render(self) -> None:
        rng, now = self.rng, datetime.now(UTC)
        self.bodies["/robots.txt"] = (b"User-agent: *\nAllow: /\n", "text/plain")
        for f in range(self.n_feeds):
            items = []
            for e in range(self.entries):
                path = f"/news/{f}/story-{e}.html"
                title = headline(rng)
                published = now - timedelta(minutes=rng.randint(5, 2000))
                paras = paragraphs(rng, rng.randint(300, 800))
                page = html_page(
                    title, paras, url=self.base + path, published=published, by=byline(rng)
                )
                self.bodies[path] = (page.encode(), "text/html; charset=utf-8")
                items.append(
                    f"<item><title>{title}</title><link>{self.base}{path}</link>"
                    f'<guid isPermaLink="false">bench-{f}-{e}</guid>'
                    f"<pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
                    f"<description>{paras[0][:200]}</description></item>"
                )
            rss = (
                '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                f"<title>Bench Feed {f}</title><link>{self.base}/news/{f}/</link>"
                f"<description>benchmark feed {f}</description>{''.join(items)}</channel></rss>\n"
            )
            self.bodies[f"/feeds/{f}.xml"] = (rss.encode(), "application/rss+xml; charset=utf-8")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:
                with site._lock:
                    site.requests += 1
                found = site.bodies.get(self.path.split("?", 1)[0])
                body, ctype = found if found else (b"not found", "text/plain")
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def feed_url(self, f: int) -> str:
        return f"{self.base}/feeds/{f}.xml"

    def __enter__(self) -> _Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def section_feeds(env: BenchEnv, cfg: Config) -> None:
    from newsflow import db, fetch, ingest, runs
    from newsflow.sources import feeds

    say()
    say(
        f"[3] feeds: {cfg.feeds} RSS feeds x {cfg.entries_per_feed} entries on 127.0.0.1, "
        "each entry a new article page; poll_feed one feed after another, "
        f"host_min_interval=0, fetch_concurrency={fetch.Fetcher().concurrency}"
    )
    url = env.new_database("feeds")
    with (
        _Site(cfg.feeds, cfg.entries_per_feed) as site,
        db.connect(url) as conn,
        db.connect_autocommit(url) as pages,
    ):
        ids = [
            feeds.add_feed(conn, site.feed_url(f), name=f"bench-{f}", source=f"Bench Source {f}")
            for f in range(cfg.feeds)
        ]
        run_id = runs.start_run(
            conn, runs.identity("bench_feeds", f"bench__{datetime.now(UTC).isoformat()}")
        )
        conn.commit()
        totals: Counter = Counter()
        with fetch.Fetcher() as fetcher:  # the bench environment allows 127.0.0.1, interval 0
            t0 = time.perf_counter()
            for feed_id in ids:
                result = feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)
                conn.commit()
                totals[str(result.get("outcome"))] += 1
                totals["pages"] += int(result["pages_fetched"])
                totals["failed"] += int(result["pages_failed"])
            poll_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            again: Counter = Counter()
            for feed_id in ids:
                again[
                    str(feeds.poll_feed(conn, pages, run_id, feed_id, fetcher).get("outcome"))
                ] += 1
                conn.commit()
            repoll_s = time.perf_counter() - t1
        outcomes = ", ".join(
            f"{k} {v}" for k, v in sorted(totals.items()) if k not in ("pages", "failed")
        )
        say(
            f"    first poll (new entries): {len(ids)} feeds in {poll_s:.2f} s = "
            f"{rate(len(ids), poll_s)} feeds/s; {totals['pages']} pages fetched and archived "
            f"= {rate(totals['pages'], poll_s)} pages/s ({totals['failed']} failed; {outcomes})"
        )
        say(
            f"    second poll (nothing new): {len(ids)} feeds in {repoll_s:.2f} s = "
            f"{rate(len(ids), repoll_s)} feeds/s ("
            + ", ".join(f"{k} {v}" for k, v in sorted(again.items()))
            + ")"
        )
        t2 = time.perf_counter()
        processed = ingest.process_run(conn, run_id)
        conn.commit()
        process_s = time.perf_counter() - t2
        row = runs.finish_run(conn, run_id)
        conn.commit()
    items = int(processed["items"])
    say(
        f"    process_run of the fetched pages: {items} articles in {process_s:.2f} s = "
        f"{rate(items, process_s)} articles/s (stored {row['articles_stored']}, "
        f"duplicates {row['duplicates']}, quarantined {row['quarantined']}, failed {row['failed']})"
    )
