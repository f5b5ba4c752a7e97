"""Event clustering against Postgres: the ``EventStore`` of :mod:`newsflow.events` on the
``events`` / ``event_articles`` / ``event_keys`` tables, document frequencies in
``event_docfreq``, and the batch job the ``news_events`` DAG runs.

Articles are clustered in publication order under an advisory lock. An arrival may move
recent members of nearby events (see :class:`newsflow.events.EventClusterer`); event ids are
kept by the larger part, an emptied event keeps its row with ``merged_into``. Re-running over
the same articles changes nothing: only articles without an event are clustered.
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
            db.sql("events/candidates"),
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
            db.sql("events/save_event"),
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

    def members(
        self, event_ids: Iterable[int], limit: int | None = None
    ) -> dict[int, list[events.Member]]:
        ids = sorted(set(event_ids))
        out: dict[int, list[events.Member]] = {i: [] for i in ids}
        if not ids:
            return out
        rows = self.conn.execute(db.sql("events/members"), {"ids": ids, "limit": limit}).fetchall()
        for r in rows:
            if r["features"] is not None:
                features = events.ArticleFeatures.from_json(r["features"])
            else:  # a membership from before features were kept (migration 0005)
                features = events.featurize(r["title"], r["text"], r["published_at"])
            out[int(r["event_id"])].append(
                events.Member(int(r["article_id"]), features, r["source"])
            )
        return out

    def set_member(self, member: events.Member, event_id: int, similarity: float) -> None:
        self.conn.execute(
            db.sql("events/set_event_member"),
            {
                "article_id": member.article_id,
                "event_id": event_id,
                "similarity": similarity,
                "features": json.dumps(member.features.to_json()),
                "source": member.source,
                "published_at": member.features.published_at,
            },
        )

    def retire(self, event_id: int, merged_into: int | None) -> None:
        self.cache.pop(event_id, None)
        self.conn.execute(
            "UPDATE news.events SET merged_into = %s, retired_at = now(), article_count = 0, "
            "source_count = 0, state = NULL, updated_at = now() WHERE id = %s",
            (merged_into, event_id),
        )
        self.conn.execute("DELETE FROM news.event_keys WHERE event_id = %s", (event_id,))


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
    its id; an event left without members (all its articles were re-extracted and wait to be
    clustered again) is deleted. Returns whether the event still exists."""
    store = PostgresEventStore(conn, docfreq)
    clusterer = events.EventClusterer(store, docfreq=docfreq)
    members = store.members([event_id])[event_id]
    if not members:
        conn.execute(
            "UPDATE news.events SET merged_into = NULL WHERE merged_into = %s", (event_id,)
        )
        conn.execute("DELETE FROM news.events WHERE id = %s", (event_id,))
        return False
    # The clusterer's own accumulation step, so a rebuilt event equals one built online.
    store.save(clusterer.build_state(event_id, members))
    return True


def cluster_pending(
    conn: Conn, *, batch_size: int = 500, params: events.ClusterParams | None = None
) -> dict[str, Any]:
    """Assign every article not yet in an event; one transaction per batch. Returns counts."""
    totals = {
        "articles": 0,
        "events_created": 0,
        "events_touched": 0,
        "articles_moved": 0,
        "events_retired": 0,
    }
    touched: set[int] = set()
    while True:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK_KEY,))
            rows = conn.execute(
                db.sql("events/unclustered_articles"), {"limit": batch_size}
            ).fetchall()
            if not rows:
                break
            docfreq = load_docfreq(conn)
            store = PostgresEventStore(conn, docfreq)
            clusterer = events.EventClusterer(store, params=params, docfreq=docfreq)
            for row in rows:
                features = events.featurize(row["title"], row["text"], row["published_at"])
                assignment = clusterer.assign(int(row["id"]), features, source=row["source"])
                touched.add(assignment.event_id)
                touched.update(m.to_event for m in assignment.moves)
                totals["events_created"] += int(assignment.created)
                totals["articles_moved"] += len(assignment.moves)
                totals["events_retired"] += len(assignment.retired)
            save_docfreq(conn, docfreq)
            totals["articles"] += len(rows)
        if len(rows) < batch_size:
            break
    totals["events_touched"] = len(touched)
    return totals
