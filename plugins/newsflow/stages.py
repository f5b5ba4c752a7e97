"""The stages every archived document goes through: prepare, validate, decide, load.

* :func:`prepare` decodes, extracts and normalises one archived document into items (one, or
  one per JSONL line). Bad input stops the item at the stage it failed with a readable reason;
  an unexpected error stops the document as ``failed`` (retried by a later run).
* :func:`validate` runs the great-expectations suite over the items still standing.
* deciding (duplicates for ingestion, versions for reprocessing) is the composition's own:
  :mod:`newsflow.ingest` and :mod:`newsflow.reprocess`.
* :func:`settle_stopped` turns stopped items into quarantine and outcome rows, and
  :func:`newsflow.staging.load_batch` writes a batch.

Every stage is a small function over typed items, so that ingestion and reprocessing are two
compositions of the same parts.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from newsflow import archive, decode, extract, neardup, normalize, validate
from newsflow.jsonutil import as_json
from newsflow.records import DocumentContext, Extracted, Normalized
from newsflow.settings import Settings
from newsflow.staging import ArticleRow, Batch, OutcomeRow, QuarantineRow
from newsflow.states import DocState, Stage
from newsflow.text import make_encodable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Document:
    """An archived document as processing reads it (``ingest/pending_documents.sql``)."""

    id: int
    origin: str
    locator: str
    url: str | None
    media_type: str | None
    charset: str | None
    codec: str  # how the body is compressed ('zstd', 'zlib')
    body: bytes | None  # as stored (compressed)
    entry_meta: dict[str, Any] | None
    fetched_at: datetime | None
    partition_date: date | None
    feed_source: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Document:
        return cls(
            id=int(row["id"]),
            origin=row["origin"],
            locator=row["locator"],
            url=row["url"],
            media_type=row["media_type"],
            charset=row["charset"],
            codec=row.get("codec") or "zlib",
            body=row["body"],
            entry_meta=row["entry_meta"],
            fetched_at=row["fetched_at"],
            partition_date=row.get("partition_date"),
            feed_source=row.get("feed_source"),
        )


@dataclass
class Item:
    """One article candidate on its way through the stages: a document, or one JSONL line."""

    raw_document_id: int
    item_no: int
    origin: str
    feed_source: str | None  # the source of the feed it came from, if any
    extracted: Extracted | None = None
    normalized: Normalized | None = None
    stopped_at: Stage | None = None  # the stage that refused the input (quarantine)
    failed: bool = False  # stopped by a transient error, not by the input (retried)
    reasons: list[str] = field(default_factory=list)
    # the traceback when the code raised on this input (kept in the record)
    trace: str | None = None
    # the text's MinHash, made while preparing (in parallel, outside the load lock)
    fingerprint: neardup.Fingerprint | None = None

    @property
    def source_name(self) -> str | None:
        """The source the article is stored under: the one it names (after validation's
        repairs, which drop one that is not a name), else its feed's."""
        named = self.normalized.source if self.normalized is not None else None
        return named or self.feed_source

    @property
    def standing(self) -> bool:
        """Still on its way: neither refused nor failed."""
        return self.stopped_at is None and not self.failed

    def stop(self, stage: Stage, reasons: list[str]) -> None:
        self.stopped_at, self.reasons = stage, reasons


def _entry_meta_fallback(ex: Extracted, meta: Mapping[str, Any] | None) -> None:
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


# JSON Lines end at LF (CRLF and CR taken too): never at U+2028, U+2029 or U+0085, which a
# JSON string may hold as they are (str.splitlines() breaks at them, cutting a record in two).
_JSONL_LINE_END_RE = re.compile(r"\r\n|\n|\r")


def iter_jsonl_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) for every non-blank line."""
    for number, line in enumerate(_JSONL_LINE_END_RE.split(text), start=1):
        if line.strip():
            yield number, line


def _unreadable(exc: BaseException) -> str:
    """A sentence for an input that made the code raise (deterministically: same bytes, same
    error), without a traceback."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to be read (more levels than newsflow accepts)"
    message = str(exc).strip() or "no further detail"
    return f"could not be read ({type(exc).__name__}: {message[:300]})"


def context_of(doc: Document) -> DocumentContext:
    """What extraction may know about a document beyond its bytes (where and when it came
    from): the inbox folder's date, the feed entry, the fetch time."""
    return DocumentContext(
        origin=doc.origin,
        url=doc.url,
        media_type=doc.media_type or "text/plain",
        partition_date=doc.partition_date,
        fetched_at=doc.fetched_at,
        entry_meta=doc.entry_meta,
        locator=doc.locator,
    )


def _decode_jsonl(body: bytes, charset: str | None) -> tuple[str, dict[int, list[str]]]:
    """A JSONL file that is not clean UTF-8, decoded line by line: files written by different
    tools and joined hold lines in different encodings, and one decision for the whole file
    garbled the UTF-8 lines (or the others). The text and each line's decoding repairs, by
    line number (LF-separated lines; the text keeps the numbering)."""
    lines: list[str] = []
    repairs: dict[int, list[str]] = {}
    for number, raw in enumerate(body.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            text, done = decode.decode_bytes(raw, charset)
        except (decode.BinaryContentError, decode.EmptyDocumentError):
            text, done = raw.decode("utf-8", errors="replace"), ["invalid-utf8: line replaced"]
        lines.append(text.replace("\n", " "))  # a decoder's newline must not make a line
        repairs[number] = done
    return "\n".join(lines), repairs


def _extract_jsonl(
    doc: Document, text: str, repairs: list[str], by_line: dict[int, list[str]] | None = None
) -> list[Item]:
    """One item per non-blank line: a line is the unit, so one bad line (broken JSON, a
    record that makes the parser give up) is quarantined and every other line goes on.
    ``repairs`` apply to every line, ``by_line`` to one (see :func:`_decode_jsonl`)."""
    items: list[Item] = []
    context = context_of(doc)
    by_line = by_line or {}
    for line_no, line in iter_jsonl_lines(text):
        item = Item(doc.id, line_no, doc.origin, doc.feed_source)
        line_repairs: list[str] = list(by_line.get(line_no, ()))
        if line.startswith("\ufeff"):  # files joined with `cat`, each saved with a BOM
            line = line[1:]
            line_repairs.append("bom-removed")
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
            item.extracted = extract.extract_jsonl_record(obj, context=context)
        except (ValueError, TypeError) as exc:
            item.stop(Stage.EXTRACT, [f"line {line_no}: {exc}"])
        except MemoryError:
            raise
        except Exception as exc:  # deterministic for these bytes: quarantine the line
            item.stop(Stage.EXTRACT, [f"line {line_no}: {_unreadable(exc)}"])
        else:
            item.extracted.repairs = repairs + line_repairs + item.extracted.repairs
        items.append(item)
    if not items:
        empty = Item(doc.id, 0, doc.origin, doc.feed_source)
        empty.stop(Stage.EXTRACT, ["JSONL file has no records"])
        items.append(empty)
    return items


def extract_items(doc: Document) -> list[Item]:
    """Decode and extract one archived document into items (one, or one per JSONL line)."""
    body = archive.decompress(doc.body, doc.codec)
    item = Item(doc.id, 0, doc.origin, doc.feed_source)
    try:
        text, repairs = decode.decode_bytes(body, doc.charset)
    except (decode.BinaryContentError, decode.EmptyDocumentError) as exc:
        item.stop(Stage.DECODE, [str(exc)])
        return [item]
    media = doc.media_type or "text/plain"
    if media == "application/jsonl":
        declared = (doc.charset or "").lower().replace("_", "-")
        # UTF-16/32 (a byte order mark, the label, or found without either): the file is
        # decoded whole, as its lines cannot be split as bytes
        wide = (
            body.startswith(decode.WIDE_BOMS)
            or declared.startswith(("utf-16", "utf-32", "utf16", "utf32"))
            or any(r.startswith(decode.BOM_MISSING) for r in repairs)
        )
        if repairs and not wide:  # not clean UTF-8: decoded line by line
            lines_text, by_line = _decode_jsonl(body, doc.charset)
            return _extract_jsonl(doc, lines_text, [], by_line)
        return _extract_jsonl(doc, text, repairs)
    try:
        context = context_of(doc)
        if media in ("text/html", "application/xhtml+xml"):
            ex = extract.extract_html(text, url=doc.url, context=context)
        else:
            ex = extract.extract_text(text, context=context)
    except ValueError as exc:
        item.stop(Stage.EXTRACT, [str(exc)])
        return [item]
    ex.repairs = repairs + ex.repairs
    if doc.url and not ex.url:
        ex.url = doc.url
    _entry_meta_fallback(ex, doc.entry_meta)
    if ex.source is None and doc.feed_source:
        ex.source = doc.feed_source
    item.extracted = ex
    return [item]


def normalize_item(item: Item, doc: Document) -> None:
    assert item.extracted is not None
    try:
        item.normalized = normalize.normalize(
            item.extracted, extractor_version=extract.EXTRACTOR_VERSION
        )
    except ValueError as exc:
        item.stop(Stage.EXTRACT, [str(exc)])


def prepare(doc: Document) -> list[Item]:
    """Decode, extract and normalise one document. Never raises.

    Extraction is a pure function of the archived bytes, so an error it raises would be raised
    again on every run: the document is quarantined at ``extract`` with a readable reason (the
    traceback goes to the log). Only running out of memory is taken as transient: the
    document is ``failed`` and retried by a later run, a bounded number of times (see
    :func:`newsflow.archive.archive`)."""
    try:
        items = extract_items(doc)
        for item in items:
            if item.extracted is not None and item.standing:
                normalize_item(item, doc)
            if item.normalized is not None and item.standing:
                # here, in parallel, rather than while the batch holds the load lock
                item.fingerprint = neardup.fingerprint(item.normalized.text)
        return items
    except MemoryError:
        log.exception("out of memory extracting raw document %s", doc.id)
        failed = Item(doc.id, 0, doc.origin, None, failed=True)
        failed.reasons = ["ran out of memory during extraction; it will be retried"]
        return [failed]
    except Exception as exc:  # a bug hit by this input must not sink the batch
        log.exception("extraction raised for raw document %s (%s)", doc.id, doc.locator)
        item = Item(doc.id, 0, doc.origin, None)
        item.stop(Stage.EXTRACT, [f"extraction failed: {_unreadable(exc)}"])
        item.trace = traceback.format_exc(limit=5)
        return [item]


def validate_items(items: list[Item], settings: Settings) -> dict[str, Any]:
    """Run the suite over the standing items; refused ones stop at ``validate``. The summary.

    Should great-expectations itself raise on the batch (it did, on a lone surrogate in a
    title, before normalisation made every text encodable), each item is validated on its own so that only
    the item that makes it raise is quarantined."""
    candidates = [i for i in items if i.standing and i.normalized is not None]
    try:
        return _validate(candidates, settings)
    except Exception:
        log.exception(
            "validating the batch raised; validating its %d items one by one", len(candidates)
        )
    summary: dict[str, Any] = {"success": True, "evaluated": 0, "one_by_one": True}
    for item in candidates:
        try:
            one = _validate([item], settings)
        except Exception as exc:
            item.stop(Stage.VALIDATE, [f"could not be validated: {_unreadable(exc)}"])
            summary["success"] = False
            continue
        summary["evaluated"] += 1
        summary["success"] = summary["success"] and bool(one.get("success"))
    return summary


def _validate(candidates: list[Item], settings: Settings) -> dict[str, Any]:
    outcome = validate.validate_batch(
        [c.normalized for c in candidates if c.normalized is not None], settings=settings
    )
    for row, reasons in outcome.failures.items():
        candidates[row].stop(Stage.VALIDATE, reasons)
    for expectation in outcome.summary.get("expectations") or []:  # rows -> documents
        expectation["examples"] = [
            {"raw_document_id": candidates[row].raw_document_id, "item_no": candidates[row].item_no}
            for row in expectation.get("examples") or []
            if row < len(candidates)
        ]
    return outcome.summary


def record_json(item: Item) -> str:
    """What was extracted (text cut to 2,000 characters), kept with a quarantined item."""
    data: dict[str, Any] = {}
    if item.normalized is not None:
        data = asdict(item.normalized)
    elif item.extracted is not None:
        data = asdict(item.extracted)
    if data:
        data["text"] = data["text"][:2000]
    if item.trace:
        data["traceback"] = item.trace
    return as_json(data)


def settle_stopped(items: list[Item], run_id: int, batch: Batch) -> dict[str, int]:
    """Quarantine and outcome rows for the items that stopped; their states counted."""
    states: dict[str, int] = {}
    for item in items:
        if item.standing:
            continue
        if item.failed:
            state = DocState.FAILED
        else:
            state = DocState.QUARANTINED
            assert item.stopped_at is not None
            batch.quarantine.append(
                QuarantineRow(
                    item.raw_document_id,
                    item.item_no,
                    item.stopped_at,
                    as_json(item.reasons),
                    record_json(item),
                    run_id,
                )
            )
        batch.outcomes.append(
            OutcomeRow(
                run_id,
                item.raw_document_id,
                item.item_no,
                state,
                None,
                make_encodable("; ".join(item.reasons)[:1000])[0],
            )
        )
        states[state.value] = states.get(state.value, 0) + 1
    return states


def article_row(
    article_id: int, item: Item, art: Normalized, signature: bytes | None, run_id: int
) -> ArticleRow:
    return ArticleRow(
        id=article_id,
        raw_document_id=item.raw_document_id,
        item_no=item.item_no,
        source_name=item.source_name,
        url=art.url,
        canonical_url=art.canonical_url,
        title=art.title,
        title_derived=art.title_derived,
        byline=art.byline,
        published_at=art.published_at,
        published_at_source=art.published_at_source,
        language=art.language,
        text=art.text,
        summary_points=as_json(art.summary_points),
        cited_sources=as_json(art.cited_sources),
        repairs=as_json(art.repairs),
        word_count=art.word_count,
        content_hash=art.content_hash,
        minhash=signature,
        extractor_version=art.extractor_version,
        first_run_id=run_id,
        title_key=neardup.title_key(art.title),
    )
