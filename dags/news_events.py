"""news_events: group newly loaded articles into events (the same real-world happening).

Scheduled on the ``news_articles`` Asset, which news_files, news_feeds and news_reprocess
update. Articles are clustered once each, in publication order; re-running changes nothing.
Wiring only; the work is in ``plugins/newsflow`` (``newsflow.events``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, dag, task

NEWS_ARTICLES = Asset(name="news_articles", uri="newsflow://news/articles")


@dag(
    dag_id="news_events",
    schedule=[NEWS_ARTICLES],
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "events"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30), "owner": "newsflow"},
    doc_md=__doc__,
)
def news_events():
    @task
    def cluster() -> dict:
        """Assign every article not yet in an event, in publication order."""
        from newsflow import tasks

        return tasks.cluster_events()

    cluster()


news_events()
