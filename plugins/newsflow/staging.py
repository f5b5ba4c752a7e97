"""Loading a batch: typed rows COPYed into staging tables, then one upsert per table.

One dataclass per staging table; its fields are the table's columns, in order (the DDL is
``sql/queries/load/staging.sql``, held to these fields by a test). A stage builds a
:class:`Batch` of rows and :func:`load_batch` writes it in a handful of statements, whatever
its size, inside the caller's transaction.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar

from newsflow import db
from newsflow.db import Conn


@dataclass(frozen=True, slots=True)
class SourceRow:
    table: ClassVar[str] = "stage_sources"
    name: str


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """A new article, or a new version of a stored one (same id)."""

    table: ClassVar[str] = "stage_articles"
    id: int
    raw_document_id: int
    item_no: int
    source_name: str | None
    url: str | None
    canonical_url: str | None
    title: str
    title_derived: bool
    byline: str | None
    published_at: datetime | None
    published_at_source: str | None
    language: str | None
    text: str
    summary_points: str  # JSON
    cited_sources: str  # JSON
    repairs: str  # JSON
    word_count: int
    content_hash: str
    minhash: bytes | None
    extractor_version: str
    first_run_id: int
    title_key: str  # neardup.title_key(title): the same-title rule looks it up by index


@dataclass(frozen=True, slots=True)
class BandRow:
    table: ClassVar[str] = "stage_bands"
    band: int
    hash: int
    article_id: int


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    table: ClassVar[str] = "stage_duplicates"
    raw_document_id: int
    item_no: int
    url: str | None
    canonical_url: str | None
    title: str | None
    content_hash: str
    published_at: datetime | None
    duplicate_of: int
    method: str
    score: float
    threshold: float
    run_id: int
    source_name: str | None  # the copy's own publisher


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    table: ClassVar[str] = "stage_quarantine"
    raw_document_id: int
    item_no: int
    stage: str
    reasons: str  # JSON list of sentences
    record: str  # JSON: what was extracted, for inspection
    run_id: int


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    table: ClassVar[str] = "stage_outcomes"
    run_id: int
    raw_document_id: int
    item_no: int
    state: str
    article_id: int | None
    detail: str | None


ROW_TYPES: tuple[type[Any], ...] = (
    SourceRow,
    ArticleRow,
    BandRow,
    DuplicateRow,
    QuarantineRow,
    OutcomeRow,
)

# Upserts in dependency order: the row type each reads and its query file.
UPSERTS: tuple[tuple[type[Any], str], ...] = (
    (SourceRow, "load/upsert_sources"),
    (ArticleRow, "load/keep_article_versions"),
    (ArticleRow, "load/upsert_articles"),
    (BandRow, "load/clear_minhash_bands"),
    (BandRow, "load/upsert_minhash_bands"),
    (DuplicateRow, "load/upsert_duplicates"),
    (QuarantineRow, "load/upsert_quarantine"),
    (OutcomeRow, "load/upsert_outcomes"),
)


def columns(row_type: type[Any]) -> list[str]:
    return [f.name for f in fields(row_type)]


def row_values(row_type: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """A fast ``row -> tuple of its column values`` for one row type."""
    names = columns(row_type)
    if len(names) == 1:
        return lambda row: (getattr(row, names[0]),)
    return operator.attrgetter(*names)


@dataclass
class Batch:
    """The rows one load writes, per staging table."""

    sources: list[SourceRow] = field(default_factory=list)
    articles: list[ArticleRow] = field(default_factory=list)
    bands: list[BandRow] = field(default_factory=list)
    duplicates: list[DuplicateRow] = field(default_factory=list)
    quarantine: list[QuarantineRow] = field(default_factory=list)
    outcomes: list[OutcomeRow] = field(default_factory=list)

    def rows(self, row_type: type[Any]) -> list[Any]:
        by_type: dict[type[Any], list[Any]] = {
            SourceRow: self.sources,
            ArticleRow: self.articles,
            BandRow: self.bands,
            DuplicateRow: self.duplicates,
            QuarantineRow: self.quarantine,
            OutcomeRow: self.outcomes,
        }
        return by_type[row_type]


def allocate_article_ids(conn: Conn, count: int) -> list[int]:
    if count == 0:
        return []
    return [int(r["id"]) for r in db.fetch_all(conn, "load/allocate_article_ids", {"count": count})]


def load_batch(conn: Conn, batch: Batch) -> dict[str, int]:
    """Stage every table's rows with COPY, then run the upserts; rows per staging table.
    Runs inside the caller's transaction; the staging tables are dropped at commit."""
    db.execute(conn, "load/staging")
    counts: dict[str, int] = {}
    for row_type in ROW_TYPES:
        names = columns(row_type)
        counts[row_type.table] = db.copy_rows(
            conn, row_type.table, names, map(row_values(row_type), batch.rows(row_type))
        )
    for row_type, query in UPSERTS:
        if counts[row_type.table]:
            db.execute(conn, query)
    return counts
