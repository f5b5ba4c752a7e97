"""news_files: seed files from the inbox to validated, deduplicated articles in Postgres.

Daily; each run owns its [start, end) day. A manual run (UI trigger, with or without a logical
date) takes every file not yet processed, unless its conf says {"use_interval": true}.

Wiring only; the work is in ``plugins/newsflow`` (``newsflow.tasks``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

NEWS_ARTICLES = Asset(name="news_articles", uri="newsflow://news/articles")


@dag(
    dag_id="news_files",
    # Each run owns one day [start, end): a scheduled or backfill run takes the inbox's
    # YYYY-MM-DD folder of its day (and loose files modified in it).
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "ingest", "files"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30), "owner": "newsflow"},
    doc_md=__doc__,
)
def news_files():
    @task
    def scan_inbox(**context) -> dict:
        """Archive the interval's inbox files (date folders, or all files on a manual run)."""
        from newsflow import tasks

        return tasks.scan_inbox(context)

    @task(outlets=[NEWS_ARTICLES])
    def process(scan: dict) -> dict:
        """Extract, normalise, validate (great-expectations), deduplicate and load."""
        from newsflow import tasks

        return tasks.process(scan)

    @task
    def report(processed: dict) -> dict:
        """Close the ingest_runs row with its counts and log a summary."""
        from newsflow import tasks

        return tasks.report(processed)

    report(process(scan_inbox()))


news_files()
