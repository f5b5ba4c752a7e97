"""``python -m newsflow_tools.bench --quick`` runs every section to the end and prints its figures.

The bench prints figures and asserts none; this only proves the script works. It runs in a
subprocess (it sets its own NEWSFLOW_HOME and starts a multiprocessing pool) against the test
session's Postgres server, on databases it creates and drops itself.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from newsflow_tools import bench

from newsflow import neardup

REPO = Path(__file__).resolve().parents[2]


def test_generated_articles_are_distinct_and_copies_are_near_duplicates():
    rng = random.Random(3)
    a = "\n\n".join(bench.paragraphs(rng, 400))
    b = "\n\n".join(bench.paragraphs(rng, 400))
    assert not neardup.verify(a, b).is_duplicate
    paras = a.split("\n\n")
    assert neardup.verify(a, "\n\n".join(bench.edited(rng, paras, 0.05))).is_duplicate
    assert neardup.verify(a, "\n\n".join(bench.truncated(paras, 0.6))).is_duplicate


@pytest.mark.slow
def test_quick_bench_completes_and_prints_every_section(pg_server_url: str, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSFLOW_", "AIRFLOW"))}
    env["NEWSFLOW_DATABASE_URL"] = pg_server_url
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "plugins"), env.get("PYTHONPATH", "")) if p
    )
    env["TMPDIR"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "newsflow_tools.bench", "--quick"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for marker in (
        "[1] news_files throughput",
        "scan    (archive_inbox)",
        "process (process_run)",
        "total   (start_run .. finish_run)",
        "[2] near-duplicate lookup time vs history size",
        "500 stored articles",
        "1,000 stored articles",
        "per lookup: mean",
        "[3] feeds",
        "first poll (new entries)",
        "process_run of the fetched pages",
        "[events] event clustering through Postgres",
        "500 clustered before",
        "2,000 clustered before",
        "slowdown 500 -> 2,000 clustered",
        "[html] news_files work on",
        "x trafilatura alone",
        "by CPU (steadier than the clock on a shared machine)",
        "[memory] peak RSS per processing worker",
        "[startup] CPU a task process spends",
        "with preload",
        "[scaleout] skipped in --quick",
        "bench finished",
    ):
        assert marker in out, (marker, out)
    # everything it made lives under its own temporary home, removed at the end
    assert not list(tmp_path.glob("nf-bench-*"))
