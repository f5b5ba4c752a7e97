"""news_events: group newly loaded articles into events (the same real-world happening).

Scheduled on the ``news_articles`` Asset, which news_files, news_feeds and news_reprocess
update. Articles are clustered once each, in publication order; re-running changes nothing.
Wiring only; the work is in ``plugins/newsflow`` (``newsflow.events``).
"""

from __future__ import annotations

from airflow.sdk import dag, task

from newsflow.dag_common import DEFAULT_ARGS, NEWS_ARTICLES, START_DATE


@dag(
    dag_id="news_events",
    schedule=[NEWS_ARTICLES],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "events"],
    default_args=DEFAULT_ARGS,
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
