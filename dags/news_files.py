"""news_files: seed files from the inbox to validated, deduplicated articles in Postgres.

Daily; each run owns its [start, end) day. A manual run (UI trigger, with or without a logical
date) takes every file not yet processed, unless its conf says {"use_interval": true}.
Streaming: the inbox watcher (``newsflow.streaming.inbox``, in the triggerer) marks the
``news_inbox_arrivals`` Asset when files appear, and that starts a run within seconds which
takes the files that arrived (docs/streaming.md).

Wiring only; the work is in ``plugins/newsflow`` (``newsflow.tasks``).
"""

from __future__ import annotations

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

from newsflow.dag_common import CHUNK_TIMEOUT, DEFAULT_ARGS, NEWS_ARTICLES, START_DATE
from newsflow.settings import get_settings
from newsflow.streaming.inbox import InboxArrivalsTrigger

_settings = get_settings()
# Marked by the inbox watcher (in the triggerer) when files arrive; news_files runs on it.
INBOX_ARRIVALS = Asset(
    name="news_inbox_arrivals",
    uri="newsflow://inbox/arrivals",
    watchers=[
        AssetWatcher(
            name="inbox_watcher",
            trigger=InboxArrivalsTrigger(
                inbox=str(_settings.inbox), interval=_settings.watch_interval_s
            ),
        )
    ],
)


@dag(
    dag_id="news_files",
    # Each run owns one day [start, end): a scheduled or backfill run takes the inbox's
    # YYYY-MM-DD folder of its day (and loose files modified in it). A run started by the
    # inbox watcher takes the files that arrived.
    schedule=AssetOrTimeSchedule(
        timetable=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
        assets=[INBOX_ARRIVALS],
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "ingest", "files"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def news_files():
    @task
    def scan_inbox(**context) -> list[dict]:
        """Archive the interval's inbox files (date folders, or all files on a manual run);
        return the chunks its documents are processed in."""
        from newsflow import tasks

        return tasks.scan_inbox(context)

    @task(map_index_template="{{ chunk_label }}", execution_timeout=CHUNK_TIMEOUT)
    def process(chunk: dict) -> dict:
        """Extract, normalise, validate (great-expectations), deduplicate and load a chunk."""
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

    process.expand(chunk=scan_inbox()) >> report() >> quality_gate()


news_files()
