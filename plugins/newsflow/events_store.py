"""Event clustering against Postgres: the ``EventStore`` of :mod:`newsflow.events` on the
``events`` / ``event_keys`` tables, document frequencies in ``event_docfreq``, and the batch
job the ``news_events`` DAG runs.

Articles are clustered once, in publication order, under an advisory lock; an article's event
never changes afterwards, so event ids stay stable when an interval is re-run or backfilled, and
re-running over the same articles changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from newsflow import db, events
from newsflow.db import Conn

log = logging.getLogger(__name__)
EVENTS_LOCK_KEY = 0x6E657776


class PostgresEventStore:
    def __init__(self, conn: Conn, docfreq: events.DocFreq) -> None:
        self.conn = conn
        self.docfreq = docfreq
        self.cache: dict[int, events.EventState] = {}

    def candidates(
        self, keys: list[str], since: datetime | None = None, limit: int = 50
    ) -> dict[int, int]:
        if not keys:
            return {}
        rows = self.conn.execute(
            db.load_sql("queries/event_candidates.sql"),
            {"keys": list(keys), "since": since, "limit": limit},
        ).fetchall()
        return {int(r["event_id"]): int(r["hits"]) for r in rows}

    def load(self, event_ids: Iterable[int]) -> dict[int, events.EventState]:
        ids = list(event_ids)
        missing = [i for i in ids if i not in self.cache]
        if missing:
            for row in self.conn.execute(
                "SELECT id, state FROM news.events WHERE id = ANY(%s)", (missing,)
            ).fetchall():
                self.cache[int(row["id"])] = events.EventState.from_json(row["state"])
        return {i: self.cache[i] for i in ids if i in self.cache}

    def new_event_id(self) -> int:
        row = self.conn.execute(
            "INSERT INTO news.events (title) VALUES ('') RETURNING id"
        ).fetchone()
        assert row is not None
        return int(row["id"])

    def save(self, state: events.EventState) -> None:
        self.cache[state.event_id] = state
        self.conn.execute(
            db.load_sql("queries/save_event.sql"),
            {
                "id": state.event_id,
                "state": json.dumps(state.to_json()),
                "title": events.representative_headline(state, self.docfreq) or "(untitled)",
                "summary": events.event_summary(state, self.docfreq),
                "first": state.first_time,
                "last": state.last_time,
                "article_count": state.article_count,
                "source_count": len(state.sources),
                "keywords": json.dumps(events.event_keywords(state, self.docfreq)),
                "places": json.dumps(events.event_places(state)),
            },
        )

    def add_keys(self, event_id: int, keys: Iterable[str]) -> None:
        keys = sorted(set(keys))
        if keys:
            self.conn.execute(
                "INSERT INTO news.event_keys (key, event_id) SELECT k, %s FROM unnest(%s::text[]) k "
                "ON CONFLICT DO NOTHING",
                (event_id, keys),
            )


def load_docfreq(conn: Conn) -> events.DocFreq:
    rows = conn.execute("SELECT key, df FROM news.event_docfreq").fetchall()
    corpus = conn.execute("SELECT n_docs FROM news.event_corpus").fetchone()
    docfreq = events.DocFreq(
        {r["key"]: int(r["df"]) for r in rows}, int(corpus["n_docs"]) if corpus else 0
    )
    docfreq.clear_dirty()
    return docfreq


def save_docfreq(conn: Conn, docfreq: events.DocFreq) -> None:
    dirty = sorted(docfreq.dirty)
    if dirty:
        conn.execute(
            "INSERT INTO news.event_docfreq (key, df) SELECT * FROM unnest(%s::text[], %s::int[]) "
            "ON CONFLICT (key) DO UPDATE SET df = EXCLUDED.df",
            (dirty, [docfreq[k] for k in dirty]),
        )
    conn.execute("UPDATE news.event_corpus SET n_docs = %s", (docfreq.n_docs,))
    docfreq.clear_dirty()


def forget(docfreq: events.DocFreq, keys: Iterable[str]) -> None:
    """Undo ``DocFreq.update`` for one document (its article left the clustered corpus)."""
    docfreq.n_docs = max(0, docfreq.n_docs - 1)
    for key in set(keys):
        if docfreq.df.get(key, 0) > 0:
            docfreq.df[key] -= 1
            docfreq.dirty.add(key)


def rebuild_event(conn: Conn, event_id: int, docfreq: events.DocFreq) -> bool:
    """Recompute an event's state from its remaining members (in publication order), keeping
    its id; an event left without members is deleted. Returns whether the event still exists."""
    members = conn.execute(
        "SELECT a.id, a.title, a.text, coalesce(a.published_at, a.first_seen_at) AS published_at, "
        "s.name AS source FROM news.event_articles ea JOIN news.articles a ON a.id = ea.article_id "
        "LEFT JOIN news.sources s ON s.id = a.source_id WHERE ea.event_id = %s "
        "ORDER BY coalesce(a.published_at, a.first_seen_at), a.id",
        (event_id,),
    ).fetchall()
    if not members:
        conn.execute("DELETE FROM news.events WHERE id = %s", (event_id,))
        return False
    store = PostgresEventStore(conn, docfreq)
    clusterer = events.EventClusterer(store, docfreq=docfreq)
    state = events.EventState(event_id=event_id)
    for m in members:
        features = events.featurize(m["title"], m["text"], m["published_at"])
        # The clusterer's own accumulation step, so a rebuilt event equals one built online.
        clusterer._absorb(state, int(m["id"]), features, m["source"])
    store.save(state)
    return True


def cluster_pending(
    conn: Conn, *, batch_size: int = 500, params: events.ClusterParams | None = None
) -> dict[str, Any]:
    """Assign every article not yet in an event; one transaction per batch. Returns counts."""
    totals = {"articles": 0, "events_created": 0, "events_touched": 0}
    touched: set[int] = set()
    while True:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK_KEY,))
            rows = conn.execute(
                db.load_sql("queries/unclustered_articles.sql"), {"limit": batch_size}
            ).fetchall()
            if not rows:
                break
            docfreq = load_docfreq(conn)
            store = PostgresEventStore(conn, docfreq)
            clusterer = events.EventClusterer(store, params=params, docfreq=docfreq)
            memberships = []
            for row in rows:
                features = events.featurize(row["title"], row["text"], row["published_at"])
                assignment = clusterer.assign(int(row["id"]), features, source=row["source"])
                memberships.append((int(row["id"]), assignment.event_id, assignment.similarity))
                touched.add(assignment.event_id)
                totals["events_created"] += int(assignment.created)
            conn.execute(
                "INSERT INTO news.event_articles (article_id, event_id, similarity) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::real[]) "
                "ON CONFLICT (article_id) DO NOTHING",
                (
                    [m[0] for m in memberships],
                    [m[1] for m in memberships],
                    [m[2] for m in memberships],
                ),
            )
            save_docfreq(conn, docfreq)
            totals["articles"] += len(rows)
        if len(rows) < batch_size:
            break
    totals["events_touched"] = len(touched)
    return totals
