"""What every newsflow DAG file shares: the ``news_articles`` Asset, default arguments, the
start date. Imported at DAG parse time, so it imports nothing but ``airflow.sdk``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset

# Updated by every DAG that loads articles; news_events runs on it.
NEWS_ARTICLES = Asset(name="news_articles", uri="newsflow://news/articles")
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "newsflow",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
}
