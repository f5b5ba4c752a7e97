"""The README's first command, end to end, on a fresh NEWSFLOW_HOME: `make run`."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_on_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "NEWSFLOW_", "_AIRFLOW"))
    }
    env.update(
        {"NEWSFLOW_HOME": str(home), "NEWSFLOW_DEMO_PORT": str(_free_port()), "COLUMNS": "160"}
    )
    started = time.monotonic()
    proc = subprocess.run(
        ["make", "run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
    )
    elapsed = time.monotonic() - started
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    print(f"make run on a fresh home: {elapsed:.1f}s")
    assert "ingest run" in out and "news_files" in out and "news_feeds" in out
    for expected in ("quarantined", "duplicate", "already-ingested", "stored"):
        assert expected in out, f"the summary does not show a {expected!r} outcome"

    url = f"postgresql://postgres@/newsflow?host={home / 'pgdata'}"
    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            runs = {
                r["dag_id"]: r for r in conn.execute("SELECT * FROM news.ingest_runs").fetchall()
            }
            assert runs["news_files"]["status"] == "success"
            assert runs["news_files"]["articles_stored"] >= 8
            assert runs["news_files"]["duplicates"] >= 2
            assert runs["news_files"]["quarantined"] >= 4
            assert runs["news_feeds"]["articles_stored"] >= 3
            methods = {
                r["method"] for r in conn.execute("SELECT method FROM news.article_duplicates")
            }
            assert {"content-hash", "near-dup"} <= methods
            assert (
                conn.execute("SELECT count(*) AS n FROM news.event_articles").fetchone()["n"]
                == conn.execute("SELECT count(*) AS n FROM news.articles").fetchone()["n"]
            )
            feeds = conn.execute("SELECT status FROM news.feed_health").fetchall()
            assert feeds and all(f["status"] == "ok" for f in feeds)
    finally:
        subprocess.run(
            [str(REPO / ".venv" / "bin" / "newsflow"), "db", "stop"],
            env=env,
            capture_output=True,
            timeout=60,
        )
