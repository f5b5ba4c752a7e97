"""Backfills of news_files on a live Airflow (scheduler, LocalExecutor, API server, CLI).

Issue: "A backfill over three daily intervals gives the same rows as the three scheduled runs
did; a second identical backfill changes nothing." and "Manual runs without a logical date
(triggered from the UI) also work."

Design (one Airflow, one metadata database, the news database swapped between phases):

1. *Scheduled runs.* A live scheduler only schedules the latest interval, so the three past
   intervals are run the way it would run them: one run per day that owns its data interval
   (logical date = interval start, data interval [day, day + 1), run_after = interval end, conf
   ``{"use_interval": true}``), triggered through the REST API, executed one after the other
   (``max_active_runs=1``, ordered by run_after; the test checks they did not overlap).
   The news database's content rows are kept in memory.
2. Those runs are deleted from Airflow (they hold the logical dates a backfill would otherwise
   skip as "already exists"), and the news database is replaced by a fresh one under the same
   name, so the Airflow connection ``newsflow_db`` now reaches an empty database without any
   change to the running Airflow.
3. ``airflow backfill create`` over the same three days (the CLI with the live Airflow's
   environment; the live scheduler executes the runs). Same content rows as in 1.
4. The same backfill again with ``--reprocess-behavior completed``: every data table exactly
   unchanged (only the run bookkeeping tables grow).
5. A manual run without a logical date takes what is pending (a new file) and succeeds.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import article_text, query, snapshot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

DAG_ID = "news_files"
DAYS = ("2026-11-16", "2026-11-17", "2026-11-18")
# Run bookkeeping: new rows per run by design.
RUN_TABLES = {"ingest_runs", "document_outcomes", "document_sightings", "schema_migrations"}


def _jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _record(seed: int, day: str, hour: int, title: str) -> dict[str, Any]:
    return {
        "url": f"https://e2e.example.org/{day}/story-{seed}",
        "title": title,
        "text": article_text(seed),
        "published_at": f"{day}T{hour:02d}:00:00Z",
        "source": "E2E Wire",
    }


def fill_inbox(inbox: Path) -> dict[str, int]:
    """Three date folders, six files: 7 distinct articles, a content duplicate across days, a byte-identical
    copy across days, a file too short to pass validation and a broken JSONL line."""
    d16, d17, d18 = (inbox / day for day in DAYS)
    for folder in (d16, d17, d18):
        folder.mkdir(parents=True, exist_ok=True)
    (d16 / "wire.jsonl").write_text(
        _jsonl(
            _record(101, DAYS[0], 8, "Harbour council approves the new ferry bridge"),
            _record(102, DAYS[0], 9, "Miners strike over the coastal rail budget"),
        ),
        encoding="utf-8",
    )
    story = "Museum reopens after the winter storm\n\n" + article_text(103) + "\n"
    (d16 / "museum.txt").write_text(story, encoding="utf-8")

    duplicate = _record(101, DAYS[1], 7, "Ferry bridge approved by harbour council")
    duplicate["url"] = "https://mirror.example.net/ferry-bridge"  # same text, another site
    (d17 / "wire.jsonl").write_text(
        _jsonl(
            _record(104, DAYS[1], 8, "Teachers warn of rural school closures"),
            _record(105, DAYS[1], 10, "Flood defences delayed on the north river"),
            duplicate,
        ),
        encoding="utf-8",
    )
    (d17 / "museum-copy.txt").write_text(story, encoding="utf-8")  # the same bytes again
    (d17 / "stub.txt").write_text("Too short to be an article.\n", encoding="utf-8")

    (d18 / "wire.jsonl").write_text(
        _jsonl(
            _record(106, DAYS[2], 8, "Scientists survey the drought on local farms"),
            _record(107, DAYS[2], 11, "Hospital crew repairs the old tram station"),
        )
        + '{"title": "broken line", "text": \n',
        encoding="utf-8",
    )
    return {"files": 6, "articles": 7, "duplicates": 1, "quarantined": 2}


def content_rows(url: str) -> dict[str, list[str]]:
    """Content columns of the data tables (ids and timestamps differ between databases)."""
    sql = {
        "articles": "SELECT title, content_hash, canonical_url, published_at FROM news.articles",
        "article_duplicates": """
            SELECT d.content_hash, d.method, a.content_hash AS original_hash
            FROM news.article_duplicates d JOIN news.articles a ON a.id = d.duplicate_of""",
        "quarantine": """
            SELECT r.locator, q.item_no, q.stage, q.reasons
            FROM news.quarantine q JOIN news.raw_documents r ON r.id = q.raw_document_id""",
        "raw_documents": """
            SELECT content_hash, origin, locator, media_type, size_bytes, partition_date
            FROM news.raw_documents""",
    }
    return {
        table: sorted(json.dumps(row, default=str, sort_keys=True) for row in query(url, stmt))
        for table, stmt in sql.items()
    }


def data_tables(url: str) -> tuple[str, ...]:
    rows = query(
        url,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'news' AND table_type = 'BASE TABLE'",
    )
    return tuple(sorted(r["table_name"] for r in rows if r["table_name"] not in RUN_TABLES))


def wait_idle(live, timeout: float = 180.0) -> None:
    """No news_files run queued or running (the news database may be swapped)."""
    deadline = time.monotonic() + timeout
    while True:
        active = [r["dag_run_id"] for r in live.dag_runs(DAG_ID, state=["queued", "running"])]
        if not active:
            return
        assert time.monotonic() < deadline, f"runs still active: {active}"
        time.sleep(1.0)


def drop_latest_interval_run(live, timeout: float = 15.0) -> None:
    """Unpausing makes the scheduler create its run of the latest interval (2026-11-20, no inbox
    folder: it would ingest nothing). Ordered after ours by run_after, it waits queued behind
    them (max_active_runs=1); delete it there rather than spend a run's time on it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run in live.dag_runs(DAG_ID, run_type=["scheduled"], state=["queued"]):
            live.api("DELETE", f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}")
            return
        time.sleep(0.5)


def wait_backfill(live, backfill_id: int, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        backfill = live.ok("GET", f"/api/v2/backfills/{backfill_id}")
        if backfill["completed_at"]:
            return backfill
        assert time.monotonic() < deadline, f"backfill {backfill_id} not complete: {backfill}"
        time.sleep(1.0)


def run_backfill(live, *extra: str) -> tuple[list[dict[str, Any]], float]:
    """`airflow backfill create` over DAYS; wait until it completed; its runs and wall time."""
    before = {
        b["id"] for b in live.ok("GET", "/api/v2/backfills", params={"dag_id": DAG_ID})["backfills"]
    }
    started = time.monotonic()
    proc = live.airflow(
        "backfill", "create", "--dag-id", DAG_ID,
        "--from-date", DAYS[0], "--to-date", DAYS[-1], *extra,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    backfills = live.ok("GET", "/api/v2/backfills", params={"dag_id": DAG_ID})["backfills"]
    new = [b for b in backfills if b["id"] not in before]
    assert len(new) == 1, backfills
    wait_backfill(live, new[0]["id"])
    runs = [
        r
        for r in live.dag_runs(DAG_ID, run_type=["backfill"])
        if r["logical_date"] and r["logical_date"][:10] in DAYS
    ]
    assert sorted(r["logical_date"][:10] for r in runs) == list(DAYS), runs
    live.wait_runs(DAG_ID, [r["dag_run_id"] for r in runs], timeout=60)
    return runs, time.monotonic() - started


def _diff(expected: dict[str, list[str]], got: dict[str, list[str]]) -> str:
    out = []
    for table in expected:
        missing = sorted(set(expected[table]) - set(got[table]))
        extra = sorted(set(got[table]) - set(expected[table]))
        out += [f"{table}: only in scheduled runs: {row}" for row in missing]
        out += [f"{table}: only in backfill: {row}" for row in extra]
    return "\n".join(out)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_backfill_matches_scheduled_runs_and_is_idempotent(live_airflow) -> None:
    live = live_airflow
    expected = fill_inbox(live.inbox)

    # ---- 1. the three scheduled runs, each owning its day ------------------------------
    news_url = live.reset_news_db()
    run_ids = []
    for day in DAYS:
        start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        end = start + timedelta(days=1)
        run = live.ok(
            "POST",
            f"/api/v2/dags/{DAG_ID}/dagRuns",
            {
                "dag_run_id": f"e2e_interval__{day}",
                "logical_date": start.isoformat(),
                "data_interval_start": start.isoformat(),
                "data_interval_end": end.isoformat(),
                "run_after": end.isoformat(),
                "conf": {"use_interval": True},
            },
        )
        run_ids.append(run["dag_run_id"])
    live.set_paused(DAG_ID, False)
    scheduled_started = time.monotonic()
    drop_latest_interval_run(live)
    runs = live.wait_runs(DAG_ID, run_ids, timeout=240)
    print(f"\ne2e: three interval runs succeeded in {time.monotonic() - scheduled_started:.1f}s")
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert _at(earlier["end_date"]) <= _at(later["start_date"]), (earlier, later)
    for run, day in zip(runs, DAYS, strict=True):
        assert run["data_interval_start"][:10] == day
    wait_idle(live)  # the scheduler's own run for the latest interval, if it made one

    ingest = query(
        news_url,
        "SELECT run_id, interval_start, documents_seen, articles_stored, duplicates, quarantined "
        "FROM news.ingest_runs WHERE run_id LIKE 'e2e_interval__%%' ORDER BY run_id",
    )
    assert [r["interval_start"].date().isoformat() for r in ingest] == list(DAYS), ingest
    scheduled = content_rows(news_url)
    assert len(scheduled["articles"]) == expected["articles"], scheduled["articles"]
    assert len(scheduled["article_duplicates"]) == expected["duplicates"], scheduled
    assert len(scheduled["quarantine"]) == expected["quarantined"], scheduled["quarantine"]
    assert len(scheduled["raw_documents"]) == expected["files"] - 1  # one byte-identical copy
    assert json.loads(scheduled["article_duplicates"][0])["method"] == "content-hash"

    # ---- 2. forget those runs, fresh news database -------------------------------------
    for run_id in run_ids:
        status, doc = live.api("DELETE", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
        assert status == 204, (status, doc)
    wait_idle(live)
    news_url = live.reset_news_db()
    assert content_rows(news_url)["articles"] == []

    # ---- 3. the backfill ---------------------------------------------------------------
    # Exactly the command of the issue: Airflow 3 runs a backfill's days concurrently (its own
    # --max-active-runs, default 10; the DAG's max_active_runs=1 does not apply to backfills).
    runs, seconds = run_backfill(live)
    for run in runs:
        assert run["run_type"] == "backfill"
        day = run["logical_date"][:10]
        assert run["data_interval_start"][:10] == day
        assert _at(run["data_interval_end"]) - _at(run["data_interval_start"]) == timedelta(days=1)
    backfilled = content_rows(news_url)
    assert backfilled == scheduled, _diff(scheduled, backfilled)
    ingest = query(
        news_url,
        "SELECT count(DISTINCT r.id) AS runs, count(s.*) AS docs FROM news.ingest_runs r "
        "LEFT JOIN news.document_sightings s ON s.run_id = r.id WHERE r.run_id LIKE 'backfill__%%'",
    )[0]
    assert ingest["runs"] == len(DAYS)
    assert ingest["docs"] == expected["files"]  # every file of the three folders, seen once
    busy = (
        max(_at(r["end_date"]) for r in runs) - min(_at(r["start_date"]) for r in runs)
    ).total_seconds()
    print(
        f"e2e: backfill of {len(DAYS)} days, {ingest['docs']} documents: "
        f"{seconds:.1f}s from `airflow backfill create` to success "
        f"({ingest['docs'] / seconds:.2f} documents/s), runs busy {busy:.1f}s "
        f"({ingest['docs'] / busy:.2f} documents/s)"
    )

    # ---- 4. the same backfill again changes nothing -------------------------------------
    tables = data_tables(news_url)
    assert {"articles", "article_duplicates", "quarantine", "raw_documents"} <= set(tables)
    before = snapshot(news_url, tables)
    again, seconds = run_backfill(live, "--reprocess-behavior", "completed")
    assert {r["dag_run_id"] for r in again} == {r["dag_run_id"] for r in runs}
    assert all(_at(a["start_date"]) > _at(b["end_date"]) for a, b in zip(
        sorted(again, key=lambda r: r["dag_run_id"]), sorted(runs, key=lambda r: r["dag_run_id"]),
        strict=True,
    )), "the second backfill did not run the days again"  # fmt: skip
    print(f"e2e: identical backfill again: {seconds:.1f}s")
    after = snapshot(news_url, tables)
    changed = [t for t in tables if after[t] != before[t]]
    assert not changed, {t: (before[t], after[t]) for t in changed}

    # ---- 5. a manual run without a logical date takes what is pending -------------------
    late = live.inbox / "2026-11-19" / "late.jsonl"
    late.parent.mkdir()
    late.write_text(_jsonl(_record(108, "2026-11-19", 9, "Late night budget vote")), "utf-8")
    manual = live.ok("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None})
    assert manual["logical_date"] is None and manual["run_type"] == "manual"
    live.wait_runs(DAG_ID, [manual["dag_run_id"]], timeout=120)
    row = query(
        news_url,
        "SELECT logical_date, interval_start, documents_new, articles_stored "
        "FROM news.ingest_runs WHERE run_id = %s",
        (manual["dag_run_id"],),
    )
    assert row == [
        {"logical_date": None, "interval_start": None, "documents_new": 1, "articles_stored": 1}
    ], row
    titles = {r["title"] for r in query(news_url, "SELECT title FROM news.articles")}
    assert "Late night budget vote" in titles and len(titles) == expected["articles"] + 1
