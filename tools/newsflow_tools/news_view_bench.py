"""The News view on a large database: generate one, then measure each page's p95.

Usage (a scratch server; the generator needs a superuser to COPY without foreign-key
triggers, and creates the database)::

    python -m newsflow_tools.news_view_bench generate --url postgresql://postgres@127.0.0.1:5432/news_1m
    python -m newsflow_tools.news_view_bench measure --url postgresql://postgres@127.0.0.1:5432/news_1m

``generate`` migrates a new database and COPYs a consistent synthetic history into it: 1M
articles by default (``--articles``) from 300 sources and 500 feeds, 10% more documents recorded
as duplicates (skewed: a few articles have hundreds of copies), 5% quarantined with reasons, 5%
with an earlier version, a run per 100 documents with its great-expectations summary, events
of power-law sizes (a few with thousands of articles) and their memberships. It takes minutes
and a few GB; it is not part of the test suite.

``measure`` requests each page through the News app in-process (FastAPI TestClient: query,
rendering, no network), first pages and pages deep in each list (keyset cursors at random
rows), and prints p50 / p95 / max per page in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from newsflow import db, migrate

WORDS = [
    "harbour",
    "council",
    "ferry",
    "bridge",
    "tram",
    "station",
    "museum",
    "library",
    "school",
    "hospital",
    "river",
    "market",
    "festival",
    "storm",
    "flood",
    "drought",
    "farmers",
    "miners",
    "teachers",
    "nurses",
    "union",
    "strike",
    "vote",
    "budget",
    "tax",
    "mayor",
    "minister",
    "court",
    "judge",
    "police",
    "fire",
    "crew",
    "engineers",
    "scientists",
    "report",
    "survey",
    "opened",
    "closed",
    "delayed",
    "approved",
    "rejected",
    "warned",
    "promised",
    "repaired",
    "expanded",
    "national",
    "local",
    "public",
    "private",
    "rural",
    "coastal",
    "north",
    "south",
    "east",
    "west",
    "winter",
    "spring",
    "summer",
    "autumn",
    "morning",
    "evening",
]
PLACES = ["Lisbon", "Porto", "Hamburg", "Bremen", "Lyon", "Nantes", "Turin", "Genoa", "Cork",
          "Galway", "Gdansk", "Riga", "Tallinn", "Bergen", "Malmo", "Aarhus"]  # fmt: skip
REASONS = [
    "text length {n} outside [200, 200000]",
    "language is missing",
    "published_at 2031-01-0{d}T00:00:00+00:00 is in the future",
    "title length {n} outside [3, 160]",
    "url 'ftp://x{n}' is not a valid http(s) URL",
    "not a text document (image/png)",
]
EXPECTATIONS = [
    ("expect_column_value_lengths_to_be_between", "text"),
    ("expect_column_values_to_not_be_null", "language"),
    ("expect_column_values_to_be_between", "published_epoch"),
    ("expect_column_value_lengths_to_be_between", "title"),
    ("expect_column_values_to_match_regex", "url"),
]
START = datetime(2025, 11, 20, tzinfo=UTC)


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


class Plan:
    """Sizes and id assignments shared by every table generator (deterministic for a seed)."""

    def __init__(self, articles: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.articles = articles
        self.sources = 300
        self.feeds = 500
        self.duplicates = articles // 10
        self.quarantined = articles // 20
        self.documents = articles + self.duplicates + self.quarantined
        self.runs = max(1, self.documents // 100)
        self.span = timedelta(days=365)
        # Events of power-law sizes over the articles in publication order.
        sizes: list[int] = []
        left = articles
        while left > 0:
            size = min(left, max(1, int(self.rng.paretovariate(1.2))))
            if self.rng.random() < 0.00005:
                size = min(left, 3000)  # a few very large events
            sizes.append(size)
            left -= size
        self.event_sizes = sizes

    def run_of_document(self, doc_id: int) -> int:
        return (doc_id - 1) * self.runs // self.documents + 1

    def run_time(self, run_id: int) -> datetime:
        return START + self.span * (run_id / self.runs)

    def published(self, article_id: int) -> datetime | None:
        if self.rng.random() < 0.02:
            return None
        base = START + self.span * (article_id / self.articles)
        return base - timedelta(minutes=self.rng.randint(0, 600))


def _copy(
    conn: db.AnyConn, table: str, columns: Sequence[str], rows: Iterator[Sequence[Any]]
) -> int:
    started = time.monotonic()
    count = db.copy_rows(conn, table, columns, rows)
    print(f"  {table}: {count:,} rows in {time.monotonic() - started:.0f}s", flush=True)
    return count


def generate(url: str, articles: int) -> None:
    params = conninfo_to_dict(url)
    name = str(params.get("dbname"))
    admin = make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        db.create_database(conn, name)
    migrate.migrate(url)
    plan = Plan(articles)
    rng = plan.rng
    print(f"generating {articles:,} articles into {name} ...", flush=True)
    with db.connect(url) as conn:
        db.execute(conn, "web/generate_begin")
        _copy(conn, "sources", ("id", "name", "homepage"),
              ((i, f"Source {i:03d}", f"https://source-{i}.example.com/") for i in range(1, plan.sources + 1)))  # fmt: skip
        _copy(conn, "feeds", _FEED_COLUMNS, _feeds(plan))
        _copy(conn, "ingest_runs", _RUN_COLUMNS, _runs(plan))
        _copy(conn, "raw_documents", _DOC_COLUMNS, _documents(plan))
        _copy(conn, "articles", _ARTICLE_COLUMNS, _articles(plan))
        _copy(conn, "article_versions", _VERSION_COLUMNS, _versions(plan))
        _copy(conn, "article_duplicates", _DUP_COLUMNS, _duplicates(plan))
        _copy(conn, "quarantine", _QUARANTINE_COLUMNS, _quarantine(plan))
        _copy(conn, "document_outcomes", _OUTCOME_COLUMNS, _outcomes(plan))
        events_rows, members = _events(plan)
        _copy(conn, "events", _EVENT_COLUMNS, iter(events_rows))
        _copy(conn, "event_articles", _MEMBER_COLUMNS, iter(members))
        _copy(conn, "feed_polls", ("feed_id", "run_id", "polled_at", "outcome", "http_status", "error"),
              ((rng.randint(1, plan.feeds), None, datetime.now(UTC) - timedelta(minutes=15 * i),
                "ok" if i % 7 else "error", 200 if i % 7 else 503, None if i % 7 else "HTTP 503")
               for i in range(20_000)))  # fmt: skip
        db.fetch_all(conn, "web/generate_finish")
        conn.commit()
    with db.connect(url, autocommit=True) as conn:
        started = time.monotonic()
        db.execute(conn, "web/generate_analyze")
        print(f"  analyze: {time.monotonic() - started:.0f}s")


def _article_id_of_document(plan: Plan, doc_id: int) -> int | None:
    return doc_id if doc_id <= plan.articles else None


_FEED_COLUMNS = ("id", "url", "name", "source_id", "enabled", "last_polled_at", "last_success_at",
                 "next_poll_at", "poll_interval_seconds", "last_status", "last_http_status",
                 "last_error", "failure_score", "consecutive_failures", "paused_at", "paused_reason",
                 "entries_seen_total", "entries_new_last")  # fmt: skip


def _feeds(plan: Plan) -> Iterator[tuple[Any, ...]]:
    now = datetime.now(UTC)
    for i in range(1, plan.feeds + 1):
        bad = i % 25 == 0
        paused = i % 50 == 0
        yield (i, f"https://source-{i % plan.sources + 1}.example.com/feed-{i}.xml",
               f"Feed {i:03d} <{_words(plan.rng, 2)}>", i % plan.sources + 1, i % 97 != 0,
               now - timedelta(minutes=5), now - timedelta(hours=30 if bad else 0, minutes=5),
               now + timedelta(minutes=10), 86400 if paused else 900,
               "error" if bad else "ok", 410 if bad else 200,
               "HTTP 410 Gone" if bad else None, 5.0 if bad else 0.0, 6 if bad else 0,
               now - timedelta(hours=2) if paused else None,
               "6 hard failures in a row (HTTP 410)" if paused else None, 1000 + i, i % 5)  # fmt: skip


_RUN_COLUMNS = ("id", "dag_id", "run_id", "logical_date", "interval_start", "interval_end",
                "started_at", "finished_at", "status", "documents_seen", "documents_new",
                "articles_stored", "duplicates", "quarantined", "validation")  # fmt: skip


def _runs(plan: Plan) -> Iterator[tuple[Any, ...]]:
    for i in range(1, plan.runs + 1):
        at = plan.run_time(i)
        dag = "news_feeds" if i % 3 else "news_files"
        failing = i % 4 == 0
        expectations = [
            {"expectation": e, "column": c, "success": not (failing and k < 2),
             "unexpected_count": 3 if failing and k < 2 else 0}
            for k, (e, c) in enumerate(EXPECTATIONS)
        ]  # fmt: skip
        validation = {"success": not failing, "evaluated": 95, "failed_rows": 5 if failing else 0,
                      "suite": "newsflow_articles", "great_expectations": "1.x",
                      "expectations": expectations}  # fmt: skip
        yield (i, dag, f"scheduled__{at.isoformat()}", at, at - timedelta(minutes=15), at, at,
               at + timedelta(seconds=40), "success", 100, 100, 85, 10, 5, json.dumps(validation))  # fmt: skip


_DOC_COLUMNS = ("id", "content_hash", "origin", "locator", "url", "feed_id", "media_type",
                "charset", "http_status", "size_bytes", "body_stored", "partition_date",
                "first_run_id", "fetched_at")  # fmt: skip


def _documents(plan: Plan) -> Iterator[tuple[Any, ...]]:
    for i in range(1, plan.documents + 1):
        run = plan.run_of_document(i)
        at = plan.run_time(run)
        feed = i % plan.feeds + 1
        url = f"https://source-{feed % plan.sources + 1}.example.com/news/{i}"
        yield (i, f"{i:064x}", "page", url, url, feed, "text/html", "utf-8", 200,
               3000 + i % 5000, False, at.date(), run, at)  # fmt: skip


_ARTICLE_COLUMNS = ("id", "raw_document_id", "source_id", "url", "canonical_url", "title",
                    "byline", "published_at", "published_at_source", "language", "text",
                    "word_count", "content_hash", "extractor_version", "version",
                    "first_seen_at", "updated_at", "first_run_id")  # fmt: skip


def _articles(plan: Plan) -> Iterator[tuple[Any, ...]]:
    rng = plan.rng
    sentences = [f"The {_words(rng, rng.randint(8, 16))}." for _ in range(2000)]
    for i in range(1, plan.articles + 1):
        run = plan.run_of_document(i)
        at = plan.run_time(run)
        source = i % plan.sources + 1
        url = f"https://source-{source}.example.com/news/{i}"
        text = "\n\n".join(" ".join(rng.choices(sentences, k=4)) for _ in range(3))
        published = plan.published(i)
        yield (i, i, source, url, url, f"{_words(rng, 3).title()} {_words(rng, 4)} ({i})",
               f"By {rng.choice(WORDS).title()} {rng.choice(WORDS).title()}", published,
               "json-ld" if published and i % 3 else ("feed-entry" if published else None),
               "en", text, len(text.split()), f"a{i:063x}", "2026.11.1",
               2 if i % 20 == 0 else 1, at, at, run)  # fmt: skip


_VERSION_COLUMNS = ("article_id", "version", "raw_document_id", "title", "text", "content_hash",
                    "extractor_version", "superseded_at")  # fmt: skip


def _versions(plan: Plan) -> Iterator[tuple[Any, ...]]:
    for i in range(20, plan.articles + 1, 20):
        yield (i, 1, i, f"Earlier title {i}", "Earlier text. " * 40, f"v{i:063x}", "2026.10.0",
               plan.run_time(plan.run_of_document(i)))  # fmt: skip


_DUP_COLUMNS = ("id", "raw_document_id", "url", "canonical_url", "title", "content_hash",
                "published_at", "duplicate_of", "method", "score", "threshold", "run_id",
                "detected_at")  # fmt: skip


def _duplicates(plan: Plan) -> Iterator[tuple[Any, ...]]:
    rng = plan.rng
    methods = ("near-dup", "content-hash", "url", "title")
    popular = [rng.randint(1, plan.articles) for _ in range(50)]
    for k in range(1, plan.duplicates + 1):
        doc = plan.articles + k
        run = plan.run_of_document(doc)
        # A few stories are copied hundreds of times; most copies point near their own time.
        near = k * plan.articles // plan.duplicates - rng.randint(0, 50)
        of = rng.choice(popular) if k % 10 == 0 else max(1, min(plan.articles, near))
        method = methods[k % 4]
        yield (k, doc, f"https://copy-{k}.example.org/x", f"https://copy-{k}.example.org/x",
               f"Copy of story {of}", f"d{k:063x}", plan.run_time(run), of, method,
               0.93 if method == "near-dup" else 1.0, 0.8 if method == "near-dup" else 1.0, run,
               plan.run_time(run))  # fmt: skip


_QUARANTINE_COLUMNS = ("id", "raw_document_id", "stage", "reasons", "record", "run_id",
                       "created_at")  # fmt: skip


def _quarantine(plan: Plan) -> Iterator[tuple[Any, ...]]:
    rng = plan.rng
    for k in range(1, plan.quarantined + 1):
        doc = plan.articles + plan.duplicates + k
        run = plan.run_of_document(doc)
        reasons = [r.format(n=rng.randint(1, 150), d=rng.randint(1, 9))
                   for r in rng.sample(REASONS[:5], rng.randint(1, 2))]  # fmt: skip
        stage = "validate" if k % 5 else "decode"
        if stage == "decode":
            reasons = [REASONS[5]]
        record = {"title": f"Rejected <{_words(rng, 2)}>", "text": _words(rng, 12), "url": None}
        yield (k, doc, stage, json.dumps(reasons), json.dumps(record), run, plan.run_time(run))


_OUTCOME_COLUMNS = ("run_id", "raw_document_id", "state", "article_id", "detail")


def _outcomes(plan: Plan) -> Iterator[tuple[Any, ...]]:
    for doc in range(1, plan.documents + 1):
        run = plan.run_of_document(doc)
        if doc <= plan.articles:
            yield (run, doc, "stored", doc, None)
        elif doc <= plan.articles + plan.duplicates:
            yield (run, doc, "duplicate", None, "copy")
        else:
            yield (run, doc, "quarantined", None, "rejected")


_EVENT_COLUMNS = ("id", "title", "first_published_at", "last_published_at", "article_count",
                  "source_count", "keywords", "places", "retired_at")  # fmt: skip
_MEMBER_COLUMNS = ("article_id", "event_id", "similarity", "source", "published_at")


def _events(plan: Plan) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = plan.rng
    events: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []
    article = 1
    for event_id, size in enumerate(plan.event_sizes, start=1):
        # Large events gather articles from all over the year, small ones are consecutive.
        ids = range(article, article + size)
        article += size
        times = [START + plan.span * (i / plan.articles) for i in ids]
        sources = {i % plan.sources + 1 for i in ids}
        for i, at in zip(ids, times, strict=True):
            members.append(
                (
                    i,
                    event_id,
                    round(rng.uniform(0.3, 1.0), 3),
                    f"Source {i % plan.sources + 1:03d}",
                    at,
                )
            )  # noqa: E501
        retired = rng.random() < 0.03 and size == 1
        events.append((event_id, f"{_words(rng, 5).title()} ({event_id})", min(times),
                       max(times), 0 if retired else size, 0 if retired else len(sources),
                       json.dumps(rng.sample(WORDS, 5)), json.dumps(rng.sample(PLACES, 2)),
                       START if retired else None))  # fmt: skip
    return events, members


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(url: str, samples: int, seed: int = 11) -> list[tuple[str, float, float, float]]:
    from fastapi.testclient import TestClient

    from newsflow.web import pages
    from newsflow.web.app import create_app
    from newsflow.web.database import NewsDatabase

    rng = random.Random(seed)
    database = NewsDatabase(lambda: (url, "bench"))
    app = create_app(database, authenticate=False)
    with database.connection() as conn:
        bounds = dict(db.fetch_one(conn, "web/bench_bounds") or {})
    print(f"database: {bounds['article_count']:,} articles, {bounds['events']:,} events, "
          f"{bounds['quarantine']:,} quarantined, {bounds['runs']:,} runs; {samples} requests per page")  # fmt: skip

    print(f"worst cases: event {bounds['largest_event']} ({bounds['largest_event_size']:,} "
          f"articles), article {bounds['most_copied']} ({bounds['most_copies']:,} copies)")  # fmt: skip

    def event_cursor(event_id: int | None = None) -> str:
        with database.connection() as conn:
            row = db.fetch_one(
                conn,
                "web/event",
                {"event_id": event_id or rng.randint(1, bounds["events"]), "source_sample": 1},
            )
        assert row is not None
        # Just above the event: the page starts with it.
        return pages.encode_cursor(pages._time_key(row["last_published_at"]), row["id"] + 1)

    def deep(kind: str) -> Callable[[], str]:
        return lambda: pages.encode_cursor(rng.randint(1, bounds[kind]))

    largest = int(bounds["largest_event"])
    cases: list[tuple[str, Callable[[], str]]] = [
        ("events, first page", lambda: "/events"),
        ("events, deep page", lambda: f"/events?after={event_cursor()}"),
        ("events page, largest event", lambda: f"/events?after={event_cursor(largest)}"),
        ("event page", lambda: f"/events/{rng.randint(1, bounds['events'])}"),
        ("event page, largest event", lambda: f"/events/{largest}"),
        ("articles, first page", lambda: "/articles"),
        ("articles, deep page", lambda: f"/articles?after={deep('articles')()}"),
        ("article page", lambda: f"/articles/{rng.randint(1, bounds['articles'])}"),
        ("article page, most copies", lambda: f"/articles/{bounds['most_copied']}"),
        ("quarantine, first page", lambda: "/quarantine"),
        ("quarantine, deep page", lambda: f"/quarantine?after={deep('quarantine')()}"),
        ("quarantine of one run", lambda: f"/quarantine?run={rng.randint(1, bounds['runs'])}"),
        ("feeds, first page", lambda: "/feeds"),
        ("runs, first page", lambda: "/runs"),
        ("runs, deep page", lambda: f"/runs?after={deep('runs')()}"),
        ("run page", lambda: f"/runs/{rng.randint(1, bounds['runs'])}"),
    ]
    results = []
    with TestClient(app) as client:
        for label, make_path in cases:
            client.get(make_path())  # warm the pool and the plan cache
            timings = []
            for _ in range(samples):
                path = make_path()
                started = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code not in (200, 404):
                    raise RuntimeError(f"{path}: HTTP {response.status_code}")
            row = (label, statistics.median(timings), _percentile(timings, 0.95), max(timings))
            results.append(row)
            print(
                f"  {label:<26} p50 {row[1]:7.1f} ms   p95 {row[2]:7.1f} ms   max {row[3]:7.1f} ms",
                flush=True,
            )  # noqa: E501
    database.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsflow_tools.news_view_bench")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="create and fill a large news database")
    gen.add_argument("--url", required=True)
    gen.add_argument("--articles", type=int, default=1_000_000)
    meas = sub.add_parser("measure", help="p50/p95 of every News page")
    meas.add_argument("--url", required=True)
    meas.add_argument("--samples", type=int, default=200)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.url, args.articles)
    else:
        measure(args.url, args.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
