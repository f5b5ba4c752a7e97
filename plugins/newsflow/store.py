"""Loading: COPY a batch into temporary staging tables, then one upsert per table (SQL in sql/)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from newsflow.db import Conn, sql

STAGING: dict[str, str] = {
    "stage_sources": "name text",
    "stage_articles": (
        "id bigint, raw_document_id bigint, item_no integer, source_name text, url text, "
        "canonical_url text, title text, title_derived boolean, byline text, "
        "published_at timestamptz, published_at_source text, language text, text text, "
        "summary_points jsonb, cited_sources jsonb, repairs jsonb, word_count integer, "
        "content_hash text, minhash bytea, extractor_version text, first_run_id bigint"
    ),
    "stage_bands": "band smallint, hash bigint, article_id bigint",
    "stage_duplicates": (
        "raw_document_id bigint, item_no integer, url text, canonical_url text, title text, "
        "content_hash text, published_at timestamptz, duplicate_of bigint, method text, "
        "score real, threshold real, run_id bigint"
    ),
    "stage_quarantine": (
        "raw_document_id bigint, item_no integer, stage text, reasons jsonb, record jsonb, "
        "run_id bigint"
    ),
    "stage_outcomes": (
        "run_id bigint, raw_document_id bigint, item_no integer, state text, article_id bigint, "
        "detail text"
    ),
}
# Upserts in dependency order: the staging table each reads and the SQL file it runs.
UPSERTS: list[tuple[str, str]] = [
    ("stage_sources", "load/upsert_sources"),
    ("stage_articles", "load/keep_article_versions"),
    ("stage_articles", "load/upsert_articles"),
    ("stage_bands", "load/upsert_minhash_bands"),
    ("stage_duplicates", "load/upsert_duplicates"),
    ("stage_quarantine", "load/upsert_quarantine"),
    ("stage_outcomes", "load/upsert_outcomes"),
]


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def allocate_ids(conn: Conn, sequence: str, count: int) -> list[int]:
    if count == 0:
        return []
    rows = conn.execute(
        "SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s)", (sequence, count)
    ).fetchall()
    return [int(r["id"] if isinstance(r, dict) else r[0]) for r in rows]


def copy_rows(conn: Conn, table: str, rows: Iterable[Sequence[Any]]) -> int:
    columns = ", ".join(part.strip().split()[0] for part in STAGING[table].split(","))
    count = 0
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def load_batch(conn: Conn, batch: dict[str, list[Sequence[Any]]]) -> dict[str, int]:
    """Stage every table's rows with COPY, then run the upserts. Runs inside the caller's
    transaction; staging tables are dropped at commit."""
    counts: dict[str, int] = {}
    for table, columns in STAGING.items():
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({columns}) ON COMMIT DROP")
        conn.execute(f"TRUNCATE {table}")
        counts[table] = copy_rows(conn, table, batch.get(table, []))
    for table, sql_file in UPSERTS:
        if counts.get(table):
            conn.execute(sql(sql_file))
    return counts
