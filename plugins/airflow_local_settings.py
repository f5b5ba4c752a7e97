"""Airflow's local settings hook for this deployment (Airflow imports it in every process).

Only one thing: a scheduler running the LocalExecutor forks its task workers from itself, so
it preloads newsflow's task stack first (see ``newsflow.preload``; ``NEWSFLOW_PRELOAD=false``
turns it off). Every other process (API server, DAG processor, triggerer, tasks) is left
alone, and importing this module has no other effect.
"""

from __future__ import annotations

import sys


def _is_local_executor_scheduler() -> bool:
    if sys.argv[1:2] != ["scheduler"]:
        return False
    from airflow.configuration import conf

    return "LocalExecutor" in conf.get("core", "executor", fallback="")


if __name__ == "airflow_local_settings" and _is_local_executor_scheduler():
    from newsflow.preload import preload

    preload()
