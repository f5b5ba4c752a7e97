"""The raw archive: the contract between acquiring documents and processing them.

Acquisition (the inbox, feed polls, the message queue) hands every document over as a :class:`RawInput`;
:func:`archive` keeps its bytes once (``raw_documents``, keyed by sha256) and queues it in the
run (``document_sightings``, ``document_outcomes``). Processing only ever reads the archive, so
anything can be re-extracted later from exactly the bytes that arrived, and acquisition never
imports the processing code.

Like every library function, nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import psycopg
import zstandard

from newsflow import db
from newsflow.db import Conn
from newsflow.jsonutil import as_json
from newsflow.settings import get_settings
from newsflow.states import DocState
from newsflow.text import make_encodable

log = logging.getLogger(__name__)

# What archiving did with a document: queued to process, settled by an earlier run, refused
# at acquisition, or the same bytes as a document this run already holds under another name.
ArchiveState = Literal["pending", "already-ingested", "quarantined", "same-bytes"]


@dataclass(frozen=True)
class RawInput:
    """One acquired document, as it arrived."""

    origin: Literal["file", "feed", "page", "queue"]
    locator: str  # inbox-relative path, fetched URL or redis://<stream>/<entry id>
    body: bytes | None  # None when over the size cap (not archived)
    content_hash: str  # sha256 hex of the raw bytes
    size_bytes: int
    media_type: str | None
    url: str | None = None
    feed_id: int | None = None
    charset: str | None = None
    http_status: int | None = None
    http_headers: dict[str, str] | None = None
    partition_date: date | None = None
    entry_meta: dict[str, Any] | None = None
    fetched_at: datetime | None = None
    # Why the document must not be processed (e.g. over the size cap); it is quarantined.
    refusal: str | None = None


@dataclass(frozen=True)
class Archived:
    raw_document_id: int
    state: ArchiveState


# New bodies are zstd (level 3: several times faster than zlib's default at a similar ratio
# on HTML); each row records its codec, so rows written with zlib stay readable.
CODEC = "zstd"
_ZSTD_LEVEL = 3


def compress(body: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(body)


def _compress_or_none(body: bytes | None) -> bytes | None:
    return None if body is None else compress(body)


def _compress_all(bodies: list[bytes | None]) -> Iterator[bytes | None]:
    """The bodies compressed, in order, on two threads (zstd releases the GIL; the threads
    live only as long as the batch, so a process forked later inherits none)."""
    if len(bodies) < 2:
        yield from map(_compress_or_none, bodies)
        return
    with ThreadPoolExecutor(2, thread_name_prefix="newsflow-compress") as pool:
        yield from pool.map(_compress_or_none, bodies)


def decompress(stored: bytes | None, codec: str = CODEC) -> bytes:
    """The archived bytes of a body stored with ``codec`` ('zstd' or 'zlib')."""
    if stored is None:
        return b""
    if codec == "zlib":
        return zlib.decompress(stored)
    if codec == "zstd":
        return zstandard.ZstdDecompressor().decompress(stored)
    raise ValueError(f"unknown archive codec {codec!r}")


def is_settled(conn: Conn, raw_document_id: int) -> bool:
    """Whether the raw document reached a final state (article, duplicate, quarantine) in any run."""
    return bool(db.fetch_value(conn, "archive/document_settled", {"id": raw_document_id}))


def _gave_up(attempts: int, last_failure: str | None, max_attempts: int) -> str | None:
    """Why a document that failed in ``NEWSFLOW_MAX_ATTEMPTS`` runs is not tried again."""
    if attempts < max_attempts:
        return None
    last = last_failure or "no detail"
    return f"gave up after {attempts} failed attempts in earlier runs; the last: {last}"


def _raw_params(run_id: int, raw: RawInput, body: bytes | None) -> dict[str, Any]:
    return {
        "content_hash": raw.content_hash,
        "origin": raw.origin,
        "locator": raw.locator,
        "url": raw.url,
        "feed_id": raw.feed_id,
        "media_type": raw.media_type,
        "charset": raw.charset,
        "http_status": raw.http_status,
        "http_headers": as_json(raw.http_headers) if raw.http_headers else None,
        "size_bytes": raw.size_bytes,
        "body": body,
        "codec": CODEC,
        "body_stored": raw.body is not None,
        "partition_date": raw.partition_date,
        "run_id": run_id,
        "entry_meta": as_json(raw.entry_meta) if raw.entry_meta else None,
        "fetched_at": raw.fetched_at,
    }


# Tries of a batch that deadlocked with another run's (see archive_many).
_DEADLOCK_TRIES = 5


def archive(conn: Conn, run_id: int, raw: RawInput) -> Archived:
    """Archive one raw document and queue it for this run (:func:`archive_many` of one)."""
    return archive_many(conn, run_id, [raw])[0]


def archive_many(conn: Conn, run_id: int, raws: Sequence[RawInput]) -> list[Archived]:
    """Archive raw documents and queue them for this run, in their order; what happened to
    each.

    A document's state is ``pending`` (to process), ``already-ingested`` (these bytes were
    processed before), ``quarantined`` (refused at acquisition, with its reason) or
    ``same-bytes`` (another name for bytes this run already holds; only a sighting is added).

    The statements go in two pipelines (all the upserts, then all the queue rows): two round
    trips for the batch instead of two per document, with the same statements in the same
    order as one document at a time."""
    if not raws:
        return []
    max_attempts = get_settings().max_attempts
    upsert = db.sql("archive/raw_document")
    # kept for the batch (smaller than the raw bodies it already holds): a document readmitted
    # below stores its body again
    bodies = list(_compress_all([raw.body for raw in raws]))
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        db.execute(conn, "db/begin")  # in a transaction: the block below is a savepoint
    for attempt in range(1, _DEADLOCK_TRIES + 1):
        try:
            # a savepoint: two runs archiving the same bytes under other names in opposite
            # orders (backfill days in parallel, re-runs) lock the rows in opposite orders, and
            # Postgres ends one of them; that one waits for the other and tries again. (The
            # rows go in the documents' order: a raw document's id is its arrival.)
            with conn.transaction(), conn.pipeline():
                cursors = [
                    conn.execute(upsert, _raw_params(run_id, raw, body))
                    for raw, body in zip(raws, bodies, strict=True)
                ]
            break
        except psycopg.errors.DeadlockDetected:
            if attempt == _DEADLOCK_TRIES:
                raise
            log.info("archive batch deadlocked with another run; trying again (%d)", attempt)
            time.sleep(0.05 * attempt)
    rows = [cursor.fetchone() for cursor in cursors]
    for index in [i for i, row in enumerate(rows) if row is None]:
        # the row another run inserted while this statement waited for it: its snapshot did
        # not see it, a new statement does (a batch that waited after a deadlock, or two runs
        # archiving the same new bytes at once)
        rows[index] = conn.execute(
            upsert, _raw_params(run_id, raws[index], bodies[index])
        ).fetchone()
    decided: list[tuple[int, ArchiveState, str | None]] = []
    refused: list[tuple[int, RawInput, str]] = []
    readmitted: list[tuple[int, RawInput, bytes | None]] = []
    for raw, row, body in zip(raws, rows, bodies, strict=True):
        assert row is not None
        raw_id = int(row["id"])
        state: ArchiveState
        detail: str | None = None
        gave_up = _gave_up(int(row["failed_attempts"]), row["last_failure"], max_attempts)
        # a refusal may quote what arrived (a queue message's field names): text Postgres
        # takes (a NUL failed the whole batch, and the next run's, for ever)
        refusal = make_encodable(raw.refusal)[0] if raw.refusal else None
        if row["settled"]:
            state = "already-ingested"
            detail = "these bytes were processed in an earlier run"
        elif row["refused_before"] and refusal:
            state, detail = "already-ingested", f"refused in an earlier run: {refusal}"
        elif row["refused_before"] and not gave_up:
            # refused before (a type not read, over the size cap), no longer: renamed, a
            # raised cap. Processed now, with its bytes and type as read now.
            readmitted.append((raw_id, raw, body))
            state, detail = "pending", "refused in an earlier run for a reason that no longer holds"
        elif refusal or gave_up:
            state, detail = "quarantined", refusal or gave_up or ""
            refused.append((raw_id, raw, detail))
        else:
            state = "pending"
        decided.append((raw_id, state, detail))
    quarantine, queue = db.sql("archive/quarantine_refused"), db.sql("archive/queue")
    readmit = db.sql("archive/readmit")
    with conn.pipeline():
        for raw_id, raw, body in readmitted:
            conn.execute(
                readmit,
                {
                    "id": raw_id,
                    "body": body,
                    "codec": CODEC,
                    "body_stored": raw.body is not None,
                    "media_type": raw.media_type,
                    "charset": raw.charset,
                    "size_bytes": raw.size_bytes,
                    "locator": raw.locator,
                    "partition_date": raw.partition_date,
                },
            )
        for raw_id, raw, detail in refused:
            conn.execute(
                quarantine,
                {
                    "raw_document_id": raw_id,
                    "reasons": as_json([detail]),
                    "record": as_json({"locator": raw.locator}),
                    "run_id": run_id,
                },
            )
        queued = [
            conn.execute(
                queue,
                {
                    "run_id": run_id,
                    "locator": raw.locator,
                    "raw_document_id": raw_id,
                    "state": DocState(state),
                    "detail": detail,
                },
            )
            for raw, (raw_id, state, detail) in zip(raws, decided, strict=True)
        ]
    return [
        Archived(raw_id, state if cursor.fetchone() is not None else "same-bytes")
        for cursor, (raw_id, state, _) in zip(queued, decided, strict=True)
    ]


def queue_document(
    conn: Conn, run_id: int, raw_id: int, locator: str, state: DocState, detail: str | None
) -> bool:
    """Record that the run saw ``locator`` (archived as ``raw_id``) and the document's state in
    the run; False when the run already holds that raw document (same bytes, another name)."""
    inserted = db.fetch_one(
        conn,
        "archive/queue",
        {
            "run_id": run_id,
            "locator": locator,
            "raw_document_id": raw_id,
            "state": state,
            "detail": detail,
        },
    )
    return inserted is not None
