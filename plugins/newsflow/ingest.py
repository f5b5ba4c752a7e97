"""Ingestion of a run's pending documents: prepare -> validate -> decide -> load.

Every document item ends in exactly one state per run (``document_outcomes``): stored,
updated, duplicate, quarantined, failed or already-ingested. Bad input is quarantined with its
reasons; nothing stored before is changed by it. Duplicates are decided against the whole
history under the load lock (so concurrent runs decide one after the other), in publication
order, so that the original is the earliest published copy whatever the arrival order.

Nothing here commits: the caller's transaction holds the load lock until it commits, and the
whole batch lands or nothing does (the documents stay pending for a retry).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypedDict

import psycopg

from newsflow import db, stages, staging
from newsflow.db import Conn
from newsflow.dedupe import Candidate, Decision, Deduplicator, content_hash_owner
from newsflow.runs import heartbeat, merge_validation, resume
from newsflow.settings import Settings, get_settings
from newsflow.stages import Document, Item
from newsflow.staging import BandRow, Batch, DuplicateRow, OutcomeRow, SourceRow
from newsflow.states import DecisionKind, DocState, Stage

log = logging.getLogger(__name__)


class ProcessResult(TypedDict):
    documents: int
    items: int
    states: dict[str, int]
    validation_success: bool | None
    seconds: dict[str, float]  # time spent per stage (prepare, validate, load)


@dataclass(frozen=True)
class Settled:
    """What a decision made of one valid item: its state, its article and why."""

    state: DocState
    article_id: int
    detail: str | None = None


def publication_order(item: Item) -> tuple[Any, ...]:
    """Earliest published first (unknown dates last), then raw document and line."""
    published = item.normalized.published_at if item.normalized else None
    return (
        published is None,
        published or datetime.min.replace(tzinfo=UTC),
        item.raw_document_id,
        item.item_no,
    )


def lock_loading(conn: Conn) -> None:
    """Take the load lock for the rest of the caller's transaction."""
    db.lock(conn, "load")


def settled_elsewhere(conn: Conn, raw_ids: list[int]) -> set[int]:
    """Documents a concurrent run settled meanwhile (under the load lock)."""
    rows = db.fetch_all(conn, "ingest/settled_documents", {"ids": raw_ids})
    return {int(r["raw_document_id"]) for r in rows}


def promote(conn: Conn, run_id: int, item: Item, decision: Decision) -> bool:
    """An earlier-published copy takes the place of the stored original (same article id; the
    copy the article held becomes its duplicate). False when its text equals a third article's
    (the content hash must stay unique): it stays a duplicate."""
    art = item.normalized
    assert art is not None and decision.duplicate_of is not None
    if content_hash_owner(conn, art.content_hash, exclude=decision.duplicate_of) is not None:
        return False
    if item.source_name:
        db.execute(conn, "load/upsert_source", {"name": item.source_name})
    previous = db.fetch_all(conn, "dedupe/article_texts", {"ids": [decision.duplicate_of]})
    row = stages.article_row(decision.duplicate_of, item, art, decision.signature, run_id)
    params: dict[str, Any] = {
        name: getattr(row, name) for name in staging.columns(staging.ArticleRow)
    }
    params.update(
        source=params.pop("source_name"),
        method=decision.method,
        score=decision.score,
        threshold=decision.threshold,
        run_id=run_id,
    )
    db.execute(conn, "load/promote_earlier_copy", params)
    if previous:
        # its event was placed, dated and headed by the text it held: cluster it again
        from newsflow import events

        events.detach(
            conn,
            {decision.duplicate_of: previous[0]["text"]},
            "an earlier copy took its place: taken out to be clustered again",
        )
    return True


class Decider:
    """Duplicate decisions for one batch, one valid item at a time in publication order;
    each decided article joins the in-batch indexes before the next is decided."""

    def __init__(self, conn: Conn, run_id: int, batch: Batch, new_ids: list[int]) -> None:
        self.conn = conn
        self.run_id = run_id
        self.batch = batch
        self.dedup = Deduplicator(conn)
        self.new_ids = iter(new_ids)

    @staticmethod
    def _candidate(item: Item) -> Candidate:
        art = item.normalized
        assert art is not None
        return Candidate(
            item.raw_document_id,
            item.item_no,
            item.origin,
            item.source_name,
            art,
            item.fingerprint,
        )

    def prefetch(self, items: list[Item]) -> None:
        """Read the stored side of the batch's duplicate lookups at once (see
        :meth:`Deduplicator.prefetch`). Should building them fail on some item's data, the
        lookups are asked one by one, where that item alone is quarantined."""
        try:
            self.dedup.prefetch(self._candidate(item) for item in items)
        except psycopg.Error:
            raise  # the transaction is gone: land() takes the batch apart
        except Exception:
            log.exception("prefetching the batch's duplicate lookups failed; asking one by one")
            self.dedup.forget_prefetched()

    def settle(self, item: Item) -> Settled:
        art = item.normalized
        assert art is not None
        cand = self._candidate(item)
        decision = self.dedup.decide(cand)
        if decision.url_held_by is not None and decision.kind is not DecisionKind.DUPLICATE:
            # its canonical URL names another article (a section page, an export's one URL):
            # the article is kept without it
            art = item.normalized = replace(
                art,
                canonical_url=None,
                repairs=[
                    *art.repairs,
                    f"canonical_url-dropped: article {decision.url_held_by} has this URL "
                    "and another text",
                ],
            )
            cand = self._candidate(item)
        if decision.kind is DecisionKind.PROMOTE:
            if promote(self.conn, self.run_id, item, decision):
                # a stored article was rewritten: the prefetched answers may be stale
                self.dedup.forget_prefetched()
            else:
                decision = Decision(
                    DecisionKind.DUPLICATE,
                    decision.duplicate_of,
                    decision.method,
                    decision.score,
                    decision.threshold,
                    decision.signature,
                    decision.band_keys,
                )
        if decision.kind is DecisionKind.DUPLICATE:
            return self._duplicate(item, decision)
        if decision.kind is DecisionKind.PROMOTE:
            article_id = decision.duplicate_of
            assert article_id is not None
            self._index(article_id, cand, decision)
            return Settled(
                DocState.STORED,
                article_id,
                f"earlier copy: took the place of article {article_id}, whose later copy is "
                f"now its {decision.method} duplicate",
            )
        if decision.kind is DecisionKind.UPDATE:
            assert decision.duplicate_of is not None
            article_id, state = decision.duplicate_of, DocState.UPDATED
        else:
            article_id, state = next(self.new_ids), DocState.STORED
        if item.source_name:
            self.batch.sources.append(SourceRow(item.source_name))
        self.batch.articles.append(
            stages.article_row(article_id, item, art, decision.signature, self.run_id)
        )
        self._index(article_id, cand, decision)
        return Settled(state, article_id)

    def _index(self, article_id: int, cand: Candidate, decision: Decision) -> None:
        self.batch.bands.extend(BandRow(b, h, article_id) for b, h in decision.band_keys)
        self.dedup.register(article_id, cand, decision)

    def _duplicate(self, item: Item, decision: Decision) -> Settled:
        art = item.normalized
        assert art is not None and decision.duplicate_of is not None
        assert decision.method is not None
        self.batch.duplicates.append(
            DuplicateRow(
                item.raw_document_id,
                item.item_no,
                art.url,
                art.canonical_url,
                art.title,
                art.content_hash,
                art.published_at,
                decision.duplicate_of,
                decision.method,
                decision.score,
                decision.threshold,
                self.run_id,
                item.source_name,
            )
        )
        if item.source_name:
            self.batch.sources.append(SourceRow(item.source_name))
        return Settled(
            DocState.DUPLICATE,
            decision.duplicate_of,
            f"{decision.method} duplicate of article {decision.duplicate_of} "
            f"(score {decision.score:.3f})",
        )


def decide_and_load(
    conn: Conn, run_id: int, items: list[Item], elsewhere: set[int] | None = None
) -> dict[str, int]:
    """Leave out what a concurrent run settled (``elsewhere``: read here when not given),
    decide every valid item, settle the stopped ones, load the batch. The caller holds the
    load lock. The states counted."""
    batch = Batch()
    states: dict[str, int] = {}

    def count(state: DocState) -> None:
        states[state.value] = states.get(state.value, 0) + 1

    if elsewhere is None:
        elsewhere = settled_elsewhere(conn, sorted({i.raw_document_id for i in items}))
    for item in (i for i in items if i.raw_document_id in elsewhere):
        batch.outcomes.append(
            OutcomeRow(
                run_id,
                item.raw_document_id,
                item.item_no,
                DocState.ALREADY_INGESTED,
                None,
                "processed by a concurrent run",
            )
        )
        count(DocState.ALREADY_INGESTED)
    items = [i for i in items if i.raw_document_id not in elsewhere]
    valid = sorted((i for i in items if i.standing), key=publication_order)
    decider = Decider(conn, run_id, batch, staging.allocate_article_ids(conn, len(valid)))
    decider.prefetch(valid)
    for item in valid:
        try:
            settled = decider.settle(item)
        except psycopg.Error:
            raise  # the transaction is gone: land() takes the batch apart
        except Exception as exc:  # this item's data made deciding raise: quarantine it
            log.exception(
                "deciding raw document %s item %s raised", item.raw_document_id, item.item_no
            )
            item.stop(Stage.DEDUPE, [f"duplicate check failed: {type(exc).__name__}: {exc}"[:500]])
            continue
        batch.outcomes.append(
            OutcomeRow(
                run_id,
                item.raw_document_id,
                item.item_no,
                settled.state,
                settled.article_id,
                settled.detail,
            )
        )
        count(settled.state)
    for state, n in stages.settle_stopped(items, run_id, batch).items():
        states[state] = states.get(state, 0) + n
    staging.load_batch(conn, batch)
    return states


# What the database says of a document's values, not of its own state: a character it cannot
# store, a constraint, a value too large for an index (ProgramLimitExceeded).
_REFUSED = (
    psycopg.DataError,
    psycopg.IntegrityError,
    psycopg.ProgrammingError,
    psycopg.errors.ProgramLimitExceeded,
)


def land(conn: Conn, run_id: int, items: list[Item]) -> dict[str, int]:
    """Decide and load ``items`` under the load lock, isolating a bad item: should the batch
    fail to load (a value the database refuses), it is taken apart, half by half, in
    savepoints, until the item that fails is alone (a document, or one line of a JSONL file);
    that one is quarantined at ``load`` with the database's reason and everything else lands.
    The states counted."""
    lock_loading(conn)
    # read once: the halves a split lands first must not look settled by another run
    elsewhere = settled_elsewhere(conn, sorted({i.raw_document_id for i in items}))
    return _land(conn, run_id, items, elsewhere)


def _land(conn: Conn, run_id: int, items: list[Item], elsewhere: set[int]) -> dict[str, int]:
    try:
        with conn.transaction():  # a savepoint
            return decide_and_load(conn, run_id, items, elsewhere)
    except db.PipelineLockTimeout:
        raise
    except _REFUSED as exc:
        keys = sorted({(i.raw_document_id, i.item_no) for i in items})
        if len(keys) > 1:
            log.warning("loading %d items failed (%s); splitting the batch", len(keys), exc)
            half = set(keys[: len(keys) // 2])
            first = _land(
                conn,
                run_id,
                [i for i in items if (i.raw_document_id, i.item_no) in half],
                elsewhere,
            )
            second = _land(
                conn,
                run_id,
                [i for i in items if (i.raw_document_id, i.item_no) not in half],
                elsewhere,
            )
            return {k: first.get(k, 0) + second.get(k, 0) for k in {*first, *second}}
        reason = f"the database refused to store it: {str(exc).strip().splitlines()[0][:300]}"
        log.warning("raw document %s item %s quarantined at load: %s", *keys[0], reason)
        for item in items:
            if item.standing:
                item.stop(Stage.LOAD, [reason])
            item.normalized = None  # keep the quarantine record free of what was refused
            item.extracted = None
        with conn.transaction():
            return decide_and_load(conn, run_id, items, elsewhere)


class ChunkRef(TypedDict):
    """A slice of a run's pending documents (raw document ids first..last): the unit of
    processing, committed on its own, and what Airflow maps the ``process`` task over."""

    run_id: int
    chunk: int
    first_id: int
    last_id: int
    documents: int
    bytes: int


def plan_chunks(conn: Conn, run_id: int, settings: Settings | None = None) -> list[ChunkRef]:
    """Cut the run's pending documents, in id order, into chunks of at most
    ``chunk_documents`` documents and ``chunk_bytes`` raw bytes (a larger document is a chunk
    of its own).

    A document whose chunk an earlier run died in (a document that crashes the parser, the OOM
    killer) goes into a chunk of at most 1/16 of that size, and one it died in twice into a
    chunk of its own, still in id order (the order decides ties between copies, as in a run
    that never died). So a document that kills its process holds back none of its neighbours
    (Airflow's mapped tasks store them in the next run; one process working chunk after chunk,
    in the runs after), and after ``NEWSFLOW_MAX_ATTEMPTS`` deaths alone it ends in quarantine
    (see archive)."""
    settings = settings or get_settings()
    chunks: list[ChunkRef] = []
    current: ChunkRef | None = None
    current_kind = -1
    for row in db.fetch_all(conn, "ingest/pending_sizes", {"run_id": run_id}):
        raw_id, size = int(row["id"]), int(row["size_bytes"])
        kind = min(int(row["deaths"]), 2)  # 0: never died, 1: once, 2: more
        limit = (
            settings.chunk_documents,
            max(1, settings.chunk_documents // _SUSPECT_SPLIT),
            1,
        )[kind]
        if (
            current is None
            or kind != current_kind
            or current["documents"] >= limit
            or current["bytes"] + size > settings.chunk_bytes
        ):
            current = ChunkRef(
                run_id=run_id,
                chunk=len(chunks),
                first_id=raw_id,
                last_id=raw_id,
                documents=0,
                bytes=0,
            )
            current_kind = kind
            chunks.append(current)
        current["last_id"] = raw_id
        current["documents"] += 1
        current["bytes"] += size
    return chunks


# A document an earlier run died in is chunked with at most this fraction of a chunk's size.
_SUSPECT_SPLIT = 16


def chunk_documents(conn: Conn, chunk: ChunkRef) -> list[Document]:
    """The chunk's documents still pending (a retried chunk finds only what is left)."""
    rows = db.fetch_all(
        conn,
        "ingest/pending_documents",
        {"run_id": chunk["run_id"], "first_id": chunk["first_id"], "last_id": chunk["last_id"]},
    )
    return [Document.from_row(r) for r in rows]


def prepare_all(docs: list[Document], pool: Executor | None = None) -> list[Item]:
    """:func:`stages.prepare` over the documents, on the pool's processes when there is one."""
    if pool is not None and len(docs) >= 2:
        try:
            return [item for items in pool.map(stages.prepare, docs, chunksize=4) for item in items]
        except BrokenExecutor as exc:  # a worker died: the documents are prepared here instead
            log.warning("preparing in this process: the process pool broke (%s)", exc)
    return [item for doc in docs for item in stages.prepare(doc)]


def begin_chunk(conn: Conn, chunk: ChunkRef) -> None:
    """Before :func:`process_chunk` (committed on its own by a caller that commits per chunk):
    the run resumes if it was closed as abandoned, and the chunk's documents are marked as
    being processed, so that a later run knows which documents were in a chunk whose process
    died (see :func:`plan_chunks`)."""
    resumed = resume(conn, chunk["run_id"], chunk["first_id"], chunk["last_id"])
    if resumed:
        log.warning(
            "run %s was closed as abandoned while this chunk waited; %d of its documents are "
            "processed now",
            chunk["run_id"],
            resumed,
        )
    db.execute(
        conn,
        "runs/mark_chunk_started",
        {"run_id": chunk["run_id"], "first_id": chunk["first_id"], "last_id": chunk["last_id"]},
    )


def end_chunk_unprocessed(conn: Conn, chunk: ChunkRef) -> None:
    """After :func:`process_chunk` raised: its work is rolled back and the mark of
    :func:`begin_chunk` cleared (committed), as the process did not die in the chunk. Only a
    process that vanished leaves the mark, which isolates and charges the documents. When
    the connection is gone too, the mark stays (the database cannot be told)."""
    try:
        conn.rollback()
        db.execute(
            conn,
            "runs/clear_chunk_mark",
            {"run_id": chunk["run_id"], "first_id": chunk["first_id"], "last_id": chunk["last_id"]},
        )
        conn.commit()
    except psycopg.Error as exc:  # the connection went with the error
        log.warning("could not clear the started mark of chunk %s: %s", chunk["chunk"], exc)


def process_chunk(
    conn: Conn, chunk: ChunkRef, settings: Settings | None = None, pool: Executor | None = None
) -> ProcessResult:
    """Prepare, validate, decide and load one chunk, after :func:`begin_chunk`. Does not
    commit: the caller commits the chunk (which also releases the load lock)."""
    settings = settings or get_settings()
    started = time.perf_counter()
    docs = chunk_documents(conn, chunk)
    items = prepare_all(docs, pool)
    del docs  # the archived bodies are not needed past this point
    prepared = time.perf_counter()
    summary = stages.validate_items(items, settings)
    validated = time.perf_counter()
    states = land(conn, chunk["run_id"], items)
    merge_validation(conn, chunk["run_id"], summary)
    heartbeat(conn, chunk["run_id"])
    return ProcessResult(
        documents=len({i.raw_document_id for i in items}),
        items=len(items),
        states=states,
        validation_success=summary.get("success"),
        seconds={
            "prepare": round(prepared - started, 3),
            "validate": round(validated - prepared, 3),
            "load": round(time.perf_counter() - validated, 3),
        },
    )


def add_results(total: ProcessResult, part: ProcessResult) -> ProcessResult:
    states = dict(total["states"])
    for state, n in part["states"].items():
        states[state] = states.get(state, 0) + n
    seconds = dict(total["seconds"])
    for stage, spent in part["seconds"].items():
        seconds[stage] = round(seconds.get(stage, 0.0) + spent, 3)
    success = [
        v for v in (total["validation_success"], part["validation_success"]) if v is not None
    ]
    return ProcessResult(
        documents=total["documents"] + part["documents"],
        items=total["items"] + part["items"],
        states=states,
        validation_success=all(success) if success else None,
        seconds=seconds,
    )


EMPTY_RESULT = ProcessResult(documents=0, items=0, states={}, validation_success=None, seconds={})


def process_run(conn: Conn, run_id: int, settings: Settings | None = None) -> ProcessResult:
    """Process all of the run's pending documents, chunk after chunk, in the caller's
    transaction (tests and small callers; :func:`newsflow.jobs.process` commits per chunk)."""
    total = EMPTY_RESULT
    for chunk in plan_chunks(conn, run_id, settings):
        begin_chunk(conn, chunk)
        total = add_results(total, process_chunk(conn, chunk, settings))
    return total
