"""news_reprocess: re-extract archived documents with the current extractor.

Manual, with Params: a date range (on the document's inbox date or fetch date), sources, and the
extractor version to replace (empty: every version other than the current one). Articles that
change become a new version (the previous one is kept in ``article_versions``), get new MinHash
bands, and are clustered again by news_events (this DAG updates the ``news_articles`` Asset).
Wiring only; the work is in ``plugins/newsflow/reprocess.py``.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from newsflow.dag_common import DEFAULT_ARGS, NEWS_ARTICLES, START_DATE


@dag(
    dag_id="news_reprocess",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "reprocess"],
    default_args={**DEFAULT_ARGS, "retries": 1},
    doc_md=__doc__,
    params={
        "start_date": Param(
            None,
            type=["null", "string"],
            format="date",
            description="First document date (inclusive); empty: no lower bound",
        ),
        "end_date": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Last document date (inclusive); empty: no upper bound",
        ),
        "sources": Param(
            [],
            type="array",
            items={"type": "string"},
            description="Only articles of these sources; empty: all",
        ),
        "extractor_version": Param(
            None,
            type=["null", "string"],
            description="Only articles made by this extractor version; "
            "empty: every version other than the current one",
        ),
        "force": Param(
            False,
            type="boolean",
            description="Re-extract even articles already at the current version",
        ),
    },
)
def news_reprocess():
    @task(outlets=[NEWS_ARTICLES])
    def reprocess(**context) -> dict:
        """Re-extract, version, re-fingerprint and detach changed articles from their events."""
        from newsflow import tasks

        return tasks.reprocess(context)

    @task
    def report(result: dict, **context) -> dict:
        """Close the ingest_runs row with its counts."""
        from newsflow import tasks

        return tasks.report(context)

    report(reprocess())


news_reprocess()
