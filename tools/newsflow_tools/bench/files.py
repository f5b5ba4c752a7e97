"""Section 1, **news_files**: the generated inbox through the library calls the DAG's tasks
make (``start_run``, ``archive_inbox``, ``process_run``, ``finish_run``), then events, a re-run
and a forced reprocess; with ``--airflow`` also through ``airflow dags test news_files``."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsflow_tools.bench.config import Config, rate, say
from newsflow_tools.bench.env import BenchEnv
from newsflow_tools.bench.inbox import write_inbox


def _warm_imports() -> float:
    """Import what a task process imports before its first document (paid once per process)."""
    t0 = time.perf_counter()
    import trafilatura  # noqa: F401

    from newsflow import extract, ingest, normalize, validate  # noqa: F401

    validate.import_gx()

    return time.perf_counter() - t0


def _archive_inbox(conn: Any, run_id: int, inbox: Path) -> dict[str, int]:
    """Archive every file of ``inbox`` into the run, as a manual news_files run does."""
    from newsflow import jobs, runs
    from newsflow.settings import get_settings

    ident = runs.identity("bench", "bench")
    return jobs.archive_inbox(conn, run_id, inbox, ident, get_settings())


def section_files(env: BenchEnv, cfg: Config, *, airflow: bool) -> None:
    from newsflow import db, ingest, runs

    say()
    say("[1] news_files throughput (the news_files tasks' library calls, one process)")
    inbox = env.home / "inbox"
    t0 = time.perf_counter()
    st = write_inbox(inbox, cfg, seed=1)
    say(
        f"    inbox: {st.files} files ({st.txt} .txt, {st.html} .html, 1 .jsonl of "
        f"{st.jsonl_lines} lines) = {st.articles} articles, of which {st.near_dups} near-duplicate "
        f"and {st.exact_dups} exact re-posts; generated in {time.perf_counter() - t0:.1f} s"
    )
    say(f"    imports before the first document: {_warm_imports():.1f} s (once per task process)")
    url = env.new_database("files")
    with db.connect(url) as conn:
        t_start = time.perf_counter()
        run_id = runs.start_run(
            conn, runs.identity("bench_files", f"bench__{datetime.now(UTC).isoformat()}")
        )
        conn.commit()
        t_scan = time.perf_counter()
        counts = _archive_inbox(conn, run_id, inbox)
        conn.commit()
        t_process = time.perf_counter()
        result = ingest.process_run(conn, run_id)
        conn.commit()
        t_finish = time.perf_counter()
        row = runs.finish_run(conn, run_id)
        conn.commit()
        t_end = time.perf_counter()
        methods = {
            r["method"]: r["n"]
            for r in db.fetch_all(conn, "bench/run_duplicate_methods", {"run_id": run_id})
        }
    scan_s, process_s, total_s = t_process - t_scan, t_finish - t_process, t_end - t_start
    items = int(result["items"])
    say(
        f"    scan    (archive_inbox): {counts['files']} files, {items} articles in {scan_s:.2f} s "
        f"= {rate(items, scan_s)} articles/s ({rate(counts['files'], scan_s)} files/s)"
    )
    say(
        f"    process (process_run):   {items} articles in {process_s:.2f} s "
        f"= {rate(items, process_s)} articles/s"
    )
    say(
        f"    total   (start_run .. finish_run): {items} articles in {total_s:.2f} s "
        f"= {rate(items, total_s)} articles/s"
    )
    dup_detail = ", ".join(f"{k} {v}" for k, v in sorted(methods.items())) or "none"
    say(
        f"    outcome: stored {row['articles_stored']}, duplicates {row['duplicates']} "
        f"({dup_detail}), quarantined {row['quarantined']}, failed {row['failed']}"
    )
    _cluster_events(url)
    _rerun_and_reprocess(url, inbox)
    if airflow:
        _files_through_airflow(env, cfg)


def _cluster_events(url: str) -> None:
    """The news_events task's library call over the stored articles (Postgres event store)."""
    from newsflow import db, jobs

    with db.connect(url) as conn:
        t0 = time.perf_counter()
        counts = jobs.cluster_pending(conn)
        dt = time.perf_counter() - t0
        live = db.fetch_value(conn, "bench/live_events")
    n = counts["articles"]
    say(
        f"    events  (cluster_pending): {n} articles in {dt:.2f} s = {rate(n, dt)} articles/s "
        f"({dt / max(n, 1) * 1000:.1f} ms each); {live} live events, "
        f"{counts['articles_moved']} moves, {counts['events_retired']} events retired"
    )


def _rerun_and_reprocess(url: str, inbox: Path) -> None:
    """The same inbox again (what a backfill over processed intervals does: every document is
    recognised, no row changes) and a forced re-extraction of every archived document."""
    from newsflow import db, ingest, reprocess, runs

    with db.connect(url) as conn:
        run_id = runs.start_run(conn, runs.identity("bench_rerun", "bench-rerun"))
        conn.commit()
        t0 = time.perf_counter()
        counts = _archive_inbox(conn, run_id, inbox)
        ingest.process_run(conn, run_id)
        row = runs.finish_run(conn, run_id)
        conn.commit()
        rerun_s = time.perf_counter() - t0
        rp = runs.start_run(conn, runs.identity("bench_reprocess", "bench-reprocess"))
        conn.commit()
        t0 = time.perf_counter()
        result = reprocess.reprocess(conn, rp, reprocess.Selection(force=True))
        conn.commit()
        reprocess_s = time.perf_counter() - t0
    say(
        f"    re-run of the same inbox: {counts['files']} documents in {rerun_s:.2f} s "
        f"= {rate(counts['files'], rerun_s)} documents/s (already ingested "
        f"{counts['already-ingested']}, stored {row['articles_stored']})"
    )
    say(
        f"    reprocess (force re-extraction): {result['documents']} documents in {reprocess_s:.2f} s "
        f"= {rate(result['documents'], reprocess_s)} documents/s (updated {result['updated']}, "
        f"unchanged {result['unchanged']}, kept {result['kept']})"
    )


def _files_through_airflow(env: BenchEnv, cfg: Config) -> None:
    import psycopg

    from newsflow import db
    from newsflow_tools import airflow_local

    inbox = env.home / "inbox-airflow"
    st = write_inbox(inbox, cfg, seed=2)
    url = env.new_database("files_airflow")
    base = dict(os.environ)
    base.update(
        {
            "NEWSFLOW_INBOX": str(inbox),
            "NEWSFLOW_DATABASE_URL": url,
            "AIRFLOW_CONN_NEWSFLOW_DB": airflow_local.airflow_connection(url),
        }
    )
    af_env = airflow_local.build_env(base)
    airflow = airflow_local.airflow_executable()
    logs = env.home / "logs"
    logs.mkdir(exist_ok=True)

    def run(cmd: list[str], log_name: str) -> float:
        t0 = time.perf_counter()
        with (logs / log_name).open("w") as log:
            proc = subprocess.run(cmd, env=af_env, stdout=log, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            tail = (logs / log_name).read_text(errors="replace").splitlines()[-30:]
            raise RuntimeError(
                f"{' '.join(cmd)} failed (exit {proc.returncode}):\n" + "\n".join(tail)
            )
        return time.perf_counter() - t0

    migrate_s = run([airflow, "db", "migrate"], "airflow-db-migrate.log")
    dag_s = run([airflow, "dags", "test", "news_files"], "news_files.log")
    with psycopg.connect(url) as conn:
        row = db.execute(conn, "bench/last_run").fetchone()
    inside = f", {float(row[5]):.1f} s from start_run to finish_run" if row and row[5] else ""
    stored = f" (stored {row[1]}, duplicates {row[2]}, quarantined {row[3]})" if row else ""
    say(
        f"    airflow dags test news_files: {st.articles} articles in {dag_s:.1f} s "
        f"= {rate(st.articles, dag_s)} articles/s{inside}{stored}; "
        f"(airflow db migrate before it: {migrate_s:.1f} s)"
    )
