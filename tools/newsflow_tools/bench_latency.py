"""``make bench`` section ``latency``: from arrival to Postgres (and to an event), through a live
Airflow started as ``make up`` starts it (``airflow standalone``: scheduler, triggerer, DAG
processor, API server, LocalExecutor), with no manual trigger anywhere.

Two loads per path, each printed as p50 / p95 / max seconds from the moment a document is
handed over (renamed into the inbox, pushed onto the Redis stream) to the moment it is seen
stored in ``news.articles`` (and in ``news.event_articles``):

* a steady trickle: one document every 2 seconds per path for 5 minutes, the paths at once;
* a burst: 1,000 documents per path at once.

The paths: ``inbox`` (a file renamed into the inbox: the inbox watcher, ``news_files``),
``queue`` (a JSON message pushed onto the Redis stream: the backlog watcher, ``news_queue``)
and ``feed`` (an entry added to a feed served on 127.0.0.1, then a signed WebSub content push
to the API server's callback: the feeds watcher, ``news_feeds``, which polls the feed and
fetches the entry's page). The feed's subscription is recorded as verified (secret and state
written to ``news.feeds``) instead of going through a hub; for the bench the host interval is
0 and one poll may fetch 1,000 pages (``NEWSFLOW_HOST_MIN_INTERVAL``,
``NEWSFLOW_FEED_MAX_PAGES_PER_POLL``), so the burst measures the pipeline, not politeness.

An observer polls the news database every 0.25 s, so a latency is an upper bound with that
resolution. The runs each load caused are counted by run type from Airflow's REST API (a
burst should make a few runs, not a thousand). Numbers, never assertions: the machine is shared.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsflow_tools import bench
from newsflow_tools.celery_cluster import AirflowApi

TRICKLE_EVERY_S = 2.0
TRICKLE_S = 300.0
BURST = 1000
OBSERVE_EVERY_S = 0.25
DRAIN_TIMEOUT_S = 900.0
START_TIMEOUT_S = 300.0
DAGS = ("news_files", "news_queue", "news_feeds", "news_events")
PROBE = "Latency probe"


def _say(line: str = "") -> None:
    print(line, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Probe:
    path: str  # inbox | queue | feed
    title: str
    sent: float = 0.0  # wall clock (time.time()) when handed over
    stored: float | None = None
    evented: float | None = None


@dataclass
class Live:
    """A running ``airflow_local up`` and what the bench needs of it."""

    process: subprocess.Popen[str]
    api: AirflowApi
    news_url: str
    inbox: Path
    queue_url: str
    queue_stream: str
    lines: list[str] = field(default_factory=list)


def _environment(scratch: Path, stream: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "NEWSFLOW_")) and k != "PYTHONPATH"
    }
    env.update(
        NEWSFLOW_HOME=str(scratch / "home"),
        NEWSFLOW_INBOX=str(scratch / "inbox"),
        NEWSFLOW_AIRFLOW_PORT=str(_free_port()),
        NEWSFLOW_AIRFLOW_WORKER_LOG_PORT=str(_free_port()),
        NEWSFLOW_AIRFLOW_TRIGGER_LOG_PORT=str(_free_port()),
        NEWSFLOW_QUEUE_URL="redis://127.0.0.1:6379/0",
        NEWSFLOW_QUEUE_STREAM=stream,
        NEWSFLOW_HTTP_ALLOWLIST="127.0.0.1",
        NEWSFLOW_HOST_MIN_INTERVAL="0",
        NEWSFLOW_FEED_MAX_PAGES_PER_POLL=str(BURST),
        GX_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def _news_url(env: dict[str, str]) -> str:
    code = "from newsflow import db; print(db.database_url())"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return out.stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def live_airflow() -> Iterator[Live]:
    """``make up`` on a scratch home, inbox and Redis stream; stopped (Ctrl-C) at the end."""
    scratch = Path(tempfile.mkdtemp(prefix="nf-latency-"))
    (scratch / "inbox").mkdir()
    stream = f"newsflow:bench:{os.getpid()}"
    env = _environment(scratch, stream)
    process = subprocess.Popen(
        [sys.executable, "-m", "newsflow_tools.airflow_local", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not any("Airflow is up" in line for line in lines):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Airflow did not come up:\n" + "".join(lines[-40:]))
            time.sleep(0.5)
        url = f"http://127.0.0.1:{env['NEWSFLOW_AIRFLOW_PORT']}"
        api = AirflowApi(url, "admin", "admin")
        for dag_id in DAGS:
            while api("GET", f"/api/v2/dags/{dag_id}")[0] != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{dag_id} was not parsed")
                time.sleep(1.0)
        live = Live(
            process, api, _news_url(env), scratch / "inbox", env["NEWSFLOW_QUEUE_URL"], stream
        )
        live.lines = lines
        yield live
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 2)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
        _drop_stream(env["NEWSFLOW_QUEUE_URL"], stream)
        # `up` leaves its embedded Postgres running (as `make up` does): stop it, drop the scratch
        code = "from newsflow.db import stop_embedded_server as s; s()"
        subprocess.run([sys.executable, "-c", code], env=env, timeout=120, check=False)
        shutil.rmtree(scratch, ignore_errors=True)


def _drop_stream(url: str, stream: str) -> None:
    with contextlib.suppress(Exception):
        import redis

        redis.Redis.from_url(url).delete(stream)


def _article(rng: random.Random, title: str) -> tuple[str, str]:
    return title, "\n\n".join(bench.paragraphs(rng, 260))


def send_inbox(live: Live, probe: Probe, rng: random.Random) -> None:
    title, text = _article(rng, probe.title)
    name = probe.title.replace(" ", "-").lower() + ".txt"
    tmp = live.inbox / f".{name}.tmp"
    tmp.write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    probe.sent = time.time()
    os.replace(tmp, live.inbox / name)


def send_queue(live: Live, probe: Probe, rng: random.Random, client: Any) -> None:
    from newsflow.sources import queue

    title, text = _article(rng, probe.title)
    record = {"title": title, "text": text, "source": "latency-bench"}
    probe.sent = time.time()
    queue.push(client, live.queue_stream, record)


class FeedSite:
    """A news site on 127.0.0.1: an RSS feed of the entries added so far and their pages."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.entries: list[tuple[str, str, str]] = []  # (slug, title, html)
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                status, body, kind = site.serve(self.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, path: str) -> tuple[int, bytes, str]:
        from xml.sax.saxutils import escape

        with self.lock:
            entries = list(self.entries)
        if path == "/feed.xml":
            items = "".join(
                f"<item><title>{escape(title)}</title><link>{self.url}/a/{slug}.html</link>"
                f"<guid>{self.url}/a/{slug}.html</guid></item>"
                for slug, title, _ in entries[-BURST:]
            )
            rss = (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>Bench Herald</title>'
                f"<link>{self.url}/</link><description>latency bench</description>{items}"
                "</channel></rss>"
            )
            return 200, rss.encode(), "application/rss+xml"
        for slug, _, page in entries:
            if path == f"/a/{slug}.html":
                return 200, page.encode(), "text/html; charset=utf-8"
        return 404, b"not found", "text/plain"

    def add(self, title: str, rng: random.Random) -> None:
        slug = title.replace(" ", "-").lower()
        url = f"{self.url}/a/{slug}.html"
        paras = bench.paragraphs(rng, 260)
        page = bench.html_page(
            title, paras, url=url, published=datetime.now(UTC), by=bench.byline(rng)
        )
        with self.lock:
            self.entries.append((slug, title, page))

    def close(self) -> None:
        self.server.shutdown()


SECRET = "latency-bench-secret"


def register_feed(live: Live, site: FeedSite) -> int:
    """The site's feed, subscribed (as if its hub had verified our callback), polled once."""
    from newsflow import db

    with db.connect(live.news_url) as conn:
        feed_id = db.fetch_value(
            conn,
            "bench/latency_feed",
            {"url": site.url + "/feed.xml", "hub": site.url + "/hub", "secret": SECRET},
        )
        conn.commit()
    return int(feed_id)


def send_feed(
    live: Live, probe: Probe, rng: random.Random, site: FeedSite, feed_id: int, push: bool = True
) -> None:
    from newsflow.sources.feeds import websub

    site.add(probe.title, rng)
    probe.sent = time.time()
    if push:
        websub.content_push(f"{live.api.url}/newsflow/websub/{feed_id}", SECRET, b"<rss/>")


class Observer:
    """Polls the news database for the probes' articles and their events."""

    def __init__(self, url: str, probes: Sequence[Probe]) -> None:
        self.url = url
        self.by_title = {p.title: p for p in probes}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Observer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _loop(self) -> None:
        import psycopg

        from newsflow import db

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                now = time.time()
                for title, evented in conn.execute(
                    db.sql("bench/latency_probes"), {"prefix": PROBE + "%"}
                ):
                    probe = self.by_title.get(title)
                    if probe is None:
                        continue
                    if probe.stored is None:
                        probe.stored = now
                    if evented and probe.evented is None:
                        probe.evented = now
                self.stop.wait(OBSERVE_EVERY_S)

    def wait(self, timeout: float, *, events: bool) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probes = self.by_title.values()
            if all(p.stored and (p.evented or not events) for p in probes):
                return True
            time.sleep(1.0)
        return False


def _percentiles(values: list[float]) -> str:
    if not values:
        return "none arrived"
    values = sorted(values)
    p50 = bench._percentile(values, 0.5)
    p95 = bench._percentile(values, 0.95)
    return f"p50 {p50:5.1f}  p95 {p95:5.1f}  max {values[-1]:5.1f} s  (n={len(values)})"


def _report(label: str, probes: list[Probe]) -> None:
    for path in sorted({p.path for p in probes}):
        mine = [p for p in probes if p.path == path]
        stored = [p.stored - p.sent for p in mine if p.stored]
        evented = [p.evented - p.sent for p in mine if p.evented]
        missing = len(mine) - len(stored)
        _say(f"  {label:8} {path:6} to stored: {_percentiles(stored)}")
        _say(f"  {label:8} {path:6} to event:  {_percentiles(evented)}")
        if missing:
            _say(f"  {label:8} {path:6} NOT STORED: {missing} of {len(mine)}")


def _runs(live: Live) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for dag_id in DAGS:
        status, doc = live.api("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=1000")
        if status == 200:
            for run in doc["dag_runs"]:
                counts[(dag_id, run["run_type"])] += 1
    return counts


def _run_delta(before: Counter[tuple[str, str]], after: Counter[tuple[str, str]]) -> str:
    delta = after - before
    return ", ".join(f"{dag} {kind}: {n}" for (dag, kind), n in sorted(delta.items())) or "none"


def _load(
    live: Live,
    label: str,
    count: int,
    every: float,
    senders: dict[str, Callable[[Probe, random.Random], None]],
    after_all: Callable[[], None] | None = None,
) -> None:
    probes = [
        Probe(path, f"{PROBE} {label} {path} {n:04}") for n in range(count) for path in senders
    ]
    rng = random.Random(hash(label) & 0xFFFF)
    before = _runs(live)
    with Observer(live.news_url, probes) as observer:
        started = time.monotonic()
        for n, probe in enumerate(probes):
            if every:
                target = started + (n // len(senders)) * every
                time.sleep(max(0.0, target - time.monotonic()))
            senders[probe.path](probe, rng)
        if after_all is not None:
            after_all()
        done = observer.wait(DRAIN_TIMEOUT_S, events=True)
    _report(label, probes)
    if not done:
        _say(f"  {label}: gave up waiting after {DRAIN_TIMEOUT_S:.0f} s")
    _say(f"  {label} runs: {_run_delta(before, _runs(live))}")


def section_latency(env: Any, cfg: Any, trickle_s: float = TRICKLE_S, burst: int = BURST) -> None:
    if cfg.toy:
        _say("[latency] skipped in --quick (it runs a live Airflow for minutes)")
        return
    import redis

    _say()
    _say("[latency] arrival -> stored -> event, live `make up` Airflow, no manual trigger")
    with live_airflow() as live:
        client = redis.Redis.from_url(live.queue_url)
        site = FeedSite()
        feed_id = register_feed(live, site)
        callback = f"{live.api.url}/newsflow/websub/{feed_id}"
        senders: dict[str, Callable[[Probe, random.Random], None]] = {
            "inbox": lambda p, r: send_inbox(live, p, r),
            "queue": lambda p, r: send_queue(live, p, r, client),
            "feed": lambda p, r: send_feed(live, p, r, site, feed_id),
        }
        # warm-up: one document per path, so start-up costs are not in the figures
        _load(live, "warmup", 1, 0.0, senders)
        trickle = int(trickle_s / TRICKLE_EVERY_S)
        _say(f"  trickle: 1 document every {TRICKLE_EVERY_S:.0f} s per path for {trickle_s:.0f} s")
        _load(live, "trickle", trickle, TRICKLE_EVERY_S, senders)
        _say(f"  burst: {burst} documents per path at once (the feed: {burst} entries, one push)")
        senders["feed"] = lambda p, r: send_feed(live, p, r, site, feed_id, push=False)

        def push_once() -> None:
            from newsflow.sources.feeds import websub

            websub.content_push(callback, SECRET, b"<rss/>")

        _load(live, "burst", burst, 0.0, senders, after_all=push_once)
        site.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m newsflow_tools.bench_latency [--trickle S] [--burst N]``: this section
    alone, e.g. shorter while trying a change (``make bench`` runs the full one)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m newsflow_tools.bench_latency")
    ap.add_argument("--trickle", type=float, default=TRICKLE_S, help="seconds of trickle")
    ap.add_argument("--burst", type=int, default=BURST, help="documents per path in the burst")
    args = ap.parse_args(argv)
    section_latency(None, bench.Config.full(), args.trickle, args.burst)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
