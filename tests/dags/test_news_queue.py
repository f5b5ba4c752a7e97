"""news_queue run by Airflow's own machinery (dag.test) against a real Postgres and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsflow.sources import queue
from tests.integration.helpers import article_text, query, snapshot
from tests.queueing import Stream

REPO = Path(__file__).resolve().parents[2]


def load_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "news_queue.py"))
    assert bag.import_errors == {}
    return bag.get_dag("news_queue")


def test_news_queue_run_stores_and_acknowledges(
    airflow_db: str, redis_stream: Stream, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    dag = load_dag()
    watchers = dag.timetable.asset_condition.watchers  # the queue is configured: watched
    assert [w.name for w in watchers] == ["news_queue_backlog"]
    assert watchers[0].trigger.serialize()[1]["stream"] == redis_stream.name

    ids = [
        queue.push(
            redis_stream.client,
            redis_stream.name,
            {"title": f"Wire {i}", "text": article_text(i), "source": "Wire"},
        )
        for i in range(3)
    ]
    redis_stream.client.xadd(redis_stream.name, {"article": "not json"})

    dag_run = dag.test(logical_date=None)
    assert dag_run.state == "success"
    runs = query(db_url, "SELECT * FROM news.ingest_runs WHERE dag_id = 'news_queue'")
    assert len(runs) == 1 and runs[0]["run_id"] == dag_run.run_id
    assert runs[0]["articles_stored"] == 3 and runs[0]["quarantined"] == 1
    assert runs[0]["acquisition"]["messages"] == 4
    assert redis_stream.pending() == 0
    located = {r["locator"] for r in query(db_url, "SELECT locator FROM news.raw_documents")}
    assert {f"redis://{redis_stream.name}/{i}" for i in ids} <= located

    before = snapshot(db_url)
    second = dag.test(logical_date=None)  # nothing new on the stream
    assert second.state == "success"
    assert snapshot(db_url) == before


def test_news_queue_without_a_queue_parses_and_takes_nothing(
    airflow_db: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSFLOW_QUEUE_URL", raising=False)
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    dag = load_dag()
    assert dag.timetable.asset_condition.watchers == []
    dag_run = dag.test(logical_date=None)
    assert dag_run.state == "success"
    runs = query(db_url, "SELECT * FROM news.ingest_runs WHERE dag_id = 'news_queue'")
    assert runs[0]["documents_seen"] == 0 and runs[0]["acquisition"] == {"messages": 0}
