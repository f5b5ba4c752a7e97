"""WebSub end to end on 127.0.0.1: a hub stand-in (a real HTTP server) takes the subscription,
verifies the intent against the callback served by the plugin's app (real uvicorn on a free
port), and pushes signed content; the feeds watcher (FeedsDueTrigger.run(), driven by asyncio)
fires on the push. A forged push changes nothing and wakes nothing. The watcher also fires when
a feed's own next poll time comes (the adaptive interval, not the 15-minute cron), keeps quiet
about a due state it already reported, and survives a database that is down.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from httpserver import HostileServer, Reply, SeenRequest, closed_port, only_loopback, serve  # noqa: E402

from newsflow import db, runs  # noqa: E402
from newsflow.sources import feeds  # noqa: E402
from newsflow.sources.feeds import websub  # noqa: E402
from newsflow.streaming.feeds import FeedsDueTrigger  # noqa: E402
from newsflow.web.websub import URL_PREFIX, CallbackDatabase, create_websub_app  # noqa: E402
from tests.fetching import make_fetcher  # noqa: E402
from tests.integration.helpers import query  # noqa: E402

TEST_CONN = "newsflow_websub_test"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFLOW_HTTP_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("NEWSFLOW_HOST_MIN_INTERVAL", "0")
    monkeypatch.setenv("NEWSFLOW_FETCH_REQUEST_BUDGET", "5")
    only_loopback(monkeypatch)


@pytest.fixture
def callback_server(db_url: str) -> Iterator[str]:
    """The plugin's WebSub app on real uvicorn, on a free 127.0.0.1 port; its base URL."""
    import uvicorn
    from fastapi import FastAPI

    port = closed_port()
    callbacks = CallbackDatabase(lambda: db_url)
    root = FastAPI()  # mounted the way Airflow's API server mounts a plugin's app
    root.mount(URL_PREFIX, create_websub_app(callbacks))
    config = uvicorn.Config(root, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}{URL_PREFIX}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        callbacks.close()


class Hub:
    """The hub stand-in: answers a subscription request with 202, then (like a real hub, from
    another thread, right away) verifies the intent on the callback; pushes on demand."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.verified = threading.Event()
        self.verification: tuple[int, str] | None = None

    def route(self, req: SeenRequest, server: HostileServer) -> Reply:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        self.requests.append(form)
        threading.Thread(target=self._verify, args=(form,), daemon=True).start()
        return Reply(202, b"")

    def _verify(self, form: dict[str, str]) -> None:
        params = {
            "hub.mode": "subscribe",
            "hub.topic": form["hub.topic"],
            "hub.challenge": "challenge-<b>4711</b>",
            "hub.lease_seconds": "86400",
        }
        answer = httpx.get(form["hub.callback"], params=params, timeout=10)
        self.verification = (answer.status_code, answer.text)
        self.verified.set()

    def push(self, body: bytes, signature: str | None = None) -> httpx.Response:
        form = self.requests[-1]
        headers = {"Content-Type": "application/atom+xml"}
        headers["X-Hub-Signature"] = signature or websub.sign(form["hub.secret"], body)
        return httpx.post(form["hub.callback"], content=body, headers=headers, timeout=10)


def _atom(server: HostileServer) -> bytes:
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>P</title>'
        "<id>urn:p</id><updated>2024-05-03T10:00:00Z</updated>"
        f'<link rel="hub" href="{server.url("/hub")}"/>'
        f'<link rel="self" href="{server.url("/f/pushed")}"/>'
        "</feed>"
    ).encode()


def _poll(db_url: str, feed_id: int, fetcher: Any, name: str) -> None:
    with db.connect(db_url) as conn:
        run_id = runs.start_run(conn, runs.identity("test_websub", name))
        conn.commit()
    with db.connect(db_url) as conn, db.connect_autocommit(db_url) as pages:
        feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)
        conn.commit()


def airflow_connection(db_url: str) -> str:
    """``AIRFLOW_CONN_*`` (Airflow's JSON form) for a libpq URL or conninfo string."""
    import json

    from psycopg.conninfo import conninfo_to_dict

    params = {k: str(v) for k, v in conninfo_to_dict(db_url).items()}
    conn = {
        "conn_type": "postgres",
        "host": params.pop("host", "localhost"),
        "login": params.pop("user", ""),
        "password": params.pop("password", ""),
        "schema": params.pop("dbname", ""),
    }
    if params.get("port"):
        conn["port"] = int(params.pop("port"))  # type: ignore[assignment]
    return json.dumps(conn | ({"extra": params} if params else {}))


def _feed(db_url: str, feed_id: int) -> dict[str, Any]:
    return query(db_url, "SELECT * FROM news.feeds WHERE id = %s", (feed_id,))[0]


async def _next(events: AsyncIterator[Any], timeout: float = 30.0) -> dict[str, Any]:
    event = await asyncio.wait_for(anext(events), timeout)
    return dict(event.payload)


def test_subscribe_verify_push_and_the_watcher_fires(
    db_url: str, callback_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the watcher reads the news database the way the triggerer does: an Airflow connection
    monkeypatch.setenv(f"AIRFLOW_CONN_{TEST_CONN.upper()}", airflow_connection(db_url))
    monkeypatch.delenv("NEWSFLOW_DATABASE_URL", raising=False)
    monkeypatch.setenv("NEWSFLOW_WEBSUB_CALLBACK_URL", callback_server)
    hub = Hub()
    with serve({"/hub": hub.route, "/f/pushed": lambda r, s: Reply(200, _atom(s))}) as site:
        with db.connect(db_url) as conn:
            feed_id = feeds.add_feed(conn, site.url("/f/pushed"), name="pushed")
            conn.commit()
        with make_fetcher() as fetcher:
            _poll(db_url, feed_id, fetcher, "discover")  # notes the hub
            assert _feed(db_url, feed_id)["websub_state"] == "discovered"
            with db.connect_autocommit(db_url) as conn:
                states = websub.subscribe_due(conn, fetcher)
        assert states == {feed_id: "requested"}
        (asked,) = hub.requests
        assert asked["hub.callback"] == f"{callback_server}/{feed_id}"
        assert asked["hub.topic"] == site.url("/f/pushed")
        # the hub verified at once, before our subscribe() returned: the intent was stored first
        assert hub.verified.wait(30)
        assert hub.verification == (200, "challenge-<b>4711</b>")
        row = _feed(db_url, feed_id)
        assert row["websub_state"] == "subscribed" and row["websub_lease_until"] is not None
        verify = {"hub.mode": "subscribe", "hub.topic": asked["hub.topic"], "hub.challenge": "x"}
        echoed = httpx.get(
            f"{callback_server}/{feed_id}", params=verify | {"hub.lease_seconds": "9"}
        )
        # the echoed challenge is plain text that no browser renders or sniffs as markup
        assert echoed.headers["content-type"].startswith("text/plain")
        assert echoed.headers["x-content-type-options"] == "nosniff"
        too_long = httpx.get(
            f"{callback_server}/{feed_id}", params=verify | {"hub.challenge": "y" * 5000}
        )
        assert too_long.status_code == 400 and "y" not in too_long.text
        assert httpx.get(f"{callback_server}/nope", params=verify).status_code == 404
        not_due = row["next_poll_at"]
        with db.connect(db_url) as conn:
            assert feed_id not in [f["id"] for f in feeds.due_feeds(conn)]

        # a forged push: acknowledged, changes nothing, wakes no watcher
        with psycopg.connect(db_url, autocommit=True) as listener:
            listener.execute(db.sql("feeds/listen_due"))
            forged = hub.push(b"<feed>forged</feed>", signature="sha256=" + "0" * 64)
            assert forged.status_code == 202 and "ignored" in forged.text
            unsigned = httpx.post(f"{callback_server}/{feed_id}", content=b"<feed/>")
            assert unsigned.status_code == 202 and "ignored" in unsigned.text
            assert [n.payload for n in listener.notifies(timeout=0.5)] == []
            row = _feed(db_url, feed_id)
            assert (row["next_poll_at"], row["websub_last_push_at"]) == (not_due, None)
            # the same listener hears a signed push (so the silence above was not deafness)
            assert hub.push(b"<feed>one</feed>").status_code == 202
            heard = [n.payload for n in listener.notifies(timeout=10, stop_after=1)]
            assert heard == [str(feed_id)]
        assert _feed(db_url, feed_id)["next_poll_at"] < not_due

        async def watch() -> list[dict[str, Any]]:
            trigger = FeedsDueTrigger(conn_id=TEST_CONN, interval_s=0.2, refire_s=3600)
            events = trigger.run()
            try:
                # the feed is due since the push above: the first look reports it
                first = await _next(events)
                # the same due state is not reported again; the next push is, at once
                pending = asyncio.ensure_future(_next(events))
                await asyncio.sleep(0.5)
                assert not pending.done()
                status = await asyncio.to_thread(hub.push, b"<feed>two</feed>")
                assert status.status_code == 202
                second = await asyncio.wait_for(pending, 30)
                return [first, second]
            finally:
                await events.aclose()

        first, second = asyncio.run(watch())
    assert first["reason"] == "due" and first["next_poll_at"] is not None
    assert second["reason"] == "push" and second["feeds"] == [str(feed_id)]
    with db.connect(db_url) as conn:
        assert feed_id in [f["id"] for f in feeds.due_feeds(conn)]


def test_a_hub_that_fails_is_recorded_and_asked_again(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_WEBSUB_CALLBACK_URL", "https://news.example.org/newsflow/websub")
    routes = {"/hub": Reply(500, b"down"), "/f/pushed": lambda r, s: Reply(200, _atom(s))}
    with serve(routes) as site, make_fetcher() as fetcher:
        with db.connect(db_url) as conn:
            feed_id = feeds.add_feed(conn, site.url("/f/pushed"), name="pushed")
            conn.commit()
        _poll(db_url, feed_id, fetcher, "discover")
        with db.connect_autocommit(db_url) as conn:
            assert websub.subscribe_due(conn, fetcher) == {feed_id: "failed"}
            row = _feed(db_url, feed_id)
            assert row["websub_state"] == "failed" and "500" in row["websub_error"]
            # a failed subscription is due again: the next run asks again
            assert [f["id"] for f in websub.subscriptions_due(conn)] == [feed_id]
    monkeypatch.delenv("NEWSFLOW_WEBSUB_CALLBACK_URL")
    with db.connect_autocommit(db_url) as conn, make_fetcher() as fetcher:
        assert websub.subscribe_due(conn, fetcher) == {}  # no callback URL: nothing asked


def test_the_watcher_fires_at_a_feeds_own_due_time(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed whose adaptive interval learned "every few minutes" is due every few minutes;
    the watcher fires when that time comes (not at the next 15-minute cron tick), once per
    due state."""
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)  # no Airflow connection: the setting
    with db.connect(db_url) as conn:
        feed_id = feeds.add_feed(conn, "http://127.0.0.1:9/f", name="pace")
        conn.commit()
    with psycopg.connect(db_url, autocommit=True) as conn:
        # as after a poll that set a 180 s interval, 179 s ago
        conn.execute(
            "UPDATE news.feeds SET poll_interval_seconds = 180, "
            "next_poll_at = now() + interval '1 second' WHERE id = %s",
            (feed_id,),
        )
        due_at = _feed(db_url, feed_id)["next_poll_at"]

        async def watch() -> list[dict[str, Any]]:
            trigger = FeedsDueTrigger(conn_id=TEST_CONN, interval_s=0.2, refire_s=3600, due_gap_s=0)
            events = trigger.run()
            try:
                first = await _next(events)
                pending = asyncio.ensure_future(_next(events))
                await asyncio.sleep(0.5)
                assert not pending.done()  # the same due state: reported once
                # the run polled it; 180 s later (here: now) it is due again, a new due state
                await asyncio.to_thread(
                    conn.execute,
                    "UPDATE news.feeds SET next_poll_at = now() WHERE id = %s",
                    (feed_id,),
                )
                return [first, await asyncio.wait_for(pending, 30)]
            finally:
                await events.aclose()

        first, second = asyncio.run(watch())
    assert first["reason"] == "due" and first["next_poll_at"] == due_at.isoformat()
    assert second["reason"] == "due" and second["next_poll_at"] > first["next_poll_at"]


def test_the_watcher_survives_a_database_that_is_down(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", f"postgresql://x@127.0.0.1:{closed_port()}/x")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO news.feeds (url, name) VALUES ('http://127.0.0.1:9/d', 'd')")

    async def watch() -> dict[str, Any]:
        events = FeedsDueTrigger(conn_id=TEST_CONN, interval_s=0.2).run()
        try:
            pending = asyncio.ensure_future(_next(events))
            for _ in range(200):  # until the first failure is logged
                if "feeds watcher" in caplog.text:
                    break
                await asyncio.sleep(0.05)
            assert "retrying" in caplog.text and not pending.done()
            monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)  # the database is back
            return await asyncio.wait_for(pending, 30)
        finally:
            await events.aclose()

    with caplog.at_level(logging.WARNING, logger="newsflow.streaming.feeds"):
        event = asyncio.run(watch())
    assert event["reason"] == "due"


AIRFLOW_PROBE = """
import json, sys
from fastapi.testclient import TestClient
from airflow.api_fastapi.app import create_app

client = TestClient(create_app(apps="all"))
feed_id, topic = sys.argv[1], sys.argv[2]
verify = {"hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "<i>c</i>"}
answers = {
    "verify": client.get(f"/newsflow/websub/{feed_id}", params=verify),
    "unknown": client.get("/newsflow/websub/999999", params=verify),
    "news": client.get("/newsflow/events", follow_redirects=False),
}
print(json.dumps({k: [r.status_code, r.text[:200], r.headers.get("location")]
                  for k, r in answers.items()}))
"""


@pytest.mark.slow  # starts Airflow's API server
def test_the_api_server_serves_the_callback_without_login_and_the_news_view_with(
    db_url: str, tmp_path: Path
) -> None:
    """Airflow's own API app, with the project's plugin: a hub reaches the callback without an
    Airflow login (and it writes through the connection ``newsflow_db``), while the News
    view under the same ``/newsflow`` prefix still sends an anonymous visitor to log in."""
    import os
    import subprocess

    with db.connect(db_url) as conn:
        feed_id = feeds.add_feed(conn, "http://127.0.0.1:9/f", name="f")
        conn.execute(
            "UPDATE news.feeds SET websub_hub = 'http://127.0.0.1:9/hub', "
            "websub_state = 'requested' WHERE id = %s",
            (feed_id,),
        )
        conn.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSFLOW_"))}
    env |= {
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(Path(__file__).resolve().parents[2] / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_NEWSFLOW_DB": airflow_connection(db_url),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "plugins"),
    }
    probe = subprocess.run(
        [sys.executable, "-c", AIRFLOW_PROBE, str(feed_id), "http://127.0.0.1:9/f"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    import json

    answers = json.loads(probe.stdout.strip().splitlines()[-1])
    assert answers["verify"][:2] == [200, "<i>c</i>"]
    assert answers["unknown"][:2] == [404, "unknown subscription"]
    assert answers["news"][0] == 303 and "/auth/login" in answers["news"][2]
    assert _feed(db_url, feed_id)["websub_state"] == "subscribed"


def test_only_a_requested_subscription_is_verified_and_its_lease_is_kept_sane(
    db_url: str,
) -> None:
    """A verification GET confirms a request of ours: one for a running subscription (anyone
    can send it: the topic is public) must not rewrite its lease, which ended its renewals; a
    lease of billions of seconds overflowed the database (HTTP 500); no lease at all is the
    lease we asked for."""
    with db.connect(db_url) as conn:
        feed_id = feeds.add_feed(conn, "https://news.example/feed.xml", name="verify")
        conn.commit()

    def verify(state: str, **params: str) -> tuple[int, dict[str, Any]]:
        with db.connect(db_url) as conn:
            conn.execute(
                "UPDATE news.feeds SET websub_state = %s, websub_topic = 'urn:t', "
                "websub_lease_until = now() + interval '9 days' WHERE id = %s",
                (state, feed_id),
            )
            q = {"hub.mode": "subscribe", "hub.topic": "urn:t", "hub.challenge": "c", **params}
            reply = websub.handle_callback(conn, "GET", feed_id, q, {}, b"")
            conn.commit()
        [row] = query(
            db_url,
            "SELECT websub_state, websub_lease_until - now() AS left FROM news.feeds WHERE id = %s",
            (feed_id,),
        )
        return reply.status, row

    status, row = verify("subscribed")  # unsolicited
    assert status == 404 and row["left"].days == 8  # the running lease untouched
    status, row = verify("requested", **{"hub.lease_seconds": "3000000000"})
    assert status == 200 and row["websub_state"] == "subscribed"
    assert 360 <= row["left"].days <= 366
    status, row = verify("requested")  # no lease given: the one we asked for
    assert status == 200 and row["left"] is not None
