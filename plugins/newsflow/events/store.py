"""Event clustering against Postgres: the :class:`~.state.EventStore` on the ``events`` /
``event_articles`` / ``event_keys`` tables, document frequencies in ``event_docfreq``, and the
batch job the ``news_events`` DAG runs.

Articles are clustered in publication order under an advisory lock. An arrival may move
recent members of nearby events (see :class:`~.clusterer.EventClusterer`); event ids are
kept by the larger part, an emptied event keeps its row with ``merged_into``. Re-running over
the same articles changes nothing: only articles without an event are clustered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from newsflow import db
from newsflow.db import Conn

from .clusterer import ClusterParams, EventClusterer
from .describe import event_keywords, event_places, event_summary, representative_headline
from .docfreq import DocFreq
from .features import ArticleFeatures, featurize
from .state import EventState, Member, Placement

log = logging.getLogger(__name__)
EVENTS_LOCK_KEY = 0x6E657776


def lock(conn: Conn) -> None:
    """Serialise event assignment for the rest of the caller's transaction."""
    db.execute(conn, "events/lock", {"key": EVENTS_LOCK_KEY})


class PostgresEventStore:
    def __init__(self, conn: Conn, docfreq: DocFreq) -> None:
        self.conn = conn
        self.docfreq = docfreq
        self.cache: dict[int, EventState] = {}

    def candidates(
        self, keys: list[str], since: datetime | None = None, limit: int = 50
    ) -> dict[int, int]:
        if not keys:
            return {}
        rows = db.fetch_all(
            self.conn, "events/candidates", {"keys": list(keys), "since": since, "limit": limit}
        )
        return {int(r["event_id"]): int(r["hits"]) for r in rows}

    def load(self, event_ids: Iterable[int]) -> dict[int, EventState]:
        ids = list(event_ids)
        missing = [i for i in ids if i not in self.cache]
        if missing:
            for row in db.fetch_all(self.conn, "events/load_states", {"ids": missing}):
                self.cache[int(row["id"])] = EventState.from_json(row["state"])
        return {i: self.cache[i] for i in ids if i in self.cache}

    def new_event_id(self) -> int:
        return int(db.fetch_value(self.conn, "events/new_event"))

    def save(self, state: EventState) -> None:
        self.cache[state.event_id] = state
        headline = representative_headline(state, self.docfreq)
        db.execute(
            self.conn,
            "events/save_event",
            {
                "id": state.event_id,
                "state": json.dumps(state.to_json()),
                "title": headline or "(untitled)",
                "summary": event_summary(state, self.docfreq, headline),
                "first": state.first_time,
                "last": state.last_time,
                "article_count": state.article_count,
                "source_count": len(state.sources),
                "keywords": json.dumps(event_keywords(state, self.docfreq)),
                "places": json.dumps(event_places(state)),
            },
        )

    def add_keys(self, event_id: int, keys: Iterable[str]) -> None:
        keys = sorted(set(keys))
        if keys:
            db.execute(self.conn, "events/add_keys", {"event_id": event_id, "keys": keys})

    def members(
        self, event_ids: Iterable[int], limit: int | None = None
    ) -> dict[int, list[Member]]:
        ids = sorted(set(event_ids))
        out: dict[int, list[Member]] = {i: [] for i in ids}
        if not ids:
            return out
        for r in db.fetch_all(self.conn, "events/members", {"ids": ids, "limit": limit}):
            if r["features"] is not None:
                features = ArticleFeatures.from_json(r["features"])
            else:  # a membership from before features were kept (migration 0005)
                features = featurize(r["title"], r["text"], r["published_at"])
            out[int(r["event_id"])].append(Member(int(r["article_id"]), features, r["source"]))
        return out

    def set_member(self, member: Member, event_id: int, placement: Placement) -> None:
        db.execute(
            self.conn,
            "events/set_event_member",
            {
                "article_id": member.article_id,
                "event_id": event_id,
                "similarity": placement.similarity,
                "features": json.dumps(member.features.to_json()),
                "source": member.source,
                "published_at": member.features.published_at,
                "evidence": json.dumps(placement.evidence),
            },
        )
        record_moves(
            self.conn,
            [(member.article_id, placement.from_event, event_id, placement.similarity,
              placement.reason)],
        )  # fmt: skip

    def retire(self, event_id: int, merged_into: int | None) -> None:
        self.cache.pop(event_id, None)
        db.execute(self.conn, "events/retire_event", {"id": event_id, "merged_into": merged_into})
        db.execute(self.conn, "events/drop_event_keys", {"id": event_id})


def record_moves(
    conn: Conn, moves: list[tuple[int, int | None, int | None, float | None, str]]
) -> None:
    """Append ``(article, from_event, to_event, similarity, reason)`` rows to the membership
    history (``news.event_moves``)."""
    if moves:
        article_ids, from_events, to_events, sims, reasons = map(list, zip(*moves, strict=True))
        db.execute(
            conn,
            "events/record_moves",
            {
                "article_ids": article_ids,
                "from_events": from_events,
                "to_events": to_events,
                "similarities": sims,
                "reasons": reasons,
            },
        )


def load_docfreq(conn: Conn) -> DocFreq:
    rows = db.fetch_all(conn, "events/docfreq")
    n_docs = db.fetch_value(conn, "events/corpus_size")
    docfreq = DocFreq({r["key"]: int(r["df"]) for r in rows}, int(n_docs or 0))
    docfreq.clear_dirty()
    return docfreq


def save_docfreq(conn: Conn, docfreq: DocFreq) -> None:
    dirty = sorted(docfreq.dirty)
    if dirty:
        db.execute(conn, "events/save_docfreq", {"keys": dirty, "dfs": [docfreq[k] for k in dirty]})
    db.execute(conn, "events/save_corpus_size", {"n_docs": docfreq.n_docs})
    docfreq.clear_dirty()


def forget(docfreq: DocFreq, keys: Iterable[str]) -> None:
    """Undo ``DocFreq.update`` for one document (its article left the clustered corpus)."""
    docfreq.n_docs = max(0, docfreq.n_docs - 1)
    for key in set(keys):
        if docfreq.df.get(key, 0) > 0:
            docfreq.df[key] -= 1
            docfreq.dirty.add(key)


def rebuild_event(conn: Conn, event_id: int, docfreq: DocFreq) -> bool:
    """Recompute an event's state from its remaining members (in publication order), keeping
    its id; an event left without members (all its articles were re-extracted and wait to be
    clustered again) is deleted. Returns whether the event still exists."""
    store = PostgresEventStore(conn, docfreq)
    clusterer = EventClusterer(store, docfreq=docfreq)
    members = store.members([event_id])[event_id]
    if not members:
        db.execute(conn, "events/unlink_merged_into", {"id": event_id})
        db.execute(conn, "events/delete_event", {"id": event_id})
        return False
    # The clusterer's own accumulation step, so a rebuilt event equals one built online.
    store.save(clusterer.build_state(event_id, members))
    return True


def cluster_pending(
    conn: Conn, *, batch_size: int = 500, params: ClusterParams | None = None
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
            lock(conn)
            rows = db.fetch_all(conn, "events/unclustered_articles", {"limit": batch_size})
            if not rows:
                break
            docfreq = load_docfreq(conn)
            store = PostgresEventStore(conn, docfreq)
            clusterer = EventClusterer(store, params=params, docfreq=docfreq)
            for row in rows:
                features = featurize(
                    row["title"],
                    row["text"],
                    row["published_at"],
                    title_derived=bool(row["title_derived"]),
                )
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
