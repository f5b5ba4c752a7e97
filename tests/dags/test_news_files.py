"""news_files run by Airflow's own machinery (dag.test) against a real Postgres."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.helpers import query, snapshot

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def news_files_dag(airflow_db: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "news_files.py"))
    return bag.get_dag("news_files")


def test_news_files_run_ingests_the_seeds(
    news_files_dag, db_url: str, inbox: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    (inbox / "empty.txt").write_bytes(b"")

    dag_run = news_files_dag.test(logical_date=None)
    assert dag_run.state == "success"
    runs = query(db_url, "SELECT * FROM news.ingest_runs WHERE dag_id = 'news_files'")
    assert len(runs) == 1
    assert runs[0]["run_id"] == dag_run.run_id
    assert runs[0]["articles_stored"] == 5 and runs[0]["quarantined"] == 1
    assert runs[0]["status"] == "success"
    assert runs[0]["validation"]["evaluated"] == 5

    before = snapshot(db_url)
    second = news_files_dag.test(logical_date=None)
    assert second.state == "success"
    assert snapshot(db_url) == before
