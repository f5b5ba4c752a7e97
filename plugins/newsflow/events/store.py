"""Event clustering against Postgres: the :class:`~.state.EventStore` on the ``events`` /
``event_articles`` / ``event_keys`` tables, document frequencies in ``event_docfreq``, and the
batch job the ``news_events`` DAG runs.

Articles are clustered in publication order under the ``events`` pipeline lock. An arrival may move
recent members of nearby events (see :class:`~.clusterer.EventClusterer`); event ids are
kept by the larger part, an emptied event keeps its row with ``merged_into``. Re-running over
the same articles changes nothing: only articles without an event are clustered.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from newsflow import db
from newsflow.db import Conn

from .clusterer import ClusterParams, EventClusterer
from .describe import event_keywords, event_places, event_summary, representative_headline
from .docfreq import DocFreq
from .features import FEATURES_VERSION, ArticleFeatures, featurize
from .state import EventState, Member, Placement, latest_first

log = logging.getLogger(__name__)


def lock(conn: Conn) -> None:
    """Serialise event assignment for the rest of the caller's transaction (the ``events``
    pipeline lock: a row lock the read-only role cannot take)."""
    db.lock(conn, "events")


class PostgresEventStore:
    """The event store on Postgres, with caches that live as long as the store: parsed event
    states, member features (they never change once stored) and the latest members of each
    event. Only valid while its user holds the events lock, or re-checks
    (:func:`cluster_pending` drops the caches when another writer ran between its batches).
    History rows (``event_moves``) and full event rows are written by :meth:`flush`."""

    def __init__(self, conn: Conn, docfreq: DocFreq) -> None:
        self.conn = conn
        self.docfreq = docfreq
        self.cache: dict[int, EventState] = {}
        self.member_objects: dict[int, Member] = {}  # article id -> member (features parsed)
        self.latest: dict[int, list[int]] = {}  # event id -> latest member ids (latest first)
        self.latest_limit: int | None = None  # how many ``latest`` lists hold (one limit)
        self.event_of: dict[int, int] = {}  # article id -> event, for articles in ``latest``
        self.pending_moves: list[tuple[int, int | None, int | None, float | None, str]] = []
        self.unsaved: dict[int, EventState] = {}  # states saved since the last flush
        self.window = WindowIndex()

    def clear(self) -> None:
        """Forget every cache (another writer changed events)."""
        self.cache.clear()
        self.member_objects.clear()
        self.latest.clear()
        self.event_of.clear()
        self.window.clear()

    def candidates(
        self, keys: list[str], since: datetime | None = None, limit: int = 50
    ) -> dict[int, int]:
        """From the window index (:class:`WindowIndex`) when it covers ``since``; keys it has
        not seen are read in one query. The same answer as ``events/candidates``."""
        if not keys:
            return {}
        window = self.window
        if since is None or (window.since is not None and since < window.since):
            rows = db.fetch_all(
                self.conn, "events/candidates", {"keys": list(keys), "since": since, "limit": limit}
            )  # undated, or older than the window: the query itself
            return {int(r["event_id"]): int(r["hits"]) for r in rows}
        self.prefetch_keys(keys, since)
        return window.candidates(keys, since, limit)

    def prefetch_keys(self, keys: Iterable[str], since: datetime) -> None:
        """Read the index entries of ``keys`` the window does not hold yet (live events last
        updated at or after the window's start; ``since`` starts the window)."""
        window = self.window
        if window.since is not None and since - window.since > WINDOW_SPAN:
            window.clear()  # a long backlog: start again here, older events are no candidates
        if window.since is None:
            window.since = since
        missing = sorted({k for k in keys if k not in window.postings})
        if missing:
            rows = db.fetch_all(
                self.conn, "events/index_entries", {"keys": missing, "since": window.since}
            )
            window.add_entries(missing, rows)

    def load(self, event_ids: Iterable[int]) -> dict[int, EventState]:
        ids = list(event_ids)
        missing = [i for i in ids if i not in self.cache]
        if missing:
            loaded = [
                EventState.from_json(row["state"])
                for row in db.fetch_all(self.conn, "events/load_states", {"ids": missing})
            ]
            for state in loaded:
                self.cache[state.event_id] = state
            # their centroids are weighed next: one read of the frequencies, not one per miss
            self.docfreq.prefetch(key for state in loaded for key in state.keys())  # noqa: SIM118
        return {i: self.cache[i] for i in ids if i in self.cache}

    def new_event_id(self) -> int:
        event_id = int(db.fetch_value(self.conn, "events/new_event"))
        self.window.live(event_id)
        return event_id

    def save(self, state: EventState) -> None:
        """What candidate lookups need (times, size) is written at once; the state, headline,
        summary and keywords when the batch ends (:meth:`flush`), once per event."""
        self.cache[state.event_id] = state
        self.unsaved[state.event_id] = state
        self.window.touch(state.event_id, state.last_time)
        db.execute(
            self.conn,
            "events/touch_event",
            {
                "id": state.event_id,
                "first": state.first_time,
                "last": state.last_time,
                "article_count": state.article_count,
            },
        )

    def _write(self, state: EventState) -> None:
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
            self.window.add_keys(event_id, keys)

    def members(
        self, event_ids: Iterable[int], limit: int | None = None
    ) -> dict[int, list[Member]]:
        ids = sorted(set(event_ids))
        cacheable = limit is not None and self.latest_limit in (None, limit)
        if cacheable:
            self.latest_limit = limit
        wanted = [i for i in ids if not (cacheable and i in self.latest)]
        if wanted:
            order: dict[int, list[int]] = {i: [] for i in wanted}
            for r in db.fetch_all(self.conn, "events/member_ids", {"ids": wanted, "limit": limit}):
                order[int(r["event_id"])].append(int(r["article_id"]))
            self._load_members([a for aids in order.values() for a in aids])
            if not cacheable:
                return {i: [self.member_objects[a] for a in order[i]] for i in ids}
            for eid, aids in order.items():
                self.latest[eid] = aids
                for a in aids:
                    self.event_of[a] = eid
        return {i: [self.member_objects[a] for a in self.latest[i]] for i in ids}

    def _load_members(self, article_ids: list[int]) -> None:
        missing = [a for a in article_ids if a not in self.member_objects]
        if not missing:
            return
        for r in db.fetch_all(self.conn, "events/member_features", {"ids": missing}):
            if r["features"] is not None:
                features = ArticleFeatures.from_json(r["features"])
            else:  # a membership from before features were kept (migration 0005)
                features = featurize(r["title"], r["text"], r["published_at"])
            aid = int(r["article_id"])
            self.member_objects[aid] = Member(aid, features, r["source"])
        self.docfreq.prefetch(
            key for a in missing if a in self.member_objects
            for key in self.member_objects[a].features.keys()  # noqa: SIM118 (not a dict)
        )  # fmt: skip

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
        self.pending_moves.append(
            (member.article_id, placement.from_event, event_id, placement.similarity,
             placement.reason)
        )  # fmt: skip
        aid = member.article_id
        self.member_objects[aid] = member
        old = self.event_of.pop(aid, None)
        if old is not None:  # left a cached list: older members may now belong in it
            self.latest.pop(old, None)
        cached = self.latest.get(event_id)
        if cached is not None and self.latest_limit is not None:
            cached.append(aid)
            cached.sort(key=lambda a: latest_first(self.member_objects[a]))
            for dropped in cached[self.latest_limit :]:
                self.event_of.pop(dropped, None)
            del cached[self.latest_limit :]
            if aid in cached:
                self.event_of[aid] = event_id

    def revive(self, event_id: int) -> bool:
        revived = db.fetch_one(self.conn, "events/revive_event", {"id": event_id}) is not None
        if revived:  # no index entries (dropped when it retired) until its article's
            self.window.live(event_id)
        return revived

    def retire(self, event_id: int, merged_into: int | None) -> None:
        self.cache.pop(event_id, None)
        unsaved = self.unsaved.pop(event_id, None)
        if unsaved is not None:
            # its headline, summary and keywords as it last was: an event created in this
            # batch and retired before the batch ended had none (title '')
            self._write(unsaved)
        self.latest.pop(event_id, None)
        self.window.retire(event_id)
        db.execute(self.conn, "events/retire_event", {"id": event_id, "merged_into": merged_into})
        db.execute(self.conn, "events/drop_event_keys", {"id": event_id})

    def flush(self) -> None:
        """Write the states saved since the last flush and the buffered membership history."""
        for event_id in sorted(self.unsaved):
            self._write(self.unsaved[event_id])
        self.unsaved.clear()
        record_moves(self.conn, self.pending_moves)
        self.pending_moves = []


# How far the cutoff of candidate lookups may move past the window index's start before the
# index starts again from the current cutoff: bounds its memory on a long backlog.
WINDOW_SPAN = timedelta(days=7)


class WindowIndex:
    """The part of the inverted index (``event_keys``) that candidate lookups read, kept in
    memory while the clusterer holds the events lock: for each key read so far, the live
    events indexed under it that were last updated at or after :attr:`since` (the window's
    start: the first lookup's cutoff), with each event's last publication time.

    Lookups with a later cutoff filter in memory; the clusterer's own writes (new, touched,
    retired and revived events, added keys) update it as they go to Postgres, so it answers
    exactly as the ``events/candidates`` query would. One case cannot be followed: an event
    that was below the window when keys were read comes back into it (its time moved up, or
    it was never seen); the index then starts again (:meth:`clear`).
    """

    def __init__(self) -> None:
        self.since: datetime | None = None
        self.postings: dict[str, set[int]] = {}  # key -> live events in the window
        self.last: dict[int, datetime | None] = {}  # event -> last published (None: not yet)
        self.keys_of: dict[int, set[str]] = {}  # event -> its keys among ``postings``

    def clear(self) -> None:
        self.since = None
        self.postings.clear()
        self.last.clear()
        self.keys_of.clear()

    def add_entries(self, keys: list[str], rows: Iterable[Mapping[str, Any]]) -> None:
        """Index entries read for ``keys`` (rows: key, event_id, last_published_at)."""
        for key in keys:
            self.postings.setdefault(key, set())
        for r in rows:
            event_id = int(r["event_id"])
            self.postings[r["key"]].add(event_id)
            self.keys_of.setdefault(event_id, set()).add(r["key"])
            self.last.setdefault(event_id, r["last_published_at"])

    def candidates(self, keys: list[str], since: datetime, limit: int) -> dict[int, int]:
        hits: Counter[int] = Counter()
        for key in keys:
            hits.update(self.postings.get(key, ()))
        last = self.last
        live = [
            (-n, event_id)
            for event_id, n in hits.items()
            if (t := last.get(event_id)) is not None and t >= since
        ]
        return {event_id: -neg for neg, event_id in sorted(live)[:limit]}

    def live(self, event_id: int) -> None:
        """A new (or revived) event: no time and no keys yet."""
        self.retire(event_id)
        self.last[event_id] = None

    def touch(self, event_id: int, last: datetime | None) -> None:
        """An event's last publication time changed (its state was saved)."""
        if event_id not in self.last:
            if self.since is not None and last is not None and last >= self.since:
                self.clear()  # never seen (the query found it), now in the window
            return
        before = self.last[event_id]
        if (
            self.since is not None
            and before is not None
            and before < self.since
            and last is not None
            and last >= self.since
        ):
            self.clear()  # back in the window: keys read meanwhile may lack it
            return
        self.last[event_id] = last

    def add_keys(self, event_id: int, keys: Iterable[str]) -> None:
        for key in keys:
            posting = self.postings.get(key)
            if posting is not None:
                posting.add(event_id)
                self.keys_of.setdefault(event_id, set()).add(key)

    def retire(self, event_id: int) -> None:
        for key in self.keys_of.pop(event_id, ()):
            self.postings[key].discard(event_id)
        self.last.pop(event_id, None)


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


def lazy_docfreq(conn: Conn) -> DocFreq:
    """Document frequencies read as keys are met, never the whole table (see
    :class:`~.docfreq.LazyCounts`); valid while the caller holds the events lock."""

    def loader(keys: list[str]) -> dict[str, int]:
        rows = db.fetch_all(conn, "events/docfreq_of", {"keys": keys})
        return {r["key"]: int(r["df"]) for r in rows}

    return DocFreq.lazy(loader, int(db.fetch_value(conn, "events/corpus_size") or 0))


def save_docfreq(conn: Conn, docfreq: DocFreq) -> int:
    """Write the changed frequencies and the corpus size; returns the new generation."""
    dirty = sorted(docfreq.dirty)
    if dirty:
        db.execute(conn, "events/save_docfreq", {"keys": dirty, "dfs": [docfreq[k] for k in dirty]})
    generation = db.fetch_value(conn, "events/save_corpus_size", {"n_docs": docfreq.n_docs})
    docfreq.clear_dirty()
    return int(generation or 0)


def forget(docfreq: DocFreq, keys: Iterable[str]) -> None:
    """Undo ``DocFreq.update`` for one document (its article left the clustered corpus)."""
    docfreq.remove(keys)


def rebuild_event(conn: Conn, event_id: int, docfreq: DocFreq) -> bool:
    """Recompute an event's state from its remaining members (in publication order), keeping
    its id. An event left without members (its articles were re-extracted and wait to be
    clustered again) is retired, not deleted: the first of its articles to come back revives
    it (see ``EventClusterer.assign``). Returns whether the event still has members."""
    store = PostgresEventStore(conn, docfreq)
    clusterer = EventClusterer(store, docfreq=docfreq)
    members = store.members([event_id])[event_id]
    if not members:
        store.retire(event_id, None)
        return False
    # The clusterer's own accumulation step, so a rebuilt event equals one built online.
    store.save(clusterer.build_state(event_id, members))
    store.flush()
    return True


def detach(
    conn: Conn,
    previous_texts: Mapping[int, str],
    reason: str = "re-extracted: taken out to be clustered again",
) -> dict[str, int]:
    """Take re-extracted articles out of their events and queue them to be clustered again.

    Their stored features leave the document frequencies (the previous text is featurised
    only for memberships from before features were kept); the events they leave are rebuilt
    from their remaining members, or retired when left empty. Each detachment is recorded in
    the membership history with its reason. Runs in the caller's transaction (a savepoint),
    under the events lock. Returns counts."""
    ids = sorted(previous_texts)
    with conn.transaction():
        lock(conn)
        rows = db.fetch_all(conn, "events/detach_articles", {"ids": ids})
        docfreq = lazy_docfreq(conn)
        for row in rows:
            if row["features"] is not None:
                old = ArticleFeatures.from_json(row["features"])
            else:
                art = db.fetch_one(conn, "events/article_title_time", {"id": row["article_id"]})
                assert art is not None  # articles are never deleted
                old = featurize(art["title"], previous_texts[int(row["article_id"])], art["t"])
            docfreq.remove(old.keys())
        save_docfreq(conn, docfreq)
        detached = [(int(r["article_id"]), int(r["event_id"])) for r in rows]
        record_moves(
            conn,
            [(aid, eid, None, None, reason)
             for aid, eid in detached],
        )  # fmt: skip
        db.execute(
            conn,
            "events/enqueue",
            {"ids": [a for a, _ in detached], "previous": [e for _, e in detached]},
        )
        retired = 0
        for event_id in sorted({e for _, e in detached}):
            retired += not rebuild_event(conn, event_id, docfreq)
    return {"articles_detached": len(detached), "events_retired": retired}


def refeaturize(conn: Conn, batch_size: int = 1000) -> dict[str, int]:
    """Bring the stored features of every membership to :data:`~.features.FEATURES_VERSION`,
    one committed batch at a time (a crash loses at most the batch in hand; the next run goes
    on), under the events lock. Memberships stay where they are: each article is featurised
    again from its stored text, the document frequencies trade its old keys for the new ones
    (they count the keys of the stored features), and the events it belongs to are rebuilt
    from their members' new features and indexed under their new keys. Old index keys stay: an
    extra candidate costs a comparison, a missing one a split event. Once nothing is older, the
    version is recorded (``event_corpus.features_version``) and later calls read that one row.
    Counts: articles re-featurised, distinct events rebuilt."""
    totals = {"articles_refeaturized": 0, "events_rebuilt": 0}
    stored = int(db.fetch_value(conn, "events/features_version") or 1)
    conn.commit()  # the read opened a transaction: end it before the first batch's lock
    if stored > FEATURES_VERSION:
        log.warning(
            "event features of version %d are stored and this code computes version %d: "
            "an older worker clusters beside a newer one",
            stored,
            FEATURES_VERSION,
        )
    if stored >= FEATURES_VERSION:
        return totals
    after = (0, 0)
    rebuilt: set[int] = set()
    while True:
        lock(conn)
        rows = db.fetch_all(
            conn,
            "events/stale_features",
            {
                "after_event": after[0],
                "after_article": after[1],
                "version": FEATURES_VERSION,
                "limit": batch_size,
            },
        )
        if not rows:
            db.execute(conn, "events/set_features_version", {"version": FEATURES_VERSION})
            conn.commit()
            if totals["articles_refeaturized"]:
                log.info(
                    "event features: %d memberships re-featurised to version %d, %d events rebuilt",
                    totals["articles_refeaturized"],
                    FEATURES_VERSION,
                    totals["events_rebuilt"],
                )
            return totals
        rebuilt |= _refeaturize_batch(conn, rows)
        totals["articles_refeaturized"] += len(rows)
        totals["events_rebuilt"] = len(rebuilt)
        after = (int(rows[-1]["event_id"]), int(rows[-1]["article_id"]))
        conn.commit()


def _refeaturize_batch(conn: Conn, rows: list[dict[str, Any]]) -> set[int]:
    """Re-featurise one batch of memberships; the events rebuilt."""
    docfreq = lazy_docfreq(conn)
    fresh = [
        featurize(r["title"], r["text"], r["published_at"], title_derived=bool(r["title_derived"]))
        for r in rows
    ]
    docfreq.prefetch(k for f in fresh for k in f.keys())  # noqa: SIM118 (not a dict)
    for row, features in zip(rows, fresh, strict=True):
        if row["features"] is not None:  # none stored (before migration 0005): nothing counted
            docfreq.remove(ArticleFeatures.from_json(row["features"]).keys())
            docfreq.update(features.keys())
    db.execute(
        conn,
        "events/update_features",
        {
            "ids": [int(r["article_id"]) for r in rows],
            "features": [json.dumps(f.to_json()) for f in fresh],
        },
    )
    save_docfreq(conn, docfreq)
    store = PostgresEventStore(conn, docfreq)
    clusterer = EventClusterer(store, docfreq=docfreq)
    event_ids = sorted({int(r["event_id"]) for r in rows})
    for event_id, members in store.members(event_ids).items():
        # the clusterer's own accumulation step, as rebuild_event; and the new keys
        store.save(clusterer.build_state(event_id, members))
        store.add_keys(event_id, [k for m in members for k in clusterer.index_keys(m.features)])
    store.flush()
    return set(event_ids)


def _generation(conn: Conn) -> int:
    return int(db.fetch_value(conn, "events/corpus_generation") or 0)


class Clustering:
    """Clustering the queued articles batch after batch, keeping what it loaded between
    batches (document frequencies read as keys are met, event states, member features)
    unless another writer ran in between. :meth:`batch` never commits: the caller ends each
    batch's transaction (``newsflow.jobs.cluster_pending``), which also releases the lock."""

    def __init__(self, batch_size: int = 500, params: ClusterParams | None = None) -> None:
        self.batch_size = batch_size
        self.params = params
        self.generation: int | None = None  # after our last batch; None: nothing cached yet
        self.store: PostgresEventStore | None = None
        self.clusterer: EventClusterer | None = None
        self.touched: set[int] = set()

    def batch(self, conn: Conn) -> dict[str, int]:
        """Assign the next queued articles (at most ``batch_size``) under the events lock, in
        publication order; counts (``articles`` 0: the queue is empty)."""
        counts = {"articles": 0, "events_created": 0, "articles_moved": 0, "events_retired": 0}
        lock(conn)
        rows = db.fetch_all(conn, "events/unclustered_articles", {"limit": self.batch_size})
        if not rows:
            return counts
        if self.store is None or self.clusterer is None or self.generation != _generation(conn):
            # first batch, or another writer (reprocessing) ran since our last one
            docfreq = lazy_docfreq(conn)
            self.store = PostgresEventStore(conn, docfreq)
            self.clusterer = EventClusterer(self.store, params=self.params, docfreq=docfreq)
        batch = [
            featurize(
                row["title"],
                row["text"],
                row["published_at"],
                title_derived=bool(row["title_derived"]),
            )
            for row in rows
        ]
        # every arrival's frequencies in one read (each assignment counts its keys first), and
        # the index entries its lookup will likely need (keys met later are read then)
        clusterer = self.clusterer
        clusterer.docfreq.prefetch(k for f in batch for k in f.keys())  # noqa: SIM118
        starts = [t for f in batch if (t := clusterer.lookup_since(f)) is not None]
        if starts:
            self.store.prefetch_keys(
                {k for f in batch for k in clusterer.lookup_keys(f)}, min(starts)
            )
        with conn.pipeline():  # writes go out without waiting; reads sync
            for row, features in zip(rows, batch, strict=True):
                assignment = self.clusterer.assign(
                    int(row["id"]), features, row["source"], row["previous_event"]
                )
                self.touched.add(assignment.event_id)
                self.touched.update(m.to_event for m in assignment.moves)
                counts["events_created"] += assignment.events_created
                counts["articles_moved"] += len(assignment.moves)
                counts["events_retired"] += len(assignment.retired)
        self.store.flush()
        db.execute(conn, "events/dequeue", {"ids": [int(r["id"]) for r in rows]})
        self.generation = save_docfreq(conn, self.clusterer.docfreq)
        counts["articles"] = len(rows)
        return counts
