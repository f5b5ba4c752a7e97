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
from typing import TypedDict

from newsflow import db, events, extract, ingest, neardup, stages, staging
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
    existing = {
        (int(r["raw_document_id"]), int(r["item_no"])): r
        for r in db.fetch_all(conn, "reprocess/existing_articles", {"ids": [d.id for d in docs]})
    }
    items = [i for i in items if (i.raw_document_id, i.item_no) in existing]
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
        ):
            batch.outcomes.append(
                OutcomeRow(run_id, *key, DocState.ALREADY_INGESTED, article_id, None)
            )
            counts["unchanged"] += 1
            continue
        clash = content_hash_owner(conn, art.content_hash, exclude=article_id)
        if clash is not None:
            why = f"re-extracted text equals article {clash}; stored version kept"
            batch.outcomes.append(_kept(run_id, key, article_id, why))
            counts["kept"] += 1
            continue
        fp = item.fingerprint or neardup.fingerprint(art.text)
        batch.articles.append(stages.article_row(article_id, item, art, fp.signature, run_id))
        if item.source_name:
            batch.sources.append(SourceRow(item.source_name))
        batch.bands.extend(BandRow(b, h, article_id) for b, h in fp.keys)
        changed[article_id] = old["text"]
        batch.outcomes.append(
            OutcomeRow(
                run_id,
                *key,
                DocState.UPDATED,
                article_id,
                f"extractor {old['extractor_version']} -> {art.extractor_version}",
            )
        )
        counts["updated"] += 1
    db.execute(conn, "reprocess/sightings", {"run_id": run_id, "ids": [d.id for d in docs]})
    staging.load_batch(conn, batch)
    if changed:
        detach_from_events(conn, changed)
    counts["events_detached"] = len(changed)
    return counts


def detach_from_events(conn: Conn, previous_texts: dict[int, str]) -> None:
    """Take changed articles out of their events so news_events clusters them again (see
    :func:`newsflow.events.detach`: emptied events are retired, and revived by their articles)."""
    events.detach(conn, previous_texts)
