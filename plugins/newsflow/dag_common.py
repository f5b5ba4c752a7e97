"""What every newsflow DAG file shares: the ``news_articles`` Asset, default arguments (retries,
an execution timeout, the failure notifier), the start date. Imported at DAG parse time, so it
imports nothing heavier than ``airflow.sdk`` and the settings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset

from newsflow.alerts import NewsflowNotifier
from newsflow.settings import get_settings

_settings = get_settings()

# Updated by every DAG that loads articles; news_events runs on it.
NEWS_ARTICLES = Asset(name="news_articles", uri="newsflow://news/articles")
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "newsflow",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    # a hung task fails and is retried instead of holding a worker slot
    "execution_timeout": timedelta(seconds=_settings.task_timeout_s),
    "on_failure_callback": NewsflowNotifier(),
}
# One chunk's processing (mapped ``process`` tasks).
CHUNK_TIMEOUT = timedelta(seconds=_settings.chunk_timeout_s)
# One group of feed polls: the poll budget plus time to record the outcomes.
POLL_TIMEOUT = timedelta(seconds=_settings.feed_poll_budget + 300)
