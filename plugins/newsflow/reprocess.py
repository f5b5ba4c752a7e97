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
from typing import Any

from newsflow import db, events, extract, neardup, pipeline, store, validate
from newsflow.db import Conn
from newsflow.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    start: date | None = None  # inclusive, on the document's partition date (or fetch date)
    end: date | None = None  # inclusive
    sources: tuple[str, ...] = ()
    extractor_version: str | None = None  # only articles made by this version; None: any other
    force: bool = False  # re-extract even articles already at the current version


def select_documents(conn: Conn, sel: Selection) -> list[dict[str, Any]]:
    return conn.execute(
        db.sql("reprocess/documents"),
        {
            "start": sel.start,
            "end": sel.end,
            "sources": list(sel.sources) or None,
            "version": sel.extractor_version,
            "current": extract.EXTRACTOR_VERSION,
            "force": sel.force,
        },
    ).fetchall()


def reprocess(conn: Conn, run_id: int, sel: Selection) -> dict[str, Any]:
    settings = get_settings()
    docs = select_documents(conn, sel)
    counts = {"documents": len(docs), "updated": 0, "unchanged": 0, "kept": 0}
    items: list[pipeline.ItemResult] = []
    for doc in docs:
        for item in pipeline.extract_items(doc):
            if item.extracted is not None and item.stage is None:
                pipeline.normalize_item(item, doc)
            items.append(item)
    existing = {
        (int(r["raw_document_id"]), int(r["item_no"])): r
        for r in conn.execute(
            "SELECT id, raw_document_id, item_no, content_hash, extractor_version, text "
            "FROM news.articles WHERE raw_document_id = ANY(%s)",
            ([int(d["id"]) for d in docs],),
        ).fetchall()
    }
    candidates = [
        i
        for i in items
        if i.normalized is not None
        and i.stage is None
        and (i.raw_document_id, i.item_no) in existing
    ]
    outcome = validate.validate_batch(
        [c.normalized for c in candidates if c.normalized], settings=settings
    )
    batch: dict[str, list[Any]] = {k: [] for k in store.STAGING}
    for item in items:  # re-extraction failed before validation: the stored version stays
        key = (item.raw_document_id, item.item_no)
        if item.stage is not None and key in existing:
            reasons = "; ".join(item.reasons)[:900]
            batch["stage_outcomes"].append(
                (
                    run_id,
                    *key,
                    "failed",
                    int(existing[key]["id"]),
                    f"re-extraction failed at {item.stage}, stored version kept: {reasons}",
                )
            )
            counts["kept"] += 1
    changed: dict[int, str] = {}  # article id -> previous text
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (db.LOAD_LOCK_KEY,))
        for row_no, item in enumerate(candidates):
            art = item.normalized
            assert art is not None
            old = existing[(item.raw_document_id, item.item_no)]
            article_id = int(old["id"])
            detail: str | None = None
            if row_no in outcome.failures:
                state, detail = (
                    "failed",
                    "re-extraction failed validation, stored version kept: "
                    + "; ".join(outcome.failures[row_no]),
                )
                counts["kept"] += 1
            elif (
                old["content_hash"] == art.content_hash
                and old["extractor_version"] == art.extractor_version
            ):
                state = "already-ingested"
                counts["unchanged"] += 1
            else:
                clash = conn.execute(
                    "SELECT id FROM news.articles WHERE content_hash = %s AND id <> %s",
                    (art.content_hash, article_id),
                ).fetchone()
                if clash:
                    state, detail = (
                        "failed",
                        f"re-extracted text equals article {clash['id']}; stored version kept",
                    )
                    counts["kept"] += 1
                else:
                    fp = neardup.fingerprint(art.text)
                    batch["stage_articles"].append(
                        pipeline.article_row(article_id, item, art, fp.signature, run_id)
                    )
                    if item.source_name:
                        batch["stage_sources"].append((item.source_name,))
                    batch["stage_bands"].extend((b, h, article_id) for b, h in fp.keys)
                    changed[article_id] = old["text"]
                    state, detail = (
                        "updated",
                        f"extractor {old['extractor_version']} -> {art.extractor_version}",
                    )
                    counts["updated"] += 1
            batch["stage_outcomes"].append(
                (run_id, item.raw_document_id, item.item_no, state, article_id, detail)
            )
        conn.execute(
            "INSERT INTO news.document_sightings (run_id, locator, raw_document_id) "
            "SELECT %s, r.locator, r.id FROM news.raw_documents r WHERE r.id = ANY(%s) "
            "ON CONFLICT DO NOTHING",
            (run_id, [int(d["id"]) for d in docs]),
        )
        store.load_batch(conn, batch)
    if changed:
        detach_from_events(conn, changed)
    counts["events_detached"] = len(changed)
    return counts


def detach_from_events(conn: Conn, previous_texts: dict[int, str]) -> None:
    """Take changed articles out of their events so news_events clusters them again (see
    :func:`newsflow.events.detach`: emptied events are retired, and revived by their articles)."""
    events.detach(conn, previous_texts)
