"""The stages chained for one batch; used by DAG tasks and the CLI alike.

acquire (archive raw bytes) -> decode -> extract -> normalize -> validate -> dedupe -> load.
Every document item ends in exactly one state per run (``document_outcomes``): stored, updated,
duplicate, quarantined, failed or already-ingested. Bad input is quarantined with its reasons;
nothing stored before is changed by it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsflow import db, decode, extract, normalize, store, validate
from newsflow.db import Conn
from newsflow.dedupe import Candidate, Deduplicator
from newsflow.records import DocumentContext, Extracted, Normalized
from newsflow.settings import Settings, get_settings
from newsflow.sources import files as inbox_files

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- runs
# The per-run counts of ingest_runs, in the order summaries print them.
RUN_COUNTS = (
    "documents_seen",
    "documents_new",
    "articles_stored",
    "articles_updated",
    "duplicates",
    "quarantined",
    "failed",
)


def start_run(
    conn: Conn,
    *,
    dag_id: str,
    run_id: str,
    logical_date: datetime | None = None,
    interval_start: datetime | None = None,
    interval_end: datetime | None = None,
) -> int:
    row = conn.execute(
        db.sql("runs/start_run"),
        {
            "dag_id": dag_id,
            "run_id": run_id,
            "logical_date": logical_date,
            "interval_start": interval_start,
            "interval_end": interval_end,
        },
    ).fetchone()
    assert row is not None
    return int(row["id"])


def finish_run(conn: Conn, run_id: int) -> dict[str, Any]:
    row = conn.execute(db.sql("runs/finish_run"), {"run_id": run_id}).fetchone()
    assert row is not None
    return dict(row)


# --------------------------------------------------------------------------- acquire
@dataclass
class RawInput:
    origin: str  # 'file', 'feed', 'page'
    locator: str
    body: bytes | None  # None when over the size cap (not archived)
    content_hash: str
    size_bytes: int
    media_type: str | None
    url: str | None = None
    feed_id: int | None = None
    charset: str | None = None
    http_status: int | None = None
    http_headers: dict[str, str] | None = None
    partition_date: Any = None
    entry_meta: dict[str, Any] | None = None
    fetched_at: datetime | None = None
    # Why the document must not be processed (e.g. over the size cap); it is quarantined.
    refusal: str | None = None


def archive(conn: Conn, run_id: int, raw: RawInput) -> tuple[int, str]:
    """Archive one raw document and queue it for this run.

    Returns (raw_document_id, state): 'pending' (to process), 'already-ingested' (these bytes
    were processed before), 'quarantined' (refused at acquisition, with its reason) or
    'same-bytes' (another name for bytes this run already holds; only a sighting is added)."""
    row = conn.execute(
        db.sql("archive/raw_document"),
        {
            "content_hash": raw.content_hash,
            "origin": raw.origin,
            "locator": raw.locator,
            "url": raw.url,
            "feed_id": raw.feed_id,
            "media_type": raw.media_type,
            "charset": raw.charset,
            "http_status": raw.http_status,
            "http_headers": store.as_json(raw.http_headers) if raw.http_headers else None,
            "size_bytes": raw.size_bytes,
            "body": zlib.compress(raw.body, 6) if raw.body is not None else None,
            "body_stored": raw.body is not None,
            "partition_date": raw.partition_date,
            "run_id": run_id,
            "entry_meta": store.as_json(raw.entry_meta) if raw.entry_meta else None,
            "fetched_at": raw.fetched_at,
        },
    ).fetchone()
    assert row is not None
    raw_id = int(row["id"])
    settled = conn.execute(db.sql("archive/document_settled"), {"id": raw_id}).fetchone()
    if settled and settled["settled"]:
        state, detail = "already-ingested", "these bytes were processed in an earlier run"
    elif raw.refusal:
        state, detail = "quarantined", raw.refusal
        conn.execute(
            "INSERT INTO news.quarantine (raw_document_id, item_no, stage, reasons, record, run_id) "
            "VALUES (%s, 0, 'acquire', %s, %s, %s) ON CONFLICT (raw_document_id, item_no) DO NOTHING",
            (raw_id, store.as_json([raw.refusal]), store.as_json({"locator": raw.locator}), run_id),
        )
    else:
        state, detail = "pending", None
    if not queue_document(conn, run_id, raw_id, raw.locator, state, detail):
        return raw_id, "same-bytes"  # the same bytes under another name earlier in this run
    return raw_id, state


def queue_document(
    conn: Conn, run_id: int, raw_id: int, locator: str, state: str, detail: str | None
) -> bool:
    """Record that the run saw ``locator`` (archived as ``raw_id``) and the document's state in
    the run; False when the run already holds that raw document (same bytes, another name)."""
    conn.execute(
        "INSERT INTO news.document_sightings (run_id, locator, raw_document_id) VALUES (%s, %s, %s) "
        "ON CONFLICT (run_id, locator) DO NOTHING",
        (run_id, locator, raw_id),
    )
    inserted = conn.execute(
        "INSERT INTO news.document_outcomes (run_id, raw_document_id, item_no, state, detail) "
        "VALUES (%s, %s, 0, %s, %s) ON CONFLICT (run_id, raw_document_id, item_no) DO NOTHING "
        "RETURNING state",
        (run_id, raw_id, state, detail),
    ).fetchone()
    return inserted is not None


def read_inbox_file(item: inbox_files.InboxFile, settings: Settings) -> RawInput:
    locator = item.relative
    if item.size > settings.max_document_bytes:
        return RawInput(
            origin="file",
            locator=locator,
            body=None,
            content_hash=inbox_files.sha256_file(item.path),
            size_bytes=item.size,
            media_type=item.media_type,
            partition_date=item.partition_date,
            refusal=(
                f"file is {item.size / 1e6:.1f} MB, over the {settings.max_document_bytes / 1e6:.1f} MB "
                "limit (NEWSFLOW_MAX_DOCUMENT_BYTES); not archived"
            ),
        )
    body = item.path.read_bytes()
    refusal = None
    if item.media_type is None:
        refusal = f"unsupported file type {item.path.suffix or '(no extension)'!r}; newsflow reads .txt, .html and .jsonl"
    return RawInput(
        origin="file",
        locator=locator,
        body=body,
        content_hash=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        media_type=item.media_type,
        partition_date=item.partition_date,
        refusal=refusal,
    )


def archive_inbox(
    conn: Conn,
    run_id: int,
    inbox: Path,
    *,
    interval_start: datetime | None = None,
    interval_end: datetime | None = None,
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    settings = settings or get_settings()
    counts = {"files": 0, "pending": 0, "already-ingested": 0, "quarantined": 0, "same-bytes": 0}
    found = inbox_files.scan_inbox(inbox, interval_start, interval_end)
    for number, item in enumerate(found, start=1):
        if progress is not None:
            progress(number, len(found))
        raw = read_inbox_file(item, settings)
        with conn.transaction():
            _, state = archive(conn, run_id, raw)
        counts["files"] += 1
        counts[state] += 1
    return counts


# --------------------------------------------------------------------------- process
@dataclass
class ItemResult:
    raw_document_id: int
    item_no: int
    origin: str
    source_name: str | None
    extracted: Extracted | None = None
    normalized: Normalized | None = None
    stage: str | None = None  # where it stopped: 'decode', 'extract', 'validate', 'failed'
    reasons: list[str] = field(default_factory=list)


def _entry_meta_fallback(ex: Extracted, meta: dict[str, Any] | None) -> None:
    """A feed entry's own title, date and author fill what extraction did not find."""
    if not meta:
        return
    if not ex.title and meta.get("title"):
        ex.title = meta["title"]
        ex.title_derived = False
    if not ex.byline and meta.get("author"):
        ex.byline = meta["author"]
    if meta.get("published_at") and ex.published_at is None:
        ex.published_at = datetime.fromisoformat(meta["published_at"])
        ex.published_at_source = "feed"


def extract_items(doc: dict[str, Any]) -> list[ItemResult]:
    """Decode and extract one archived document into items (one, or one per JSONL line)."""
    raw_id = int(doc["id"])
    source_name = doc.get("feed_source")
    base = {"raw_document_id": raw_id, "origin": doc["origin"], "source_name": source_name}
    body = zlib.decompress(doc["body"]) if doc["body"] is not None else b""
    try:
        text, repairs = decode.decode_bytes(body, doc.get("charset"))
    except (decode.BinaryContentError, decode.EmptyDocumentError) as exc:
        return [ItemResult(item_no=0, stage="decode", reasons=[str(exc)], **base)]

    media = doc.get("media_type") or "text/plain"
    context = DocumentContext(
        origin=doc["origin"],
        url=doc.get("url"),
        media_type=media,
        partition_date=doc.get("partition_date"),
        fetched_at=doc.get("fetched_at"),
        entry_meta=doc.get("entry_meta"),
        locator=doc.get("locator"),
    )
    results: list[ItemResult] = []
    if media == "application/jsonl":
        for line_no, line in inbox_files.iter_jsonl_lines(text):
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
                ex = extract.extract_jsonl_record(obj, context=context)
            except (ValueError, TypeError) as exc:
                reason = f"line {line_no}: {exc}"
                results.append(
                    ItemResult(item_no=line_no, stage="extract", reasons=[reason], **base)
                )
                continue
            ex.repairs = repairs + ex.repairs
            results.append(ItemResult(item_no=line_no, extracted=ex, **base))
        if not results:
            results.append(
                ItemResult(
                    item_no=0, stage="extract", reasons=["JSONL file has no records"], **base
                )
            )
        return results
    try:
        if media in ("text/html", "application/xhtml+xml"):
            ex = extract.extract_html(text, url=doc.get("url"), context=context)
        else:
            ex = extract.extract_text(text, context=context)
    except ValueError as exc:
        return [ItemResult(item_no=0, stage="extract", reasons=[str(exc)], **base)]
    ex.repairs = repairs + ex.repairs
    if doc.get("url") and not ex.url:
        ex.url = doc["url"]
    _entry_meta_fallback(ex, doc.get("entry_meta"))
    if ex.source is None and source_name:
        ex.source = source_name
    return [ItemResult(item_no=0, extracted=ex, **base)]


def normalize_item(item: ItemResult, doc: dict[str, Any]) -> None:
    assert item.extracted is not None
    try:
        fallback = doc.get("fetched_at") if doc["origin"] in ("page", "feed") else None
        item.normalized = normalize.normalize(
            item.extracted,
            extractor_version=extract.EXTRACTOR_VERSION,
            fallback_published_at=fallback,
            fallback_published_at_source="fetch-time" if fallback else None,
        )
        if item.normalized.source:
            item.source_name = item.normalized.source
    except ValueError as exc:
        item.stage, item.reasons = "extract", [str(exc)]


def article_row(
    article_id: int, item: ItemResult, art: Normalized, signature: bytes | None, run_id: int
) -> tuple[Any, ...]:
    """One ``stage_articles`` row (columns as in ``store.STAGING``)."""
    return (
        article_id,
        item.raw_document_id,
        item.item_no,
        item.source_name,
        art.url,
        art.canonical_url,
        art.title,
        art.title_derived,
        art.byline,
        art.published_at,
        art.published_at_source,
        art.language,
        art.text,
        store.as_json(art.summary_points),
        store.as_json(art.cited_sources),
        store.as_json(art.repairs),
        art.word_count,
        art.content_hash,
        signature,
        art.extractor_version,
        run_id,
    )


def _promote(conn: Conn, run_id: int, item: ItemResult, art: Normalized, decision: Any) -> bool:
    """Run promote_earlier_copy.sql for an earlier-published copy; False when its text equals a
    third article's (the content hash must stay unique), so it stays a duplicate."""
    clash = conn.execute(
        "SELECT 1 FROM news.articles WHERE content_hash = %s AND id <> %s",
        (art.content_hash, decision.duplicate_of),
    ).fetchone()
    if clash:
        return False
    if item.source_name:
        conn.execute(
            "INSERT INTO news.sources (name) VALUES (%s) ON CONFLICT (name) DO NOTHING",
            (item.source_name,),
        )
    row = article_row(decision.duplicate_of, item, art, decision.signature, run_id)
    names = [c.strip().split()[0] for c in store.STAGING["stage_articles"].split(",")]
    params = dict(zip(names, row, strict=True))
    params.update(
        source=params.pop("source_name"),
        method=decision.method,
        score=decision.score,
        threshold=decision.threshold,
        run_id=run_id,
    )
    conn.execute(db.sql("load/promote_earlier_copy"), params)
    return True


def _record_json(item: ItemResult) -> str:
    data: dict[str, Any] = {}
    if item.normalized is not None:
        data = asdict(item.normalized)
        data["text"] = data["text"][:2000]
    elif item.extracted is not None:
        data = asdict(item.extracted)
        data["text"] = data["text"][:2000]
    return store.as_json(data)


def process_run(conn: Conn, run_id: int, settings: Settings | None = None) -> dict[str, Any]:
    """Process the run's pending documents: extract, normalise, validate, dedupe and load.

    One transaction under the load lock: either the whole batch lands or nothing does (and the
    documents stay pending for a retry)."""
    settings = settings or get_settings()
    docs = conn.execute(db.sql("ingest/pending_documents"), {"run_id": run_id}).fetchall()
    items: list[ItemResult] = []
    doc_by_id = {int(d["id"]): d for d in docs}
    for doc in docs:
        try:
            produced = extract_items(doc)
            for item in produced:
                if item.extracted is not None and item.stage is None:
                    normalize_item(item, doc)
        except Exception as exc:  # a bug in extraction must not sink the whole batch
            log.exception("extraction failed for raw document %s", doc["id"])
            produced = [
                ItemResult(
                    raw_document_id=int(doc["id"]),
                    item_no=0,
                    origin=doc["origin"],
                    source_name=None,
                    stage="failed",
                    reasons=[f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=3)],
                )
            ]
        items.extend(produced)

    candidates = [i for i in items if i.normalized is not None and i.stage is None]
    outcome = validate.validate_batch(
        [c.normalized for c in candidates if c.normalized is not None], settings=settings
    )
    for row, reasons in outcome.failures.items():
        candidates[row].stage, candidates[row].reasons = "validate", reasons
    valid = [c for c in candidates if c.stage is None]

    def order(item: ItemResult) -> tuple[Any, ...]:
        published = item.normalized.published_at if item.normalized else None
        return (
            published is None,
            published or datetime.min.replace(tzinfo=UTC),
            item.raw_document_id,
            item.item_no,
        )

    valid.sort(key=order)
    batch: dict[str, list[Any]] = {k: [] for k in store.STAGING}
    states: dict[str, int] = {}
    article_id: int | None
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (db.LOAD_LOCK_KEY,))
        # A concurrent run (backfill days run in parallel) may have processed a document this
        # run also queued: it is already ingested, not something to decide again.
        settled = {
            int(r["raw_document_id"])
            for r in conn.execute(
                db.sql("ingest/settled_documents"), {"ids": list(doc_by_id)}
            ).fetchall()
        }
        for item in [i for i in items if i.raw_document_id in settled]:
            batch["stage_outcomes"].append(
                (
                    run_id,
                    item.raw_document_id,
                    item.item_no,
                    "already-ingested",
                    None,
                    "processed by a concurrent run",
                )
            )
            states["already-ingested"] = states.get("already-ingested", 0) + 1
        items = [i for i in items if i.raw_document_id not in settled]
        valid = [i for i in valid if i.raw_document_id not in settled]
        dedup = Deduplicator(conn)
        new_ids = iter(store.allocate_ids(conn, "news.articles_id_seq", len(valid)))
        for item in valid:
            art = item.normalized
            assert art is not None
            cand = Candidate(item.raw_document_id, item.item_no, item.origin, item.source_name, art)
            decision = dedup.decide(cand)
            if decision.kind == "promote" and not _promote(conn, run_id, item, art, decision):
                decision.kind = "duplicate"  # its text equals a third article: keep it a copy
            if decision.kind == "promote":
                assert decision.duplicate_of is not None
                batch["stage_bands"].extend(
                    (b, h, decision.duplicate_of) for b, h in decision.band_keys
                )
                dedup.register(decision.duplicate_of, cand, decision)
                state, article_id = "stored", decision.duplicate_of
                detail = (
                    f"earlier copy: took the place of article {article_id}, whose later copy is "
                    f"now its {decision.method} duplicate"
                )
            elif decision.kind == "duplicate":
                batch["stage_duplicates"].append(
                    (
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
                        run_id,
                    )
                )
                state, article_id, detail = (
                    "duplicate",
                    decision.duplicate_of,
                    f"{decision.method} duplicate of article {decision.duplicate_of} (score {decision.score:.3f})",
                )
            else:
                article_id = decision.duplicate_of if decision.kind == "update" else next(new_ids)
                assert article_id is not None
                if item.source_name:
                    batch["stage_sources"].append((item.source_name,))
                batch["stage_articles"].append(
                    article_row(article_id, item, art, decision.signature, run_id)
                )
                batch["stage_bands"].extend((b, h, article_id) for b, h in decision.band_keys)
                dedup.register(article_id, cand, decision)
                state = "updated" if decision.kind == "update" else "stored"
                detail = None
            batch["stage_outcomes"].append(
                (run_id, item.raw_document_id, item.item_no, state, article_id, detail)
            )
            states[state] = states.get(state, 0) + 1
        for item in items:
            if item.stage is None:
                continue
            if item.stage == "failed":
                state = "failed"
            else:
                state = "quarantined"
                batch["stage_quarantine"].append(
                    (
                        item.raw_document_id,
                        item.item_no,
                        item.stage,
                        store.as_json(item.reasons),
                        _record_json(item),
                        run_id,
                    )
                )
            batch["stage_outcomes"].append(
                (
                    run_id,
                    item.raw_document_id,
                    item.item_no,
                    state,
                    None,
                    "; ".join(item.reasons)[:1000],
                )
            )
            states[state] = states.get(state, 0) + 1
        store.load_batch(conn, batch)
        conn.execute(
            "UPDATE news.ingest_runs SET validation = %s WHERE id = %s",
            (store.as_json(outcome.summary), run_id),
        )
    return {
        "documents": len(doc_by_id),
        "items": len(items),
        "states": states,
        "validation_success": outcome.summary.get("success"),
    }


# --------------------------------------------------------------------------- one call
def ingest_inbox(
    *,
    dag_id: str = "cli",
    run_id: str | None = None,
    inbox: Path | None = None,
    interval_start: datetime | None = None,
    interval_end: datetime | None = None,
    url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Scan, process and finish in one go (the CLI path; the DAG runs the same steps as tasks)."""
    settings = get_settings()
    run_id = run_id or f"cli__{datetime.now(UTC).isoformat()}"
    with db.connect(url) as conn:
        rid = start_run(
            conn,
            dag_id=dag_id,
            run_id=run_id,
            interval_start=interval_start,
            interval_end=interval_end,
        )
        conn.commit()
        archive_inbox(
            conn,
            rid,
            inbox or settings.inbox,
            interval_start=interval_start,
            interval_end=interval_end,
            settings=settings,
            progress=progress,
        )
        process_run(conn, rid, settings)
        summary = finish_run(conn, rid)
        conn.commit()
    return summary
