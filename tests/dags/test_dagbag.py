"""Every DAG file imports cleanly, cheaply, and follows the project's rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {"news_files", "news_feeds", "news_events", "news_reprocess", "news_queue"}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}


def test_expected_dags_present(dagbag) -> None:
    assert set(dagbag.dag_ids) >= EXPECTED


def test_retries_tags_and_docs(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and "newsflow" in dag.tags, dag_id
        assert dag.doc_md, dag_id
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"


@pytest.mark.parametrize("path", sorted((REPO / "dags").glob("*.py")), ids=lambda p: p.name)
def test_dag_files_are_thin(path: Path) -> None:
    """Parsing a DAG file must not import the heavy library or touch a database."""
    code = (
        "import sys, runpy; "
        f"runpy.run_path({str(path)!r}); "
        "heavy = [m for m in ('great_expectations', 'trafilatura', 'psycopg', 'pandas', 'datasketch') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy = out.stdout.strip().splitlines()[-1]
    assert heavy == "[]", f"{path.name} imports {heavy} at parse time"
