"""The feeds watcher in a live Airflow (``airflow standalone``: a real triggerer, scheduler and
API server): a feed falling due starts an ``asset_triggered`` news_feeds run without waiting for
the 15-minute cron, and so does a signed WebSub push sent to the API server's callback without
an Airflow login. The feed points at a closed port on 127.0.0.1: its poll fails (recorded on the
feed), which is all a run needs to show that it polled. ``pytest -s`` prints the delays."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from newsflow.sources.feeds import websub
from newsflow.streaming.feeds import APPLICATION
from tests.httpserver import closed_port
from tests.integration.helpers import query

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
DAG_ID = "news_feeds"
SECRET = "e2e-websub-secret"


def _wait_idle(
    live: Any, timeout: float = 240.0, states: tuple[str, ...] = ("queued", "running")
) -> None:
    deadline = time.monotonic() + timeout
    while active := live.dag_runs(DAG_ID, state=list(states)):
        assert time.monotonic() < deadline, "news_feeds runs still active: " + ", ".join(
            f"{r['dag_run_id']}={r['state']}" for r in active
        )
        time.sleep(1.0)


def _wait_watcher(news_url: str, timeout: float = 180.0) -> None:
    """Until the triggerer's feeds watcher is connected to the news database."""
    deadline = time.monotonic() + timeout
    sql = "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = %s"
    while query(news_url, sql, (APPLICATION,))[0]["n"] == 0:
        assert time.monotonic() < deadline, "the feeds watcher never connected"
        time.sleep(0.5)


def _new_asset_run(live: Any, known: set[str], timeout: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        runs = [
            r
            for r in live.dag_runs(DAG_ID, run_type=["asset_triggered"])
            if r["dag_run_id"] not in known
        ]
        if runs:
            return runs[0]
        assert time.monotonic() < deadline, "no asset-triggered news_feeds run"
        time.sleep(0.5)


def _polled_in(news_url: str, feed_id: int, run_id: str) -> int:
    rows = query(
        news_url,
        "SELECT count(*) AS n FROM news.feed_polls p JOIN news.ingest_runs r ON r.id = p.run_id "
        "WHERE p.feed_id = %s AND r.run_id = %s",
        (feed_id, run_id),
    )
    return int(rows[0]["n"])


def test_a_due_feed_and_a_push_start_runs_within_seconds(live_airflow) -> None:
    live = live_airflow
    live.end_unfinished_runs(DAG_ID)  # left queued by an earlier pause: not ours to wait for
    news_url = live.reset_news_db()
    live.set_paused(DAG_ID, False)
    try:
        _wait_watcher(news_url)  # the triggerer runs it once the DAG is active
        _wait_idle(live)  # the cron's own run of the latest interval, if it made one
        known = {r["dag_run_id"] for r in live.dag_runs(DAG_ID)}

        # 1. a feed that is due now: the watcher fires, the scheduler starts a run
        with psycopg.connect(news_url, autocommit=True) as conn:
            row = conn.execute(
                "INSERT INTO news.feeds (url, name, websub_hub, websub_topic, websub_state, "
                "websub_secret) VALUES (%s, 'e2e-due', 'http://127.0.0.1:9/hub', %s, "
                "'subscribed', %s) RETURNING id",
                (f"http://127.0.0.1:{closed_port()}/feed", "urn:e2e", SECRET),
            ).fetchone()
        assert row is not None
        feed_id = int(row[0])
        due_at = time.monotonic()
        run = _new_asset_run(live, known)
        seen_after = time.monotonic() - due_at
        [run] = live.wait_runs(DAG_ID, [run["dag_run_id"]])
        known.add(run["dag_run_id"])
        assert _polled_in(news_url, feed_id, run["dag_run_id"]) == 1
        [feed] = query(news_url, "SELECT * FROM news.feeds WHERE id = %s", (feed_id,))
        assert feed["next_poll_at"] > feed["last_polled_at"]  # not due any more
        _wait_idle(live)

        # 2. a signed push to the API server's callback (no login): due now, a run at once
        callback = f"{live.url}/newsflow/websub/{feed_id}"
        assert websub.content_push(callback, "wrong-secret", b"<feed/>") == 202
        assert query(news_url, "SELECT websub_last_push_at FROM news.feeds")[0] == {
            "websub_last_push_at": None
        }
        pushed_at = time.monotonic()
        assert websub.content_push(callback, SECRET, b"<feed>new</feed>") == 202
        run = _new_asset_run(live, known)
        pushed_after = time.monotonic() - pushed_at
        [run] = live.wait_runs(DAG_ID, [run["dag_run_id"]])
        assert _polled_in(news_url, feed_id, run["dag_run_id"]) == 1
        print(
            f"\ne2e feeds watcher: due feed -> run seen after {seen_after:.1f}s, "
            f"signed push -> run seen after {pushed_after:.1f}s"
        )
    finally:
        live.set_paused(DAG_ID, True)
        # a paused DAG's queued runs never start (the watcher or the cron may have queued one
        # as it was paused): wait for the running ones, then end the queued ones
        _wait_idle(live, states=("running",))
        live.end_unfinished_runs(DAG_ID)
