"""news_feeds run by Airflow's own machinery (dag.test) against a real Postgres and a hostile
local HTTP server on 127.0.0.1: good feeds are ingested, bad ones are recorded on the feed, and
the run itself succeeds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from httpserver import HTML_PAGE, Reply, SeenRequest, only_loopback, serve  # noqa: E402

from tests.integration.helpers import article_text, query, snapshot  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
RSS_TYPE = "application/rss+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
ARTICLE_TABLES = ("raw_documents", "articles", "article_versions", "article_duplicates")


def _page(req: SeenRequest, server: Any) -> Reply:
    seed = sum(req.route.encode())
    paragraphs = "".join(f"<p>{p}</p>" for p in article_text(seed).split("\n\n"))
    title = req.route.rsplit("/", 1)[-1].replace("-", " ").title()
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article>{paragraphs}</article></body></html>"
    )
    return Reply(200, body.encode(), HTML_TYPE)


def _rss(name: str, slugs: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{name} {slug}</title><link>/p/{name}-{slug}</link>"
        f'<guid isPermaLink="false">{name}-{slug}</guid>'
        "<pubDate>Thu, 02 May 2024 07:00:00 GMT</pubDate></item>"
        for slug in slugs
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>/</link><description>{name}</description>{items}"
        "</channel></rss>"
    ).encode()


def _etag_feed(body: bytes):
    def route(req: SeenRequest, server: Any) -> Reply:
        headers = {"ETag": '"v1"'}
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", content_type=None, headers=headers)
        return Reply(200, body, RSS_TYPE, headers)

    return route


@pytest.fixture
def news_feeds_dag(airflow_db: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "news_feeds.py"))
    return bag.get_dag("news_feeds")


def _task_instances(run_id: str) -> list[Any]:
    from airflow import settings
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    with settings.Session() as session:
        rows = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == "news_feeds", TaskInstance.run_id == run_id
            )
        ).all()
        session.expunge_all()
        return list(rows)


def _asset_events(run_id: str) -> list[Any]:
    from airflow import settings
    from airflow.models.asset import AssetEvent, AssetModel
    from sqlalchemy import select

    with settings.Session() as session:
        rows = session.execute(
            select(AssetModel.name, AssetModel.uri, AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_dag_id == "news_feeds", AssetEvent.source_run_id == run_id)
        ).all()
        return [tuple(r) for r in rows]


def _make_due(db_url: str) -> None:
    import psycopg

    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE news.feeds SET next_poll_at = now() - interval '1 second'")


def test_news_feeds_run_survives_bad_feeds(
    news_feeds_dag, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsflow import db
    from newsflow.sources import feeds

    only_loopback(monkeypatch)  # nothing but 127.0.0.1 is ever contacted
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("NEWSFLOW_HTTP_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("NEWSFLOW_HOST_MIN_INTERVAL", "0")
    routes = {
        "/p/*": _page,
        "/f/good-etag": _etag_feed(_rss("good-etag", ["one", "two"])),
        "/f/good-plain": Reply(200, _rss("good-plain", ["three", "four"]), RSS_TYPE),
        "/f/not-xml": Reply(200, HTML_PAGE, HTML_TYPE),
        "/f/loop": Reply(302, b"", headers={"Location": "/f/loop-b"}),
        "/f/loop-b": Reply(302, b"", headers={"Location": "/f/loop"}),
        "/f/missing": Reply(404, b"nope"),
    }
    names = ["good-etag", "good-plain", "not-xml", "loop", "missing"]
    with serve(routes) as server:
        with db.connect(db_url) as conn:
            for name in names:
                feeds.add_feed(conn, server.url(f"/f/{name}"), name=name)
            conn.commit()

        dag_run = news_feeds_dag.test(logical_date=None)
        assert dag_run.state == "success"

        # the mapped polls ran, one per feed, named after it; the bad ones did not fail
        tis = _task_instances(dag_run.run_id)
        polls = sorted((ti for ti in tis if ti.task_id == "poll"), key=lambda t: t.map_index)
        # every feed is on one host: one poll task for the group, labelled with the host
        assert [ti.rendered_map_index for ti in polls] == ["127.0.0.1"]
        assert {ti.state for ti in polls} == {"success"}
        states = {ti.task_id: ti.state for ti in tis if ti.task_id != "poll"}
        assert states == {
            "start": "success",
            "plan": "success",
            "process": "success",
            "report": "success",
            "quality_gate": "success",
        }
        events = _asset_events(dag_run.run_id)
        assert [(n, u) for n, u, _ in events] == [("news_articles", "newsflow://news/articles")]

        # the ingest run: four pages from the two good feeds became articles
        runs = query(db_url, "SELECT * FROM news.ingest_runs WHERE dag_id = 'news_feeds'")
        assert [(r["run_id"], r["status"]) for r in runs] == [(dag_run.run_id, "success")]
        assert runs[0]["articles_stored"] == 4
        articles = query(db_url, "SELECT url, title FROM news.articles ORDER BY url")
        assert [a["url"].split("/p/")[1] for a in articles] == [
            "good-etag-one",
            "good-etag-two",
            "good-plain-four",
            "good-plain-three",
        ]

        # the failures are on the feeds, visible in feed_health
        health = {
            r["name"]: r for r in query(db_url, "SELECT * FROM news.feed_health ORDER BY name")
        }
        assert {n: health[n]["status"] for n in names} == {
            "good-etag": "ok",
            "good-plain": "ok",
            "not-xml": "error",
            "loop": "error",
            "missing": "error",
        }
        assert health["not-xml"]["last_error"].startswith("hard: not-a-feed: not a feed")
        assert health["loop"]["last_error"].startswith("hard: redirect-loop: redirect loop")
        assert health["missing"]["last_error"] == "hard: http-error: HTTP 404 Not Found"
        for name in ("not-xml", "loop", "missing"):
            assert (health[name]["failure_score"], health[name]["failures_24h"]) == (1.0, 1)
        for name in ("good-etag", "good-plain"):
            assert health[name]["failure_score"] == 0 and health[name]["last_error"] is None

        # second run, every feed due again: nothing new, nothing changed
        before = snapshot(db_url, ARTICLE_TABLES)
        pages_before = sum(server.hits(p) for p in set(server.paths()) if p.startswith("/p/"))
        _make_due(db_url)
        second = news_feeds_dag.test(logical_date=None)
        assert second.state == "success"
        polls = [ti for ti in _task_instances(second.run_id) if ti.task_id == "poll"]
        assert [ti.rendered_map_index for ti in polls] == ["127.0.0.1"]
        assert sum(server.hits(p) for p in set(server.paths()) if p.startswith("/p/")) == (
            pages_before
        )
        assert snapshot(db_url, ARTICLE_TABLES) == before
        latest = {
            r["name"]: r["outcome"]
            for r in query(
                db_url,
                "SELECT DISTINCT ON (f.name) f.name, p.outcome FROM news.feed_polls p "
                "JOIN news.feeds f ON f.id = p.feed_id ORDER BY f.name, p.id DESC",
            )
        }
        assert latest == {
            "good-etag": "not-modified",
            "good-plain": "unchanged-body",
            "not-xml": "not-a-feed",
            "loop": "redirect-loop",
            "missing": "http-error",
        }
        run2 = query(db_url, "SELECT * FROM news.ingest_runs WHERE run_id = %s", (second.run_id,))
        assert (run2[0]["status"], run2[0]["articles_stored"], run2[0]["documents_seen"]) == (
            "success",
            0,
            0,
        )
        health = {r["name"]: r for r in query(db_url, "SELECT * FROM news.feed_health")}
        assert health["not-xml"]["consecutive_failures"] == 2
        # robots.txt is shared by every task through Postgres: one fetch for the one origin
        # across the two runs' ten poll tasks
        assert server.hits("/robots.txt") == 1
        assert query(db_url, "SELECT fetches FROM news.robots_cache") == [{"fetches": 1}]
        assert health["good-etag"]["status"] == "not-modified"

        # third run, no feed due (every next_poll_at is ahead): an empty map, still a success
        requests_before = len(server.requests)
        third = news_feeds_dag.test(logical_date=None)
        assert third.state == "success"
        assert len(server.requests) == requests_before
        tis = _task_instances(third.run_id)
        assert [ti.state for ti in tis if ti.task_id == "poll"] in ([], ["skipped"])
        # no chunk to process: the mapped process task has nothing to map over
        assert {ti.task_id: ti.state for ti in tis if ti.task_id in ("process", "report")} == {
            "process": "skipped",
            "report": "success",
        }
        assert snapshot(db_url, ARTICLE_TABLES) == before


def test_news_feeds_runs_on_cron_or_the_feeds_watcher(news_feeds_dag) -> None:
    """The schedule: the same 15-minute data-interval cron (scheduled runs and backfills as
    before) or the ``news_feeds_due`` Asset, which the feeds watcher marks from the triggerer;
    both survive serialisation the way the scheduler and the triggerer read them."""
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.timetables.assets import AssetOrTimeSchedule
    from airflow.timetables.interval import CronDataIntervalTimetable

    serialized = DagSerialization.to_dict(news_feeds_dag)
    timetable = DagSerialization.from_dict(serialized).timetable
    assert isinstance(timetable, AssetOrTimeSchedule)
    assert isinstance(timetable.timetable, CronDataIntervalTimetable)
    assert timetable.timetable._expression == "*/15 * * * *"
    [asset] = serialized["dag"]["timetable"]["__var"]["asset_condition"]["objects"]
    assert (asset["name"], asset["uri"]) == ("news_feeds_due", "newsflow://feeds/due")
    [watcher] = asset["watchers"]
    assert watcher["trigger"]["classpath"] == "newsflow.streaming.feeds.FeedsDueTrigger"
    assert watcher["trigger"]["kwargs"]["conn_id"] == "newsflow_db"


def test_an_asset_triggered_run_polls_the_due_feeds(
    news_feeds_dag, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the scheduler creates when the watcher fires: an ``asset_triggered`` run without a
    logical date or data interval. It polls the feeds that are due, like a manual run (not an
    interval's archive, as a backfill would), and leaves the others alone."""
    from airflow.models import dagrun as dagrun_module
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    from newsflow import db
    from newsflow.sources import feeds

    def asset_triggered_run(*, dag, run_after, conf, start_date, session, **_: Any):
        # the scheduler's _create_dag_runs_asset_triggered, for dag.test's loop to run
        run_id = dagrun_module.DagRun.generate_run_id(
            run_type=DagRunType.ASSET_TRIGGERED, logical_date=None, run_after=run_after
        )
        return dag.create_dagrun(
            run_id=run_id,
            logical_date=None,
            data_interval=None,
            run_after=run_after,
            conf=conf,
            run_type=DagRunType.ASSET_TRIGGERED,
            triggered_by=DagRunTriggeredByType.ASSET,
            state=DagRunState.RUNNING,
            start_date=start_date,
            session=session,
        )

    only_loopback(monkeypatch)
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("NEWSFLOW_HTTP_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("NEWSFLOW_HOST_MIN_INTERVAL", "0")
    monkeypatch.setattr(dagrun_module, "get_or_create_dagrun", asset_triggered_run)
    routes = {
        "/p/*": _page,
        "/f/due": Reply(200, _rss("due", ["one"]), RSS_TYPE),
        "/f/later": Reply(200, _rss("later", ["two"]), RSS_TYPE),
    }
    with serve(routes) as server:
        with db.connect(db_url) as conn:
            feeds.add_feed(conn, server.url("/f/due"), name="due")
            later = feeds.add_feed(conn, server.url("/f/later"), name="later")
            conn.execute(
                "UPDATE news.feeds SET next_poll_at = now() + interval '3 minutes' WHERE id = %s",
                (later,),
            )
            conn.commit()
        dag_run = news_feeds_dag.test(logical_date=None)
        assert dag_run.state == "success" and dag_run.run_type == DagRunType.ASSET_TRIGGERED
        assert server.hits("/f/due") == 1 and server.hits("/f/later") == 0
    [run] = query(db_url, "SELECT * FROM news.ingest_runs WHERE run_id = %s", (dag_run.run_id,))
    assert (run["status"], run["articles_stored"], run["interval_start"]) == ("success", 1, None)
    assert [a["url"].rsplit("/", 1)[1] for a in query(db_url, "SELECT url FROM news.articles")] == [
        "due-one"
    ]
