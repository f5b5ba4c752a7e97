"""Scale-out for real: Airflow's CeleryExecutor with Redis, a scheduler and two Celery workers
started here (``newsflow_tools.celery_cluster``, the compose ``celery`` profile's shape), run
``news_files`` over an inbox whose copies are split across chunks. Both workers must take
chunks, and the result must equal a one-process run: the same articles, duplicate ledger,
MinHash bands and events, whatever order the chunks were decided in."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from newsflow_tools.celery_cluster import AirflowApi

from newsflow import db, jobs, runs
from tests.integration.helpers import article_text, query

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping())
    except Exception:
        return False


def _inbox(folder: Path) -> None:
    """24 stories and copies of some of them, named so that the copies sort far from their
    originals: with chunks of 3 documents, every copy is in another chunk than its original."""
    folder.mkdir(parents=True)
    for i in range(24):
        text = f"Celery Worker Story Number {i} Is Reported\n\n{article_text(4000 + i)}\n"
        (folder / f"a-{i:02}.txt").write_text(text)
        if i % 4 == 0:
            (folder / f"z-{i:02}-copy.txt").write_text(text.replace("\n\n", "\n\n\n"))
        if i % 6 == 0:
            words = text.split(" ")
            words[40] = "altered"
            (folder / f"m-{i:02}-edited.txt").write_text(" ".join(words))


def _content(url: str) -> dict[str, Any]:
    """What a run stores, by content (ids differ between runs)."""
    with db.connect(url) as conn:
        jobs.cluster_pending(conn)
        conn.commit()
    articles = query(url, "SELECT id, content_hash FROM news.articles")
    by_id = {a["id"]: a["content_hash"] for a in articles}
    grouped: dict[int, set[str]] = {}
    for row in query(url, "SELECT event_id, article_id FROM news.event_articles"):
        grouped.setdefault(row["event_id"], set()).add(by_id[row["article_id"]])
    return {
        "articles": sorted(by_id.values()),
        "ledger": sorted(
            (r["raw"], r["method"], by_id[r["of"]])
            for r in query(
                url,
                "SELECT x.content_hash AS raw, d.method, d.duplicate_of AS of "
                "FROM news.article_duplicates d JOIN news.raw_documents x ON x.id = d.raw_document_id",
            )
        ),
        "bands": sorted(
            (by_id[b["article_id"]], b["band"], b["hash"])
            for b in query(url, "SELECT article_id, band, hash FROM news.minhash_bands")
        ),
        "events": sorted(sorted(e) for e in grouped.values()),
    }


@pytest.mark.skipif(
    not _redis_up(), reason="Redis is not running at 127.0.0.1:6379 (the Celery broker)"
)
def test_two_celery_workers_take_chunks_and_store_what_one_process_stores(
    new_db: Callable[[], str],
) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="nf-celery-"))
    home, inbox = scratch / "home", scratch / "inbox"
    _inbox(inbox)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "NEWSFLOW_", "PYTEST_")) and k != "PYTHONPATH"
    }
    env.update(NEWSFLOW_HOME=str(home), NEWSFLOW_INBOX=str(inbox), NEWSFLOW_CHUNK_DOCUMENTS="3")
    cluster = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsflow_tools.celery_cluster",
            "--workers",
            "2",
            "--redis-db",
            "9",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert cluster.stdout is not None
        line = cluster.stdout.readline()
        info = (
            json.loads(line) if line.startswith("{") else pytest.fail(line + cluster.stdout.read())
        )
        api = AirflowApi(info["url"], info["user"], info["password"])
        run = api.run_dag("news_files", timeout=600)
        chunks = [ti for ti in run["task_instances"] if ti["task_id"] == "process"]
        assert run["state"] == "success", [
            (t["task_id"], t["state"]) for t in run["task_instances"]
        ]
        assert len(chunks) >= 8
        assert {ti["hostname"] for ti in chunks} == {"w1", "w2"}, [ti["hostname"] for ti in chunks]
        celery_result = _content(info["news_url"])
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
        subprocess.run(
            [sys.executable, "-c", "from newsflow.db import stop_embedded_server as s; s()"],
            env={**env},
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(scratch, ignore_errors=True)

    assert celery_result["articles"] and celery_result["ledger"]
    assert _one_process(new_db()) == celery_result


def _one_process(url: str) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="nf-one-")) / "inbox"
    _inbox(folder)
    jobs.ingest_inbox(url, runs.identity("one", "one"), inbox=folder)
    shutil.rmtree(folder.parent, ignore_errors=True)
    return _content(url)
