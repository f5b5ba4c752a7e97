"""Section 4, **events** (``make bench`` section ``events``): event clustering throughput through Postgres
(``jobs.cluster_pending``, what the ``news_events`` DAG runs) with a history of articles
already clustered, at two history sizes, as articles/s and their ratio.

Synthetic news: stories (events) with their own people, place, figures, date and vocabulary,
reported by several articles each, with filler prose around them; look-alike stories share a
topic vocabulary. The history is stored as already clustered (one event per story, states built by the
clusterer's own accumulation step) and written with COPY, then the measured articles go through ``cluster_pending``
as new arrivals, dated after the history.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from newsflow_tools.bench.config import Config, say
from newsflow_tools.bench.env import BenchEnv
from newsflow_tools.bench.text import NOUNS, paragraphs, pick, proper_name

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_ACTIONS = [
    "earthquake",
    "fire",
    "flood",
    "strike",
    "election",
    "merger",
    "arrest",
    "trial",
    "verdict",
    "rescue",
    "crash",
    "protest",
    "summit",
    "recall",
    "outbreak",
    "storm",
    "heist",
    "resignation",
    "launch",
    "ceasefire",
]


@dataclass(frozen=True)
class Article:
    n: int
    title: str
    text: str
    published_at: datetime
    source: str
    story: int


def _places() -> list[str]:
    from newsflow.events.gazetteer import gazetteer

    return sorted({v for v in gazetteer().values() if " " not in v and len(v) > 4})[:3000]


def story_articles(
    first: int, count: int, seed: int, start: datetime, days: float
) -> list[Article]:
    """``count`` articles from stories of 2-12 articles, published over ``days`` from
    ``start`` in publication order; ``first`` numbers them."""
    rng = random.Random(seed)
    places = _places()
    out: list[Article] = []
    story = 0
    while len(out) < count:
        story += 1
        action = pick(rng, _ACTIONS)
        person = f"{proper_name(rng)} {proper_name(rng)}"
        org = f"{proper_name(rng)} {pick(rng, ['Group', 'Council', 'Institute', 'Union'])}"
        place = pick(rng, places)
        figure = f"{2 + int(rng.random() * 900)} {pick(rng, NOUNS)}s"
        when = start + timedelta(days=rng.random() * days)
        date = f"{when.strftime('%B')} {when.day}"
        words = [pick(rng, NOUNS) for _ in range(6)]
        for _ in range(min(2 + int(rng.random() * 11), count - len(out))):
            facts = [
                f"The {action} in {place} involved {figure}, {person} said on {date}.",
                f"{person} of the {org} described the {action} and the {words[0]} "
                f"{words[1]} near {place}.",
                f"Officials counted {figure} after the {action}; the {words[2]} and the "
                f"{words[3]} were affected.",
            ]
            rng.shuffle(facts)
            filler = paragraphs(rng, 100)
            text = "\n\n".join([" ".join(facts), *filler, f"The {words[4]} {words[5]} stayed."])
            published = when + timedelta(hours=rng.random() * 48)
            title = f"{action.capitalize()} in {place}: {person} on {words[0]} {words[1]}"
            source = f"Source {int(rng.random() * 40)}"
            out.append(Article(0, title, text, published, source, seed * 1_000_000 + story))
    out.sort(key=lambda a: a.published_at)
    return [
        Article(first + i, a.title, a.text, a.published_at, a.source, a.story)
        for i, a in enumerate(out)
    ]


def _featurize(batch: list[Article]) -> list[tuple[int, dict[str, Any], str, datetime]]:
    from newsflow import events

    return [
        (a.n, events.featurize(a.title, a.text, a.published_at).to_json(), a.source, a.published_at)
        for a in batch
    ]


def _chunks(items: list[Article], size: int) -> Iterable[list[Article]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load_history(conn: Any, raw_id: int, articles: list[Article], pool: Any) -> float:
    """Store ``articles`` as already clustered, one event per story: articles rows,
    memberships with features, event states, index keys and document frequencies as the
    clusterer builds them (written by COPY). Returns seconds."""
    from newsflow import db, events

    t0 = time.perf_counter()
    feats = [f for chunk in pool.imap(_featurize, _chunks(articles, 200)) for f in chunk]
    by_id = {a.n: a for a in articles}
    docfreq = events.load_docfreq(conn)
    clusterer = events.EventClusterer(events.InMemoryEventStore(), docfreq=docfreq)
    max_event = db.fetch_value(conn, "bench/max_event_id")
    story_event: dict[int, int] = {}
    members: dict[int, list[events.Member]] = {}
    keys: dict[int, set[str]] = {}
    for n, f, source, _ in feats:
        features = events.ArticleFeatures.from_json(f)
        docfreq.update(features.keys())
        eid = story_event.setdefault(by_id[n].story, int(max_event) + 1 + len(story_event))
        members.setdefault(eid, []).append(events.Member(n, features, source))
        keys.setdefault(eid, set()).update(clusterer.index_keys(features))
    live = {eid: clusterer.build_state(eid, ms) for eid, ms in members.items()}
    event_of = {m.article_id: eid for eid, ms in members.items() for m in ms}
    cur = conn.cursor()
    with conn.transaction():
        with cur.copy(db.sql("bench/copy_plain_articles")) as cp:
            for a in articles:
                cp.write_row((a.n, raw_id, a.n, a.title, a.text, a.text.count(" ") + 1,
                              f"bench-events-{a.n}", "bench", a.published_at, "bench"))  # fmt: skip
        with cur.copy(db.sql("bench/copy_events")) as cp:
            for eid, st in live.items():
                cp.write_row((eid, st.members[0]["title"], st.first_time, st.last_time,
                              st.article_count, len(st.sources), json.dumps(st.to_json()), None,
                              None))  # fmt: skip
        with cur.copy(db.sql("bench/copy_event_articles")) as cp:
            for n, f, source, published in feats:
                cp.write_row((n, event_of[n], 1.0, json.dumps(f), source, published))
        with cur.copy(db.sql("bench/copy_event_keys")) as cp:
            for eid, event_keys in keys.items():
                for key in sorted(event_keys):
                    cp.write_row((key, eid))
        events.save_docfreq(conn, docfreq)
        # written with the current features: nothing for the clustering job to upgrade first
        db.execute(conn, "events/set_features_version", {"version": events.FEATURES_VERSION})
        # the articles trigger queued them for clustering: they are clustered already
        db.execute(conn, "bench/unqueue_articles", {"ids": [a.n for a in articles]})
        db.execute(conn, "bench/sync_articles_id_seq")
        db.execute(conn, "bench/sync_events_id_seq")
    conn.commit()
    # what autovacuum does to a table that grew this much (VACUUM cannot run in a transaction):
    # planner statistics, and a visibility map so index-only scans of event_keys stay index-only
    conn.autocommit = True
    try:
        db.execute(conn, "bench/analyze_event_history")
    finally:
        conn.autocommit = False
    return time.perf_counter() - t0


def insert_new(conn: Any, raw_id: int, articles: list[Article]) -> None:
    """The measured arrivals: plain article rows, not yet in any event."""
    from newsflow import db

    with conn.transaction(), conn.cursor().copy(db.sql("bench/copy_plain_articles")) as cp:
        for a in articles:
            cp.write_row((a.n, raw_id, a.n, a.title, a.text, a.text.count(" ") + 1,
                          f"bench-events-{a.n}", "bench", a.published_at, "bench"))  # fmt: skip
    db.execute(conn, "bench/sync_articles_id_seq")
    conn.commit()


def run(
    new_database: Callable[[str], str],
    say: Callable[[str], None],
    sizes: tuple[int, ...],
    measured: int,
) -> None:
    from newsflow import db, jobs

    say(
        f"[events] event clustering through Postgres (jobs.cluster_pending) with "
        f"{' / '.join(f'{s:,}' for s in sizes)} articles already clustered; {measured:,} new "
        "articles each time (synthetic stories of 2-12 articles)"
    )
    url = new_database("events")
    history_days = 180.0
    rates: list[float] = []
    with db.connect(url) as conn, multiprocessing.get_context("spawn").Pool(2) as pool:
        row = db.fetch_one(
            conn, "bench/raw_document", {"content_hash": "bench-events", "locator": "bench/events"}
        )
        assert row is not None
        raw_id = int(row["id"])
        conn.commit()
        loaded, next_n, seed = 0, 1, 100
        start = T0
        for size in sizes:
            history = story_articles(
                next_n, size - loaded, seed, start, history_days * (size - loaded) / sizes[-1]
            )
            start = max(a.published_at for a in history) + timedelta(hours=1)
            next_n += len(history)
            seconds = load_history(conn, raw_id, history, pool)
            loaded = size
            new = story_articles(next_n, measured, seed + 1, start, 2.0)
            next_n += len(new)
            start = max(a.published_at for a in new) + timedelta(hours=1)
            seed += 2
            insert_new(conn, raw_id, new)
            t0 = time.perf_counter()
            counts = jobs.cluster_pending(conn)
            dt = time.perf_counter() - t0
            rates.append(counts["articles"] / dt)
            say(
                f"    {size:>7,} clustered before: {counts['articles']:,} new articles in {dt:.2f} s "
                f"= {rates[-1]:,.0f} articles/s ({dt / max(counts['articles'], 1) * 1000:.2f} ms "
                f"each; {counts['events_created']} events created, {counts['articles_moved']} "
                f"moves; history loaded in {seconds:.1f} s)"
            )
    if len(rates) > 1:
        say(
            f"    slowdown {sizes[0]:,} -> {sizes[-1]:,} clustered: {rates[0] / rates[-1]:.2f}x "
            "(rate at the smaller history / rate at the larger; target <= 1.2)"
        )


def section_events(env: BenchEnv, cfg: Config) -> None:
    """Event clustering throughput vs history size."""
    say()
    run(env.new_database, say, cfg.event_history, cfg.event_arrivals)
