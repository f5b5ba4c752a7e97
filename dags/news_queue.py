"""news_queue: articles pushed as JSON messages onto a Redis stream, stored within seconds.

Runs when the queue's watcher (``QueueBacklogTrigger`` in the triggerer) sees messages the
consumer group has not taken, or taken and left unacknowledged past NEWSFLOW_QUEUE_CLAIM_IDLE;
and every 10 minutes regardless. A run takes up to NEWSFLOW_QUEUE_BATCH messages, archives and
processes them, and acknowledges the entries whose documents are settled in Postgres (stored,
duplicate, quarantined); the rest stay pending and are taken again. Without NEWSFLOW_QUEUE_URL
the DAG has no watcher and its runs take nothing (and say so). See docs/streaming.md.

Wiring only; the work is in ``plugins/newsflow`` (``newsflow.tasks``).
"""

from __future__ import annotations

from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    AssetWatcher,
    CronTriggerTimetable,
    TriggerRule,
    dag,
    get_current_context,
    task,
)

from newsflow.dag_common import CHUNK_TIMEOUT, DEFAULT_ARGS, NEWS_ARTICLES, START_DATE
from newsflow.settings import get_settings
from newsflow.streaming.queue import QueueBacklogTrigger

_settings = get_settings()
QUEUE_MESSAGES = Asset(
    name="news_queue_messages",
    uri="newsflow://queue/messages",
    watchers=[
        AssetWatcher(
            name="news_queue_backlog",
            trigger=QueueBacklogTrigger(
                stream=_settings.queue_stream,
                group=_settings.queue_group,
                claim_idle_s=_settings.queue_claim_idle_s,
                interval_s=_settings.watch_interval_s,
            ),
        )
    ]
    if _settings.queue_url
    else [],
)


@dag(
    dag_id="news_queue",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("*/10 * * * *", timezone="UTC"), assets=QUEUE_MESSAGES
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "ingest", "queue", "streaming"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def news_queue():
    @task
    def take(**context) -> list[dict]:
        """Take messages off the stream (abandoned ones first) and archive them; return the
        chunks they are processed in."""
        from newsflow import tasks

        return tasks.queue_take(context)

    @task(map_index_template="{{ chunk_label }}", execution_timeout=CHUNK_TIMEOUT)
    def process(chunk: dict) -> dict:
        """Extract, normalise, validate (great-expectations), deduplicate and load a chunk."""
        from newsflow import tasks

        get_current_context()["chunk_label"] = tasks.chunk_label(chunk)
        return tasks.process_chunk(chunk)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def acknowledge(**context) -> dict:
        """Acknowledge the entries whose documents are settled in Postgres."""
        from newsflow import tasks

        return tasks.queue_acknowledge(context)

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

    process.expand(chunk=take()) >> acknowledge() >> report() >> quality_gate()


news_queue()
