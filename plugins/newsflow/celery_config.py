"""The Celery configuration of newsflow's Airflow workers: Airflow's own, plus the preload.

Set ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=newsflow.celery_config.CELERY_CONFIG`` (compose
does). The worker's main process preloads the task stack on ``worker_init``, before it forks
its pool, so no task pays the great-expectations import (see :mod:`newsflow.preload`). The
scheduler imports this module too, but ``worker_init`` only fires in workers.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

CELERY_CONFIG: dict[str, Any] = {
    **DEFAULT_CELERY_CONFIG,
    # one task at a time per pool process: chunks are long, and a prefetched chunk would wait
    # behind another while a sibling worker idles
    "worker_prefetch_multiplier": 1,
}


@worker_init.connect
def _preload(**_: Any) -> None:
    from newsflow.preload import preload

    preload()
