"""The Redis queue source against a real Redis and a real Postgres: messages taken, stored,
acknowledged once settled; malformed messages quarantined and acknowledged; a crash between
storing and acknowledging redelivers, and the archive makes the redelivery a no-op."""

from __future__ import annotations

import time
from typing import Any

import pytest

from newsflow import db, jobs, runs
from newsflow.settings import get_settings
from newsflow.sources import queue
from tests.integration.helpers import article_text, query, snapshot
from tests.queueing import Stream


def record(seed: int) -> dict[str, Any]:
    return {
        "title": f"Queue story {seed}",
        "text": article_text(seed),
        "url": f"https://wire.example/story/{seed}",
        "source": "Wire Example",
        "published_at": "2026-11-29T08:00:00Z",
    }


def run_once(url: str, run_name: str, consumer: str = "news_queue", *, ack: bool = True):
    """One run as the DAG does it: take, process, (acknowledge), finish."""
    settings = get_settings()
    with db.connect(url) as conn:
        with runs.ingest_run(conn, runs.identity("news_queue", run_name)) as run_id:
            taken = jobs.take_queue(conn, run_id, consumer, settings)
            jobs.process(conn, run_id, settings)
            acked = jobs.acknowledge_queue(conn, run_id, settings) if ack else None
        row = db.fetch_one(conn, "runs/by_id", {"run_id": run_id})
    assert row is not None
    return taken, acked, dict(row)


def count(url: str, table: str) -> int:
    return int(query(url, f"SELECT count(*) AS n FROM news.{table}")[0]["n"])


def test_pushed_messages_are_stored_and_acknowledged(db_url: str, redis_stream: Stream) -> None:
    ids = [queue.push(redis_stream.url, redis_stream.name, record(i)) for i in range(3)]
    taken, acked, row = run_once(db_url, "r1")
    assert taken["messages"] == 3 and taken["pending"] == 3
    assert acked == {"entries": 3, "acked": 3, "unsettled": 0}
    assert row["articles_stored"] == 3 and row["status"] == "success"
    assert redis_stream.pending() == 0
    docs = query(db_url, "SELECT origin, locator FROM news.raw_documents ORDER BY id")
    assert {d["origin"] for d in docs} == {"queue"}
    assert [d["locator"] for d in docs] == [f"redis://{redis_stream.name}/{i}" for i in ids]
    titles = {r["title"] for r in query(db_url, "SELECT title FROM news.articles")}
    assert titles == {"Queue story 0", "Queue story 1", "Queue story 2"}

    # the same article pushed again: recognised by the archive, acknowledged, nothing new
    before = snapshot(db_url)
    queue.push(redis_stream.client, redis_stream.name, record(1))
    taken, acked, row = run_once(db_url, "r2")
    assert taken == {"messages": 1, "already-ingested": 1}
    assert acked is not None and acked["acked"] == 1
    assert snapshot(db_url) == before
    assert redis_stream.pending() == 0


def test_malformed_messages_are_quarantined_and_acknowledged(
    db_url: str, redis_stream: Stream
) -> None:
    client, name = redis_stream.client, redis_stream.name
    client.xadd(name, {"title": "no article field"})
    client.xadd(name, {"article": '{"title": "cut off", "text": '})
    client.xadd(name, {"article": '["not", "an", "object"]'})
    client.xadd(name, {"article": '{"title": "no text field"}'})
    queue.push(client, name, record(7))
    taken, acked, row = run_once(db_url, "r1")
    assert taken["messages"] == 5 and taken["quarantined"] == 3 and taken["pending"] == 2
    assert acked == {"entries": 5, "acked": 5, "unsettled": 0}
    assert redis_stream.pending() == 0
    assert row["articles_stored"] == 1 and row["quarantined"] == 4
    reasons = query(
        db_url,
        "SELECT q.stage, q.reasons FROM news.quarantine q "
        "JOIN news.raw_documents r ON r.id = q.raw_document_id ORDER BY r.locator",
    )
    stages = sorted(r["stage"] for r in reasons)
    assert stages == ["acquire", "acquire", "acquire", "extract"]
    text = " ".join(" ".join(r["reasons"]) for r in reasons)
    assert "no 'article' field" in text and "not valid JSON" in text
    assert "must be a JSON object" in text and "no 'text' field" in text


def test_a_message_nested_too_deeply_is_quarantined_not_the_batch(
    db_url: str, redis_stream: Stream
) -> None:
    """json.loads raises RecursionError (not ValueError) on very deep nesting: it failed the
    whole batch, which was claimed again and failed again, blocking every message in it."""
    client, name = redis_stream.client, redis_stream.name
    client.xadd(name, {"article": '{"text": "x", "a": ' + "[" * 100_000 + "]" * 100_000 + "}"})
    queue.push(client, name, record(8))
    taken, acked, row = run_once(db_url, "deep")
    assert taken["messages"] == 2 and taken["quarantined"] == 1, taken
    assert acked["unsettled"] == 0 and redis_stream.pending() == 0
    assert row["articles_stored"] == 1
    [held] = query(db_url, "SELECT reasons FROM news.quarantine")
    assert "nested too deeply" in held["reasons"][0]


def test_a_message_whose_field_names_hold_a_nul_is_quarantined_not_the_batch(
    db_url: str, redis_stream: Stream
) -> None:
    """Its refusal quotes the field names; the NUL in them failed the whole batch's archive
    (Postgres text takes no NUL), in every run, and the good messages with it waited."""
    client, name = redis_stream.client, redis_stream.name
    queue.push(client, name, record(11))
    client.xadd(name, {"artic\x00le": "x"})
    queue.push(client, name, record(12))
    taken, acked, row = run_once(db_url, "nul")
    assert taken["messages"] == 3 and taken["quarantined"] == 1, taken
    assert acked["unsettled"] == 0 and redis_stream.pending() == 0
    assert row["articles_stored"] == 2
    [held] = query(db_url, "SELECT reasons FROM news.quarantine")
    assert "its fields: article" in held["reasons"][0]


def test_an_entry_id_chosen_by_its_producer_is_not_when_the_document_was_obtained(
    db_url: str, redis_stream: Stream
) -> None:
    """``XADD s 1-1 ...`` is allowed: its id's time (1970) was the fetch time, and every real
    publication date "lay in the future" and was dropped."""
    import json

    redis_stream.client.xadd(redis_stream.name, {"article": json.dumps(record(13))}, id="1-1")
    taken, _, row = run_once(db_url, "explicit-id")
    assert row["articles_stored"] == 1
    [art] = query(db_url, "SELECT published_at, repairs FROM news.articles")
    assert art["published_at"] is not None and not art["repairs"], art
    [raw] = query(db_url, "SELECT fetched_at, partition_date FROM news.raw_documents")
    assert raw["fetched_at"].year >= 2026 and raw["partition_date"].year >= 2026


def test_pending_entries_trimmed_before_they_were_stored_are_reported(
    db_url: str, redis_stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run took three messages and died; the producer's MAXLEN trimmed two of them. Redis
    drops them from the pending list when they are claimed: the next run said nothing."""
    monkeypatch.setenv("NEWSFLOW_QUEUE_CLAIM_IDLE", "0.1")
    client, name = redis_stream.client, redis_stream.name
    for i in range(3):
        queue.push(client, name, record(20 + i))
    queue.take(client, name, redis_stream.group, "dead-run", batch=10, claim_idle_s=60)
    client.xtrim(name, maxlen=1)
    time.sleep(0.2)
    taken, acked, row = run_once(db_url, "after-trim")
    assert taken["messages"] == 1 and taken["lost_before_stored"] == 2, taken
    assert row["acquisition"]["lost_before_stored"] == 2


def test_a_crash_before_the_acknowledgement_redelivers_without_effect(
    db_url: str, redis_stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_QUEUE_CLAIM_IDLE", "0.2")
    for i in range(4):
        queue.push(redis_stream.url, redis_stream.name, record(i))
    taken, _, first = run_once(db_url, "r1", consumer="worker-a", ack=False)
    assert taken["pending"] == 4 and first["articles_stored"] == 4
    assert redis_stream.pending() == 4  # stored, never acknowledged: the run "crashed"
    before = snapshot(db_url)

    time.sleep(0.5)  # past the claim idle time
    taken, acked, second = run_once(db_url, "r2", consumer="worker-b")
    assert taken == {"messages": 4, "already-ingested": 4}
    assert acked == {"entries": 4, "acked": 4, "unsettled": 0}
    assert second["articles_stored"] == 0
    assert snapshot(db_url) == before
    assert count(db_url, "articles") == 4
    assert redis_stream.pending() == 0


def test_unsettled_entries_stay_pending(db_url: str, redis_stream: Stream) -> None:
    """Taken and archived but not processed (the process task failed): not acknowledged."""
    queue.push(redis_stream.url, redis_stream.name, record(1))
    settings = get_settings()
    with (
        db.connect(db_url) as conn,
        runs.ingest_run(conn, runs.identity("news_queue", "r1")) as run_id,
    ):
        jobs.take_queue(conn, run_id, "news_queue", settings)
        acked = jobs.acknowledge_queue(conn, run_id, settings)
    assert acked == {"entries": 1, "acked": 0, "unsettled": 1}
    assert redis_stream.pending() == 1


def test_without_a_queue_url_a_run_takes_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSFLOW_QUEUE_URL", raising=False)
    taken, acked, row = run_once(db_url, "r1")
    assert taken == {"messages": 0}
    assert acked == {"entries": 0, "acked": 0, "unsettled": 0}
    assert row["documents_seen"] == 0
