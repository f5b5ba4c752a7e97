"""news_feeds: poll the RSS/Atom feeds that are due, fetch their new article pages politely,
process the batch, and mark the ``news_articles`` Asset updated.

Every 15 minutes; each run owns its [start, end) data interval. A backfill run does not fetch:
it reprocesses the pages archived in its interval (``raw_documents``). A failing feed is
recorded on the feed (see the ``news.feed_health`` view) and never fails the run.

Also within seconds of a feed falling due (its adaptive interval, down to
``NEWSFLOW_FEED_MIN_INTERVAL``) or of a signed WebSub push: the triggerer's feeds watcher
(``newsflow.streaming.feeds.FeedsDueTrigger``) marks the ``news_feeds_due`` Asset, and the
asset-triggered run polls what is due, like a manual run. Polls also (re)subscribe feeds that
advertise a WebSub hub when ``NEWSFLOW_WEBSUB_CALLBACK_URL`` is set.
Wiring only; the work is in ``plugins/newsflow`` (``newsflow.tasks``).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    AssetWatcher,
    CronDataIntervalTimetable,
    TriggerRule,
    dag,
    get_current_context,
    task,
)

from newsflow.dag_common import (
    CHUNK_TIMEOUT,
    DEFAULT_ARGS,
    NEWS_ARTICLES,
    POLL_TIMEOUT,
    START_DATE,
)
from newsflow.streaming.feeds import FeedsDueTrigger

# Marked by the feeds watcher in the triggerer when a feed is due or was pushed to.
FEEDS_DUE = Asset(
    name="news_feeds_due",
    uri="newsflow://feeds/due",
    watchers=[AssetWatcher(name="news_feeds_due_watcher", trigger=FeedsDueTrigger())],
)


@dag(
    dag_id="news_feeds",
    # the cron runs (and backfills) as before, or a run as soon as the watcher fires
    schedule=AssetOrTimeSchedule(
        timetable=CronDataIntervalTimetable("*/15 * * * *", timezone="UTC"), assets=[FEEDS_DUE]
    ),
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
    def start(**context) -> list[dict]:
        """Open the ingest run; the due feeds, grouped by host into a few poll tasks (a
        backfill queues the pages archived in its interval instead and polls nothing)."""
        from newsflow import tasks

        return tasks.feeds_start(context)

    @task(map_index_template="{{ group_label }}", execution_timeout=POLL_TIMEOUT)
    def poll(group: dict) -> list[dict]:
        """Poll a group of feeds and fetch their new pages (a bad feed is recorded, not raised)."""
        from newsflow import tasks

        get_current_context()["group_label"] = group["label"]
        return tasks.poll_group(group)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def plan(**context) -> list[dict]:
        """Cut what the polls archived into chunks (after every poll, failed ones included)."""
        from newsflow import tasks

        return tasks.plan_chunks(context)

    @task(map_index_template="{{ chunk_label }}", execution_timeout=CHUNK_TIMEOUT)
    def process(chunk: dict) -> dict:
        """Extract, normalise, validate, deduplicate and load one chunk."""
        from newsflow import tasks

        get_current_context()["chunk_label"] = tasks.chunk_label(chunk)
        return tasks.process_chunk(chunk)

    @task(outlets=[NEWS_ARTICLES], trigger_rule=TriggerRule.ALL_DONE)
    def report(**context) -> dict:
        """Close the ingest_runs row with its counts."""
        from newsflow import tasks

        return tasks.report(context)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def quality_gate(**context) -> list[str]:
        """Fail the run (its data stays stored) when it breaks the data-quality thresholds."""
        from newsflow import tasks

        return tasks.quality_gate(context)

    polls = poll.expand(group=start())
    chunks = plan()
    polls >> chunks
    process.expand(chunk=chunks) >> report() >> quality_gate()


news_feeds()
