"""Re-extraction from the raw archive (the ``news_reprocess`` DAG).

For the archived documents of a date range (and optionally some sources) whose articles were
extracted by another extractor version than the current one (or a given one), extract again:
an article whose text or extractor version changed becomes a new version (the previous one is
kept in ``article_versions``), its MinHash bands are replaced, and it is detached from its event
so that ``news_events`` clusters it again (the events it leaves are rebuilt from their remaining
members). A re-extraction that fails or no longer validates keeps the stored version and says
why in the run's outcomes: nothing stored is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

from newsflow import db, events, extract, ingest, neardup, normalize, stages, staging
from newsflow.db import Conn
from newsflow.dedupe import content_hash_owner
from newsflow.settings import get_settings
from newsflow.stages import Document
from newsflow.staging import BandRow, Batch, OutcomeRow, SourceRow
from newsflow.states import DocState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    start: date | None = None  # inclusive, on the document's partition date (or fetch date)
    end: date | None = None  # inclusive
    sources: tuple[str, ...] = ()
    extractor_version: str | None = None  # only articles made by this version; None: any other
    force: bool = False  # re-extract even articles already at the current version


def select_documents(conn: Conn, sel: Selection) -> list[Document]:
    rows = db.fetch_all(
        conn,
        "reprocess/documents",
        {
            "start": sel.start,
            "end": sel.end,
            "sources": list(sel.sources) or None,
            "version": sel.extractor_version,
            "current": extract.EXTRACTOR_VERSION,
            "force": sel.force,
        },
    )
    return [Document.from_row(r) for r in rows]


class ReprocessCounts(TypedDict):
    documents: int
    updated: int
    unchanged: int
    kept: int
    events_detached: int


def _kept(run_id: int, key: tuple[int, int], article_id: int, why: str) -> OutcomeRow:
    """The re-extraction is not used; the stored version stays, and the outcome says why."""
    return OutcomeRow(run_id, *key, DocState.FAILED, article_id, why)


def reprocess(conn: Conn, run_id: int, sel: Selection) -> ReprocessCounts:
    """Re-extract the selected documents: prepare and validate as ingestion does, then decide
    by version (changed text or extractor: a new version; unchanged: nothing) and load.
    Does not commit; the caller owns the transaction."""
    settings = get_settings()
    docs = select_documents(conn, sel)
    counts = ReprocessCounts(documents=len(docs), updated=0, unchanged=0, kept=0, events_detached=0)
    items = [item for doc in docs for item in stages.prepare(doc)]
    stored = db.fetch_all(
        conn,
        "reprocess/existing_articles",
        {
            "ids": [d.id for d in docs],
            "sources": list(sel.sources) or None,
            "version": sel.extractor_version,
            "current": extract.EXTRACTOR_VERSION,
            "force": sel.force,
        },
    )
    existing = {(int(r["raw_document_id"]), int(r["item_no"])): r for r in stored}
    items = _paired(items, existing)
    batch = Batch()
    for item in items:  # re-extraction failed before validation: the stored version stays
        if not item.standing:
            key = (item.raw_document_id, item.item_no)
            reasons = "; ".join(item.reasons)[:900]
            stage = item.stopped_at or "extraction"
            why = f"re-extraction failed at {stage}, stored version kept: {reasons}"
            batch.outcomes.append(_kept(run_id, key, int(existing[key]["id"]), why))
            counts["kept"] += 1
    candidates = [i for i in items if i.standing]
    stages.validate_items(candidates, settings)
    changed: dict[int, str] = {}  # article id -> previous text
    claimed: dict[str, int] = {}  # content hash -> the article re-extracted to it in this run
    ingest.lock_loading(conn)
    for item in candidates:
        key = (item.raw_document_id, item.item_no)
        old = existing[key]
        article_id = int(old["id"])
        art = item.normalized
        if not item.standing or art is None:
            why = "re-extraction failed validation, stored version kept: " + "; ".join(item.reasons)
            batch.outcomes.append(_kept(run_id, key, article_id, why))
            counts["kept"] += 1
            continue
        if (
            old["content_hash"] == art.content_hash
            and old["extractor_version"] == art.extractor_version
            and old["title"] == art.title
            and (art.published_at is None or old["published_at"] == art.published_at)
        ):
            batch.outcomes.append(
                OutcomeRow(run_id, *key, DocState.ALREADY_INGESTED, article_id, None)
            )
            counts["unchanged"] += 1
            continue
        text_changed = old["content_hash"] != art.content_hash
        clash = None
        if text_changed:  # its new text must be no other article's, stored or re-extracted
            clash = claimed.get(art.content_hash) or content_hash_owner(
                conn, art.content_hash, exclude=article_id
            )
        if clash is not None:
            why = f"re-extracted text equals article {clash}; stored version kept"
            batch.outcomes.append(_kept(run_id, key, article_id, why))
            counts["kept"] += 1
            continue
        claimed[art.content_hash] = article_id
        fp = item.fingerprint or neardup.fingerprint(art.text)
        batch.articles.append(stages.article_row(article_id, item, art, fp.signature, run_id))
        if item.source_name:
            batch.sources.append(SourceRow(item.source_name))
        batch.bands.extend(BandRow(b, h, article_id) for b, h in fp.keys)
        if (
            old["text"] != art.text  # (not the hash: its definition may change too)
            or old["title"] != art.title
            or old["title_derived"] != art.title_derived
            or (art.published_at is not None and old["published_at"] != art.published_at)
        ):
            # what its event features are made of changed: clustered again. Only a new
            # extractor version is no reason to move it (its event kept its id only by luck
            # when its members came back later than newer articles)
            changed[article_id] = old["text"]
        batch.outcomes.append(
            OutcomeRow(
                run_id,
                *key,
                DocState.UPDATED,
                article_id,
                f"extractor {old['extractor_version']} -> {art.extractor_version}"
                + ("" if text_changed else "; title or date corrected"),
            )
        )
        counts["updated"] += 1
    db.execute(conn, "reprocess/sightings", {"run_id": run_id, "ids": [d.id for d in docs]})
    staging.load_batch(conn, batch)
    if changed:
        detach_from_events(conn, changed)
    counts["events_detached"] = len(changed)
    return counts


def _paired(items: list[stages.Item], by_key: dict[tuple[int, int], Any]) -> list[stages.Item]:
    """The re-extracted items that have a stored article to update, each carrying that
    article's (raw document, item) key. A document's single item is its article. A record of
    a JSONL file that has a URL is paired with the stored article of the same file and URL:
    line numbers move when the way lines are read changes (a record once cut in two at a
    U+2028), and pairing by number alone overwrote one story with another. A record without a
    URL is paired by its line number, as long as that article has no URL either. ``by_key``:
    the stored articles by (raw document, item)."""
    by_url: dict[tuple[int, str], Any] = {}
    for row in by_key.values():
        if row["url"]:
            by_url.setdefault((int(row["raw_document_id"]), _url_key(row["url"])), row)
    out: list[stages.Item] = []
    taken: set[int] = set()
    for item in items:
        url = item.extracted.url if item.extracted is not None else None
        if item.item_no > 0 and url:
            match = by_url.get((item.raw_document_id, _url_key(url)))
            same_line = by_key.get((item.raw_document_id, item.item_no))
            if match is None and same_line is not None and not same_line["url"]:
                match = same_line  # stored without its URL (dropped as invalid)
        else:
            match = by_key.get((item.raw_document_id, item.item_no))
            if match is not None and item.item_no > 0 and match["url"]:
                match = None  # that line's article had a URL, this record has none
        if match is None or int(match["id"]) in taken:
            continue  # nothing stored from this record: not reprocessing's to add
        taken.add(int(match["id"]))
        item.item_no = int(match["item_no"])
        out.append(item)
    return out


def _url_key(url: str) -> str:
    return normalize.canonicalize_url(url) or url.strip()


def detach_from_events(conn: Conn, previous_texts: dict[int, str]) -> None:
    """Take changed articles out of their events so news_events clusters them again (see
    :func:`newsflow.events.detach`: emptied events are retired, and revived by their articles)."""
    events.detach(conn, previous_texts)
