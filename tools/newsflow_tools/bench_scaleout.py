"""``make bench`` section ``scaleout``: the same inbox through ``news_files`` on a Celery
cluster of 1, 2 and 4 workers (``newsflow_tools.celery_cluster``: scheduler, API server,
Redis broker, workers forked from a preloaded process), as ratios to one worker. On a
machine with C cores the curve flattens past C workers: the figure says how much of the
hardware the chunks keep busy, and that more workers never cost correctness or throughput.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from typing import Any

from newsflow_tools.bench_throughput import generated_pages


def _say(line: str = "") -> None:
    print(line, flush=True)


def _seconds(run: dict[str, Any]) -> float:
    start = datetime.fromisoformat(run["start_date"])
    end = datetime.fromisoformat(run["end_date"])
    return (end - start).total_seconds()


def one_cluster(home: Any, pages: list[tuple[str, bytes]], workers: int) -> dict[str, Any]:
    from newsflow_tools.celery_cluster import AirflowApi

    inbox = home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for name, raw in pages:
        (inbox / name).write_bytes(raw)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSFLOW_"))}
    env.update(NEWSFLOW_HOME=str(home), NEWSFLOW_INBOX=str(inbox), NEWSFLOW_CHUNK_DOCUMENTS="25")
    cluster = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsflow_tools.celery_cluster",
            "--workers",
            str(workers),
            "--redis-db",
            "10",
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert cluster.stdout is not None
        info = json.loads(cluster.stdout.readline())
        run = AirflowApi(info["url"], info["user"], info["password"]).run_dag("news_files", 1800)
    finally:
        cluster.send_signal(signal.SIGTERM)
        cluster.wait(timeout=120)
        subprocess.run(
            [sys.executable, "-c", "from newsflow.db import stop_embedded_server as s; s()"],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
    chunks = [t for t in run["task_instances"] if t["task_id"] == "process"]
    return {
        "state": run["state"],
        "seconds": _seconds(run),
        "hosts": sorted({t["hostname"] for t in chunks}),
        "chunks": len(chunks),
    }


def section_scaleout(env: Any, cfg: Any) -> None:
    _say()
    if cfg.toy:
        _say("[scaleout] skipped in --quick (it starts three Celery clusters)")
        return
    pages = generated_pages(600, seed=77)
    _say(
        f"[scaleout] news_files over {len(pages)} generated pages on the CeleryExecutor "
        f"(Redis broker), chunks of 25; {os.cpu_count()} cores here"
    )
    base: float | None = None
    for workers in (1, 2, 4):
        result = one_cluster(env.home / f"celery-{workers}", pages, workers)
        rate = len(pages) / result["seconds"]
        base = base or rate
        _say(
            f"    {workers} worker(s): run {result['state']} in {result['seconds']:.0f} s = "
            f"{rate:.1f} pages/s = {rate / base:.2f}x one worker; {result['chunks']} chunks "
            f"taken by {', '.join(result['hosts'])}"
        )
