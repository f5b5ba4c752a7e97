"""The data-quality gate and failure notifications, run by Airflow's own machinery: a run that
quarantines everything is stored, then shown as failed, and the failure is posted to the
webhook named by the ``newsflow_alerts`` connection (a local receiver here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from httpserver import Reply, serve  # noqa: E402

from tests.integration.helpers import article_text, query  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def news_files_dag(airflow_db: str):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags" / "news_files.py")).get_dag("news_files")


def _task_states(run_id: str) -> dict[str, str]:
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter(TaskInstance.run_id == run_id).all()
        return {ti.task_id: str(ti.state) for ti in tis if ti.map_index < 1}


def test_a_run_that_quarantines_everything_fails_the_gate_and_notifies(
    news_files_dag, db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    for i in range(6):
        (inbox / f"broken-{i}.txt").write_bytes(
            b"\x89PNG\r\n\x1a\n" + bytes([i]) * 64 + bytes(range(256))
        )
    with serve({"/hooks/newsflow": Reply(200, b"ok")}, defaults=False) as receiver:
        connection = {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": receiver.port,
            "schema": "hooks/newsflow",
        }
        monkeypatch.setenv("AIRFLOW_CONN_NEWSFLOW_ALERTS", json.dumps(connection))
        dag_run = news_files_dag.test(logical_date=None)
        posts = [r for r in receiver.requests if r.method == "POST"]

    assert dag_run.state == "failed"
    states = _task_states(dag_run.run_id)
    assert states["scan_inbox"] == "success" and states["report"] == "success"
    assert states["quality_gate"] == "failed"
    # the data landed before the gate failed the run: every document has its quarantine row
    run = query(db_url, "SELECT * FROM news.ingest_runs WHERE dag_id = 'news_files'")[0]
    assert (run["quarantined"], run["status"]) == (6, "success")
    # one notification, for the gate, saying why
    assert len(posts) == 1, posts
    body = json.loads(posts[0].body)
    assert body["task_id"] == "quality_gate" and body["dag_id"] == "news_files"
    assert "6 of 6 new documents (100%) were quarantined" in body["error"]


def test_a_healthy_run_passes_the_gate_and_sends_nothing(
    news_files_dag, db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    for i in range(3):
        (inbox / f"story-{i}.txt").write_text(f"Healthy Story Number {i}\n\n{article_text(50 + i)}")
    (inbox / "empty.txt").write_bytes(b"")
    with serve({"/hook": Reply(200, b"ok")}, defaults=False) as receiver:
        connection = {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": receiver.port,
            "schema": "hook",
        }
        monkeypatch.setenv("AIRFLOW_CONN_NEWSFLOW_ALERTS", json.dumps(connection))
        dag_run = news_files_dag.test(logical_date=None)
        posts = [r for r in receiver.requests if r.method == "POST"]
    assert dag_run.state == "success"
    assert _task_states(dag_run.run_id)["quality_gate"] == "success"
    assert posts == []
