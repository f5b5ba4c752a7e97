"""news_feeds: poll the RSS/Atom feeds that are due, fetch their new article pages politely,
process the batch, and mark the ``news_articles`` Asset updated.

Every 15 minutes; each run owns its [start, end) data interval. A backfill run does not fetch:
it reprocesses the pages archived in its interval (``raw_documents``). A failing feed is
recorded on the feed (see the ``news.feed_health`` view) and never fails the run.
Wiring only; the work is in ``plugins/newsflow`` (``newsflow.tasks``).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronDataIntervalTimetable, TriggerRule, dag, get_current_context, task

from newsflow.dag_common import DEFAULT_ARGS, NEWS_ARTICLES, START_DATE


@dag(
    dag_id="news_feeds",
    schedule=CronDataIntervalTimetable("*/15 * * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=60),
    tags=["newsflow", "ingest", "feeds"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def news_feeds():
    @task
    def start(**context) -> dict:
        """Open the ingest run; list the due feeds (or, for a backfill, queue archived pages)."""
        from newsflow import tasks

        return tasks.feeds_start(context)

    @task
    def due_feeds(run: dict) -> list[dict]:
        return run["feeds"]

    @task(map_index_template="{{ feed_name }}", max_active_tis_per_dagrun=4)
    def poll(feed: dict, run: dict) -> dict:
        """Poll one feed and fetch its new pages (a bad feed is recorded, not raised)."""
        from newsflow import tasks

        get_current_context()["feed_name"] = feed["name"]
        return tasks.poll_feed(run, feed)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def plan(run: dict) -> list[dict]:
        """Cut what the polls archived into chunks (after every poll, failed ones included)."""
        from newsflow import tasks

        return tasks.plan_chunks(run)

    @task(map_index_template="{{ chunk_label }}")
    def process(chunk: dict) -> dict:
        """Extract, normalise, validate, deduplicate and load one chunk."""
        from newsflow import tasks

        get_current_context()["chunk_label"] = tasks.chunk_label(chunk)
        return tasks.process_chunk(chunk)

    @task(outlets=[NEWS_ARTICLES], trigger_rule=TriggerRule.ALL_DONE)
    def report(run: dict) -> dict:
        from newsflow import tasks

        return tasks.report(run)

    run = start()
    polls = poll.partial(run=run).expand(feed=due_feeds(run))
    chunks = plan(run)
    polls >> chunks
    process.expand(chunk=chunks) >> report(run)


news_feeds()
