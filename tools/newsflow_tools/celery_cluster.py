"""A local Airflow on the CeleryExecutor: API server, scheduler, DAG processor and N Celery
workers, each its own process, with Redis as the broker (the shape of the compose file's
``celery`` profile, on one machine). For the scale-out test and ``make bench``.

Usage::

    python -m newsflow_tools.celery_cluster --workers 2 [--redis-db 7]

It prints one JSON line when every component is up (the API URL, login, the news database
URL, the environment Airflow CLI calls need) and runs until SIGINT/SIGTERM, then stops every
process it started. Workers are named ``w1``, ``w2``, ... through ``NEWSFLOW_WORKER_NAME``
and Airflow's ``hostname_callable``, so the task instances say which worker ran them; each
worker preloads newsflow's task stack once (``newsflow.celery_config``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from newsflow import db, migrate
from newsflow.settings import get_settings
from newsflow_tools import airflow_local


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def celery_env(workers: int, redis_db: int, port: int) -> dict[str, str]:
    """The environment of every component: ``make up``'s, on the CeleryExecutor."""
    os.environ["NEWSFLOW_AIRFLOW_PORT"] = str(port)
    env = airflow_local.build_env()
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    env.update(
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CORE__PARALLELISM=str(max(4, 2 * workers)),
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__HOSTNAME_CALLABLE="newsflow.airflow_adapter.worker_hostname",
        AIRFLOW__CELERY__BROKER_URL=f"redis://127.0.0.1:6379/{redis_db}",
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + metadata,
        AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS="newsflow.celery_config.CELERY_CONFIG",
        AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
        AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(_free_port()),
        GX_ANALYTICS_ENABLED="false",
    )
    return env


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        cmd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def _flush_redis(redis_db: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()


def start(
    workers: int, redis_db: int, logs: Path
) -> tuple[dict[str, Any], list[subprocess.Popen[bytes]]]:
    port = _free_port()
    env = celery_env(workers, redis_db, port)
    migrate.migrate(db.database_url())
    _flush_redis(redis_db)
    airflow = airflow_local.airflow_executable()
    logs.mkdir(parents=True, exist_ok=True)
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    procs = [
        _start([airflow, "api-server", "--port", str(port)], env, logs / "api-server.log"),
        _start([airflow, "scheduler"], env, logs / "scheduler.log"),
        _start([airflow, "dag-processor"], env, logs / "dag-processor.log"),
    ]
    for n in range(1, workers + 1):
        worker_env = {
            **env,
            "NEWSFLOW_WORKER_NAME": f"w{n}",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        }
        procs.append(
            _start(
                [
                    airflow,
                    "celery",
                    "worker",
                    "--concurrency",
                    "1",
                    "--celery-hostname",
                    f"w{n}@%h",
                ],
                worker_env,
                logs / f"worker-{n}.log",
            )
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while not _healthy(url):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            stop(procs)
            raise RuntimeError(f"the Celery cluster did not come up; logs in {logs}")
        time.sleep(1.0)
    user, password = airflow_local.login()
    info = {
        "url": url,
        "user": user,
        "password": password,
        "news_url": db.database_url(),
        "env": env,
        "workers": workers,
        "pids": [p.pid for p in procs],
    }
    return info, procs


class AirflowApi:
    """Airflow's REST API with a token (enough for triggering and watching runs)."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url
        body = json.dumps({"username": user, "password": password}).encode()
        request = urllib.request.Request(
            url + "/auth/token", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            self.token = json.loads(response.read())["access_token"]

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def run_dag(self, dag_id: str, timeout: float = 900.0) -> dict[str, Any]:
        """Unpause ``dag_id``, trigger a run (everything not yet processed), wait for its end;
        the run with its task instances."""
        deadline = time.monotonic() + timeout
        while self("GET", f"/api/v2/dags/{dag_id}")[0] != 200:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} was not parsed")
            time.sleep(2)
        self("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        status, run = self("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
        if status != 200:
            raise RuntimeError(f"could not trigger {dag_id}: {run}")
        run_id = run["dag_run_id"]
        while True:
            run = self("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")[1]
            if run["state"] in ("success", "failed"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} run {run_id} did not finish")
            time.sleep(2)
        tis = self("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")[1]
        run["task_instances"] = tis["task_instances"]
        return dict(run)


def _healthy(url: str) -> bool:
    doc = airflow_local.health(url)
    if not doc:
        return False
    return all(
        (doc.get(name) or {}).get("status") == "healthy"
        for name in ("metadatabase", "scheduler", "dag_processor")
    )


def stop(procs: list[subprocess.Popen[bytes]], grace: float = 30.0) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsflow_tools.celery_cluster")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=7)
    args = parser.parse_args(argv)
    logs = get_settings().home / "celery-cluster-logs"
    info, procs = start(args.workers, args.redis_db, logs)
    print(json.dumps(info), flush=True)
    stopping = False

    def _stop(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal handler
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        stop(procs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
