"""Feeds under faults: a poll killed with ``kill -9`` while fetching and while archiving loses
no page; a header drip and a slow body cannot hold a poll past its request budget; the pages
per poll are capped with nothing lost; robots.txt is fetched once per origin across worker
processes; one bad feed never stops a group; WebSub against a local hub stand-in.

Only 127.0.0.1 is contacted. ``pytest -s`` prints the measured figures.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from httpserver import HostileServer, Reply, SeenRequest, only_loopback, serve  # noqa: E402

from newsflow import db, runs  # noqa: E402
from newsflow.settings import get_settings  # noqa: E402
from newsflow.sources import feedparse, feeds  # noqa: E402
from newsflow.sources.feeds import websub  # noqa: E402
from tests.fetching import make_fetcher  # noqa: E402
from tests.integration.helpers import article_text, query  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().parent / "poll_worker.py"
RSS_TYPE = "application/rss+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
FIGURES: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def print_figures() -> Iterator[None]:
    FIGURES.clear()
    yield
    if FIGURES:
        print("\n\nfeed faults, measured:\n" + "\n".join(f"  {f}" for f in FIGURES))


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFLOW_HTTP_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("NEWSFLOW_HOST_MIN_INTERVAL", "0")
    monkeypatch.setenv("NEWSFLOW_FETCH_REQUEST_BUDGET", "5")
    monkeypatch.setenv("NEWSFLOW_FETCH_BACKOFF_BASE", "0.01")
    monkeypatch.setenv("NEWSFLOW_USER_AGENT", "newsflow-test/1.0")
    only_loopback(monkeypatch)  # in this process, nothing but 127.0.0.1 is contacted


def rss(prefix: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>{prefix} {i}</title><link>/p/{prefix}-{i}</link>"
        f'<guid isPermaLink="false">{prefix}-{i}</guid>'
        f"<pubDate>Thu, 02 May 2024 {i // 60:02d}:{i % 60:02d}:00 GMT</pubDate></item>"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{prefix}</title><link>/</link><description>d</description>{items}"
        "</channel></rss>"
    ).encode()


def page_route(delay: float = 0.0) -> Any:
    def route(req: SeenRequest, server: HostileServer) -> Reply:
        seed = int(hashlib.sha256(req.route.encode()).hexdigest()[:6], 16)
        paragraphs = "".join(f"<p>{p}</p>" for p in article_text(seed).split("\n\n"))
        body = f"<!doctype html><html><body><article>{paragraphs}</article></body></html>"
        return Reply(200, body.encode(), HTML_TYPE, delay=delay)

    return route


def start_run(db_url: str, name: str) -> int:
    with db.connect(db_url) as conn:
        run_id = runs.start_run(conn, runs.identity("test_feed_faults", name))
        conn.commit()
    return run_id


def add(db_url: str, url: str, name: str) -> int:
    with db.connect(db_url) as conn:
        feed_id = feeds.add_feed(conn, url, name=name)
        conn.commit()
    return feed_id


def spawn(db_url: str, run_id: int, feed_ids: list[int], **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), db_url, str(run_id), *map(str, feed_ids)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def wait_claims_released(db_url: str) -> None:
    """Until Postgres has noticed the killed connections (their claims are then dead)."""
    deadline = time.monotonic() + 20
    live = "SELECT count(*) AS n FROM news.pages p WHERE news.page_claim_is_live(p, 1e9)"
    while query(db_url, live)[0]["n"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert query(db_url, live)[0]["n"] == 0


def archived(db_url: str) -> dict[str, int]:
    rows = query(
        db_url,
        "SELECT url, count(*) AS n FROM news.raw_documents WHERE origin = 'page' GROUP BY url",
    )
    return {r["url"]: int(r["n"]) for r in rows}


def assert_every_page_archived_once(db_url: str, urls: set[str]) -> int:
    """Every page archived exactly once, recorded on its page row and queued in a run;
    returns the number lost (0)."""
    counts = archived(db_url)
    assert set(counts) == urls and set(counts.values()) == {1}, counts
    pages = query(db_url, "SELECT url, raw_document_id, wanted FROM news.pages")
    assert all(p["raw_document_id"] and not p["wanted"] for p in pages)
    queued = query(
        db_url,
        "SELECT count(DISTINCT o.raw_document_id) AS n FROM news.document_outcomes o "
        "JOIN news.raw_documents r ON r.id = o.raw_document_id WHERE r.origin = 'page'",
    )
    assert queued[0]["n"] == len(urls)
    return len(urls - set(counts))


@pytest.mark.slow  # fault injection: kill -9 of a poll process
def test_poll_killed_while_fetching_loses_no_page_on_the_retry(db_url: str) -> None:
    n = 20
    with serve({"/f/kill": Reply(200, rss("kf", n), RSS_TYPE), "/p/*": page_route(0.4)}) as site:
        feed_id = add(db_url, site.url("/f/kill"), "kill-fetching")
        run_id = start_run(db_url, "kill-fetching")
        proc = spawn(db_url, run_id, [feed_id])
        deadline = time.monotonic() + 30
        while sum(1 for p in site.paths() if p.startswith("/p/")) < 6:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr
            time.sleep(0.02)
        kill9(proc)
        before = len(archived(db_url))
        wait_claims_released(db_url)
        # Airflow's retry of the same task: same run
        retry = spawn(db_url, run_id, [feed_id])
        out, err = retry.communicate(timeout=120)
        assert retry.returncode == 0, err
        urls = {site.url(f"/p/kf-{i}") for i in range(n)}
        lost = assert_every_page_archived_once(db_url, urls)
    FIGURES.append(
        f"kill -9 while fetching ({before}/{n} archived at the kill), Airflow retry: "
        f"{n - lost}/{n} archived exactly once, pages lost: {lost}"
    )


@pytest.mark.slow  # fault injection: kill -9 of a poll process
def test_poll_killed_while_archiving_loses_no_page_in_a_later_run(db_url: str) -> None:
    n = 20
    with serve({"/f/kill": Reply(200, rss("ka", n), RSS_TYPE), "/p/*": page_route()}) as site:
        feed_id = add(db_url, site.url("/f/kill"), "kill-archiving")
        first = start_run(db_url, "kill-archiving-1")
        proc = spawn(db_url, first, [feed_id], POLL_WORKER_SLOW_ARCHIVE="0.3")
        assert proc.stdout is not None
        seen = 0
        for line in proc.stdout:
            if line.startswith("archiving "):
                seen += 1
                if seen == 5:  # inside the 5th page's archive transaction
                    break
        kill9(proc)
        before = len(archived(db_url))
        assert before == 4  # the 5th page's transaction died with the process
        wait_claims_released(db_url)
        later = start_run(db_url, "kill-archiving-2")  # the next scheduled run
        again = spawn(db_url, later, [feed_id])
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        urls = {site.url(f"/p/ka-{i}") for i in range(n)}
        lost = assert_every_page_archived_once(db_url, urls)
        fetched = {p for p in site.paths() if p.startswith("/p/")}
        assert len(fetched) == n
    FIGURES.append(
        f"kill -9 while archiving ({before}/{n} archived at the kill), later run: "
        f"{n - lost}/{n} archived exactly once, pages lost: {lost}"
    )


def poll_once(db_url: str, feed_id: int, fetcher: Any, name: str) -> feeds.PollResult:
    run_id = start_run(db_url, name)
    with db.connect(db_url) as conn, db.connect_autocommit(db_url) as pages:
        result = feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)
        conn.commit()
    return result


@pytest.mark.slow  # fault injection: a server that drips headers for the whole budget
@pytest.mark.parametrize("robots_drip", [False, True])
def test_header_drip_cannot_hold_a_poll_past_the_budget(db_url: str, robots_drip: bool) -> None:
    budget = 3.0
    robots = Reply(200, header_drip=5.0) if robots_drip else Reply(404, b"none")
    routes = {"/robots.txt": robots, "/f/drip": Reply(200, header_drip=5.0)}
    with serve(routes, defaults=False) as site:
        feed_id = add(db_url, site.url("/f/drip"), "drip")
        # a 20 s read timeout: each byte arrives within it, only the budget can stop this
        with make_fetcher(fetch_request_budget=budget, fetch_read_timeout=20.0) as fetcher:
            started = time.monotonic()
            result = poll_once(db_url, feed_id, fetcher, f"drip-{robots_drip}")
            elapsed = time.monotonic() - started
        feed_hits = site.hits("/f/drip")
    row = query(db_url, "SELECT last_error, failure_score FROM news.feeds")[0]
    assert result["outcome"] == "timeout"
    assert row["failure_score"] == 0.25
    if robots_drip:  # RFC 9309 2.3.1.4: robots.txt unreachable, the site is not fetched
        assert "robots.txt unreachable: timeout" in row["last_error"] and feed_hits == 0
    else:
        assert "request budget" in row["last_error"] and feed_hits >= 1
    assert elapsed < budget + 1.5, elapsed  # robots.txt has its own budget, the feed one
    FIGURES.append(
        f"header drip (1 byte / 5 s){' on robots.txt and the feed' if robots_drip else ''}: "
        f"poll gave up after {elapsed:.1f} s (request budget {budget:g} s)"
    )


@pytest.mark.parametrize(("per_byte", "where"), [(0.04, "inside"), (0.06, "outside")])
def test_slow_body_near_the_deadline_is_temporary_not_a_verdict(
    db_url: str, per_byte: float, where: str
) -> None:
    budget = 3.0
    garbage = b"not a feed, just slow bytes " * 3  # 84 bytes: would be 'not-a-feed' if fast
    body = garbage[:60]
    route = Reply(200, lambda: (body[i : i + 1] for i in range(60)), "text/plain")
    route.chunk_delay = per_byte
    with serve({"/robots.txt": Reply(404, b""), "/f/slow": route}, defaults=False) as site:
        feed_id = add(db_url, site.url("/f/slow"), "slow")
        with make_fetcher(fetch_request_budget=budget) as fetcher:
            result = poll_once(db_url, feed_id, fetcher, f"slow-{where}")
    row = query(db_url, "SELECT last_error, failure_score FROM news.feeds")[0]
    assert result["outcome"] == "timeout" and result["failure"] == "temporary", result
    assert row["last_error"].startswith("temporary: timeout") and row["failure_score"] == 0.25


def test_pages_per_poll_are_capped_and_the_rest_come_next_poll(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_FEED_MAX_PAGES_PER_POLL", "10")
    n = 25
    with serve({"/f/big": Reply(200, rss("cap", n), RSS_TYPE), "/p/*": page_route()}) as site:
        feed_id = add(db_url, site.url("/f/big"), "big")
        done = []
        with make_fetcher() as fetcher:
            for i in range(3):
                result = poll_once(db_url, feed_id, fetcher, f"cap-{i}")
                done.append((result["pages_fetched"], result["pages_deferred"]))
                row = query(db_url, "SELECT * FROM news.feeds")[0]
                if result["pages_deferred"]:  # a backlog brings the next poll forward
                    wait = row["next_poll_at"] - row["last_polled_at"]
                    assert wait.total_seconds() <= get_settings().feed_min_interval
        assert done == [(10, 15), (10, 5), (5, 0)]
        lost = assert_every_page_archived_once(db_url, {site.url(f"/p/cap-{i}") for i in range(n)})
        assert lost == 0 and sum(1 for p in site.paths() if p.startswith("/p/")) == n


def test_robots_txt_fetched_once_per_origin_across_worker_processes(db_url: str) -> None:
    routes = {
        "/robots.txt": Reply(200, b"User-agent: *\nDisallow: /private/\n", delay=0.5),
        "/p/*": page_route(),
        **{f"/f/{i}": Reply(200, rss(f"r{i}", 2), RSS_TYPE) for i in range(4)},
    }
    with serve(routes, defaults=False) as site:
        ids = [add(db_url, site.url(f"/f/{i}"), f"r{i}") for i in range(4)]
        run_id = start_run(db_url, "robots")
        workers = [spawn(db_url, run_id, [feed_id]) for feed_id in ids[:3]]  # three tasks
        for proc in workers:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        later = spawn(db_url, start_run(db_url, "robots-later"), [ids[3]])  # a later run
        assert later.communicate(timeout=120) and later.returncode == 0
        hits = site.hits("/robots.txt")
        pages = sum(1 for p in site.paths() if p.startswith("/p/"))
    cache = query(db_url, "SELECT origin, fetches FROM news.robots_cache")
    assert hits == 1 and [c["fetches"] for c in cache] == [1]
    assert pages == 8
    FIGURES.append(
        f"robots.txt: {hits} fetch for 1 origin across 4 worker processes (2 runs), "
        f"{pages} pages fetched"
    )


def test_one_bad_feed_never_stops_the_group(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = feedparse.parse_feed

    def parse(body: bytes, *, base_url: str, headers: dict[str, str] | None = None) -> Any:
        if base_url.endswith("/f/1"):
            raise RuntimeError("parser bug")
        return real(body, base_url=base_url, headers=headers)

    monkeypatch.setattr(feedparse, "parse_feed", parse)
    routes = {
        "/p/*": page_route(),
        **{f"/f/{i}": Reply(200, rss(f"g{i}", 2), RSS_TYPE) for i in range(3)},
    }
    with serve(routes) as site:
        ids = [add(db_url, site.url(f"/f/{i}"), f"g{i}") for i in range(3)]
        run_id = start_run(db_url, "group")
        with (
            db.connect(db_url) as conn,
            db.connect_autocommit(db_url) as pages,
            make_fetcher() as fetcher,
        ):
            results = feeds.poll_feeds(conn, pages, run_id, ids, fetcher)
            # nothing committed on the caller's connection yet
            assert query(db_url, "SELECT count(*) AS n FROM news.feed_polls")[0]["n"] == 0
            conn.commit()
    assert [r["outcome"] for r in results] == ["ok", "internal-error", "ok"]
    assert "RuntimeError: parser bug" in results[1]["error"]
    health = {r["name"]: r for r in query(db_url, "SELECT * FROM news.feed_health")}
    assert health["g1"]["last_error"].startswith("soft: internal-error: RuntimeError")
    assert health["g0"]["status"] == health["g2"]["status"] == "ok"
    assert len(archived(db_url)) == 4


def test_websub_subscription_verification_and_signed_push(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub_requests: list[dict[str, str]] = []

    def hub(req: SeenRequest, server: HostileServer) -> Reply:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        hub_requests.append(form)
        return Reply(202, b"")

    def callback(req: SeenRequest, server: HostileServer) -> Reply:
        feed_id = int(req.route.rsplit("/", 1)[1])
        params = {k: v[0] for k, v in parse_qs(urlsplit(req.path).query).items()}
        with db.connect(db_url) as conn:
            answer = websub.handle_callback(
                conn, req.method, feed_id, params, req.headers, req.body
            )
            conn.commit()
        return Reply(answer.status, answer.body.encode())

    def atom(req: SeenRequest, server: HostileServer) -> Reply:
        body = (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>P</title>'
            f"<id>urn:p</id><updated>2024-05-03T10:00:00Z</updated>"
            f'<link rel="hub" href="{server.url("/hub")}"/>'
            f'<link rel="self" href="{server.url("/f/pushed")}"/>'
            f'<entry><title>a</title><link href="{server.url("/p/push-a")}"/><id>urn:a</id>'
            "<updated>2024-05-03T10:00:00Z</updated></entry></feed>"
        ).encode()
        return Reply(200, body, "application/atom+xml")

    with serve(
        {"/hub": hub, "/websub/*": callback, "/f/pushed": atom, "/p/*": page_route()}
    ) as site:
        monkeypatch.setenv("NEWSFLOW_WEBSUB_CALLBACK_URL", site.url("/websub"))
        feed_id = add(db_url, site.url("/f/pushed"), "pushed")
        with make_fetcher() as fetcher:
            poll_once(db_url, feed_id, fetcher, "websub-poll")  # discovers the hub
            with db.connect_autocommit(db_url) as conn:
                assert [f["id"] for f in websub.subscriptions_due(conn)] == [feed_id]
                assert websub.subscribe(conn, fetcher, feed_id) == "requested"
        (asked,) = hub_requests
        assert asked["hub.mode"] == "subscribe" and asked["hub.topic"] == site.url("/f/pushed")
        callback_url = asked["hub.callback"]
        assert callback_url == site.url(f"/websub/{feed_id}")
        # the hub stand-in verifies the intent: wrong topic refused, right one echoed
        wrong = httpx.get(
            callback_url, params={"hub.mode": "subscribe", "hub.topic": "x", "hub.challenge": "c"}
        )
        assert wrong.status_code == 404
        verify = {
            "hub.mode": "subscribe",
            "hub.topic": asked["hub.topic"],
            "hub.challenge": "c-4711",
            "hub.lease_seconds": "600",
        }
        answer = httpx.get(callback_url, params=verify)
        assert (answer.status_code, answer.text) == (200, "c-4711")
        row = query(db_url, "SELECT * FROM news.feeds WHERE id = %s", (feed_id,))[0]
        assert row["websub_state"] == "subscribed" and row["websub_lease_until"] is not None
        far = row["next_poll_at"]
        # a push with a bad signature is ignored; a signed one makes the feed due now
        content = b"<feed>new entry</feed>"
        forged = httpx.post(callback_url, content=content, headers={"X-Hub-Signature": "sha256=00"})
        assert forged.status_code == 202 and "ignored" in forged.text
        assert query(db_url, "SELECT next_poll_at FROM news.feeds")[0]["next_poll_at"] == far
        signature = hmac.new(asked["hub.secret"].encode(), content, hashlib.sha256).hexdigest()
        pushed = httpx.post(
            callback_url, content=content, headers={"X-Hub-Signature": f"sha256={signature}"}
        )
        assert pushed.status_code == 202 and "due now" in pushed.text
        with db.connect(db_url) as conn:
            assert feed_id in [f["id"] for f in feeds.due_feeds(conn)]


def test_feed_that_changes_every_few_minutes_is_polled_at_that_pace(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_FEED_MIN_INTERVAL", "60")
    state = {"count": 6}

    def feed(req: SeenRequest, server: HostileServer) -> Reply:
        # entries published 3 minutes apart; each poll sees two more
        items = "".join(
            f"<item><title>t{i}</title><link>/p/pace-{i}</link>"
            f"<pubDate>Thu, 02 May 2024 10:{3 * i:02d}:00 GMT</pubDate></item>"
            for i in range(state["count"])
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>p</title>{items}'
        return Reply(200, (body + "</channel></rss>").encode(), RSS_TYPE)

    with serve({"/f/pace": feed, "/p/*": page_route()}) as site:
        feed_id = add(db_url, site.url("/f/pace"), "pace")
        intervals = []
        with make_fetcher() as fetcher:
            for i in range(3):
                poll_once(db_url, feed_id, fetcher, f"pace-{i}")
                intervals.append(query(db_url, "SELECT * FROM news.feeds")[0])
                state["count"] += 2
    assert [r["poll_interval_seconds"] for r in intervals] == [180, 180, 180]
    row = intervals[-1]
    assert (row["next_poll_at"] - row["last_polled_at"]).total_seconds() == 180
    FIGURES.append("entries every 3 min: interval 900 s -> 180 s after the first poll")


def test_fetch_each_holds_at_most_the_concurrency_in_bodies() -> None:
    """Pages are handed over one by one as they complete; a slow consumer (archiving) does not
    let finished bodies pile up beyond the in-flight window."""
    with serve({"/p/*": page_route()}) as site, make_fetcher(fetch_concurrency=3) as fetcher:
        urls = [site.url(f"/p/mem-{i}") for i in range(12)]
        started_before_each: list[int] = []
        for _index, result in fetcher.fetch_each(urls, accept=None):
            assert result.ok
            started_before_each.append(sum(1 for p in site.paths() if p.startswith("/p/")))
            time.sleep(0.05)  # a slow consumer
        # never more than the window fetched ahead of what was consumed
        assert all(n - i <= 3 for i, n in enumerate(started_before_each, start=1))
        assert len(started_before_each) == 12


@pytest.mark.parametrize("parser_guard", [True, False])
def test_entries_with_bad_text_or_overlong_links_cost_only_themselves(
    db_url: str, parser_guard: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Postgres refuses a NUL in text and cannot index a URL of several kB: either one, in one
    entry, used to fail the poll's transaction and lose every entry of the feed. The parser
    drops both; should a value still reach the database and be refused (``parser_guard``
    off), the entry's own savepoint keeps the others."""
    if not parser_guard:
        monkeypatch.setattr(feedparse, "MAX_URL_CHARS", 10**6)
    noise = random.Random(7).choices("abcdefghijklmnopqrstuvwxyz0123456789", k=4000)
    long_link = "https://127.0.0.1/p/" + "".join(noise)  # 4 kB that do not compress
    items = (
        f"<item><title>Too long</title><link>{long_link}</link></item>"
        "<item><title>Bad A&#0;B</title><link>/p/a</link><description>x\x00y</description></item>"
        "<item><title>Fine</title><link>/p/b</link></item>"
    )
    body = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
        f"<link>/</link>{items}</channel></rss>"
    ).encode()
    routes = {
        "/robots.txt": Reply(404, b"none"),
        "/f/mixed": Reply(200, body, "application/rss+xml"),
    }
    with serve(routes, defaults=False) as site:
        feed_id = add(db_url, site.url("/f/mixed"), "mixed")
        with make_fetcher() as fetcher:
            result = poll_once(db_url, feed_id, fetcher, "mixed")
    assert result["outcome"] in ("ok", "ok-malformed"), result
    entries = query(db_url, "SELECT entry_url, title, summary FROM news.feed_entries")
    assert sorted(e["title"] for e in entries) == ["Bad AB", "Fine"]
    assert all("\x00" not in (e["summary"] or "") for e in entries)
    assert result["new_entries"] == 2


def test_a_page_that_failed_mid_body_is_fetched_again_in_full(db_url: str) -> None:
    """The first response carried an ETag and then stalled past the read timeout: nothing was
    archived. Its validators must not make the next fetch conditional (the server's 304 would
    settle a page nobody archived, and the article would be lost)."""
    paragraphs = "".join(f"<p>{article_text(90 + i, sentences=6)}</p>" for i in range(4))
    page = (
        "<html><head><title>Harbour wall rebuilt</title></head><body><article>"
        f"<h1>Harbour wall rebuilt</h1>{paragraphs}</article></body></html>"
    ).encode()
    served: list[str | None] = []

    def slow_then_conditional(req: SeenRequest, server: HostileServer) -> Reply:
        served.append(req.headers.get("if-none-match"))
        headers = {"ETag": '"v1"'}
        if len(served) == 1:  # half the page, then silence past the read timeout
            return Reply(200, [page[:200], page[200:]], "text/html", headers, chunk_delay=3.0)
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", None, headers)
        return Reply(200, page, "text/html; charset=utf-8", headers)

    feed = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><link>/</link>"
        b"<item><title>Harbour wall rebuilt</title><link>/p/slow</link></item>"
        b"</channel></rss>"
    )
    routes = {
        "/robots.txt": Reply(404, b"none"),
        "/f/slow": Reply(200, feed, "application/rss+xml"),
        "/p/slow": slow_then_conditional,
    }
    with serve(routes, defaults=False) as site:
        feed_id = add(db_url, site.url("/f/slow"), "slow")
        with make_fetcher(fetch_read_timeout=1.0, fetch_max_tries=1) as fetcher:
            poll_once(db_url, feed_id, fetcher, "slow-1")
            assert len(served) == 1  # fetched once, failed: nothing archived
            assert query(db_url, "SELECT count(*) AS n FROM news.raw_documents")[0]["n"] == 0
            poll_once(db_url, feed_id, fetcher, "slow-2")
    assert served[:2] == [None, None]  # the second fetch was not conditional
    [row] = query(db_url, "SELECT last_outcome, raw_document_id FROM news.pages")
    assert row["last_outcome"] == "ok" and row["raw_document_id"] is not None


def test_an_entry_redirected_to_the_front_page_is_not_stored_as_its_article(
    db_url: str,
) -> None:
    """A site sends a removed article's address to its front page: that page's lead story is
    not the entry's article (it was stored under the entry's title before)."""
    home = (
        "<html><head><title>Daily Home</title></head><body><article><h1>Lead story</h1>"
        + "".join(f"<p>{article_text(95 + i, sentences=6)}</p>" for i in range(3))
        + "</article></body></html>"
    ).encode()
    feed = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><link>/</link>"
        b"<item><title>Removed story</title><link>/p/removed</link></item>"
        b"</channel></rss>"
    )
    routes = {
        "/robots.txt": Reply(404, b"none"),
        "/f/home": Reply(200, feed, "application/rss+xml"),
        "/p/removed": Reply(301, b"", None, {"Location": "/"}),
        "/": Reply(200, home, "text/html; charset=utf-8"),
    }
    with serve(routes, defaults=False) as site:
        feed_id = add(db_url, site.url("/f/home"), "home")
        with make_fetcher() as fetcher:
            poll_once(db_url, feed_id, fetcher, "home-1")
    assert query(db_url, "SELECT count(*) AS n FROM news.raw_documents")[0]["n"] == 0
    [row] = query(db_url, "SELECT last_outcome, wanted FROM news.pages")
    assert row == {"last_outcome": "redirected-home", "wanted": False}


def test_a_page_archived_by_a_run_that_died_is_processed_by_a_later_one(db_url: str) -> None:
    """The run archived the page and died before processing it. When the entry changes, the
    server answers "not modified" for the page: that settled it before, and the article was
    never made; now the later run processes the copy it holds."""
    from newsflow import jobs

    paragraphs = "".join(f"<p>{article_text(110 + i, sentences=6)}</p>" for i in range(4))
    page = (
        "<html><head><title>Harbour crane repaired</title></head><body><article>"
        f"<h1>Harbour crane repaired</h1>{paragraphs}</article></body></html>"
    ).encode()

    def conditional(req: SeenRequest, server: HostileServer) -> Reply:
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", None, {"ETag": '"v1"'})
        return Reply(200, page, "text/html; charset=utf-8", {"ETag": '"v1"'})

    summary = ["first"]

    def feed(req: SeenRequest, server: HostileServer) -> Reply:
        body = (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><link>/</link>"
            "<item><title>Harbour crane repaired</title><link>/p/crane</link>"
            f"<description>{summary[0]}</description></item></channel></rss>"
        ).encode()
        return Reply(200, body, "application/rss+xml")

    routes = {"/robots.txt": Reply(404, b"none"), "/f/crane": feed, "/p/crane": conditional}
    with serve(routes, defaults=False) as site:
        feed_id = add(db_url, site.url("/f/crane"), "crane")
        with make_fetcher() as fetcher:
            poll_once(db_url, feed_id, fetcher, "died")  # archived, never processed
            assert query(db_url, "SELECT count(*) AS n FROM news.articles")[0]["n"] == 0
            summary[0] = "updated"  # the entry changes: its page is wanted again
            run_id = start_run(db_url, "later")
            with db.connect(db_url) as conn, db.connect_autocommit(db_url) as pages:
                feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)
                conn.commit()
                jobs.process(conn, run_id)
    [row] = query(db_url, "SELECT last_outcome FROM news.pages")
    assert row["last_outcome"] == "not-modified"
    assert [r["title"] for r in query(db_url, "SELECT title FROM news.articles")] == [
        "Harbour crane repaired"
    ]
