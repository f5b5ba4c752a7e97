"""What each page of the News view shows: one function per page, reading through the query
files of ``sql/queries/web`` on a read-only connection.

Every list is a keyset page: the query continues after the sort key of the last row shown
(an opaque cursor in the URL), so page 40,000 costs what page 1 costs, an index range scan of
one page of rows; there is no OFFSET and no total count.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newsflow import db

MAX_ID = 2**63 - 1
PREVIEW_ARTICLES = 3
VALIDATION_EXAMPLES = 3
# Sources named for an event come from its latest members only (bounded work per event).
SOURCE_SAMPLE = 1000
# great-expectations columns whose quarantine reasons start with another word.
# Runs that no Airflow DAG run produced (the CLI, the benchmark) have no page to link to.
NON_AIRFLOW_RUN_PREFIXES = ("cli__", "bench")


class BadCursor(ValueError):
    """A cursor that this view did not make."""


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor(cursor) from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadCursor(cursor)
    return values


def _time_key(value: datetime | None) -> str:
    """A nullable timestamp as the sort key the indexes use (NULL sorts as -infinity)."""
    return value.isoformat() if value is not None else "-infinity"


def _time_cursor(cursor: str | None) -> tuple[str, int]:
    values = decode_cursor(cursor, 2)
    if values is None:
        return "infinity", MAX_ID
    at, ident = values
    if not isinstance(at, str) or not _is_id(ident) or not _is_time(at):
        raise BadCursor(str(cursor))
    return at, ident


def _id_cursor(cursor: str | None, first: int = MAX_ID) -> int:
    values = decode_cursor(cursor, 1)
    if values is None:
        return first
    if not _is_id(values[0]):
        raise BadCursor(str(cursor))
    return int(values[0])


def _is_id(value: Any) -> bool:
    """A bigint: a larger number in a forged link raised in Postgres (HTTP 500)."""
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_ID <= value <= MAX_ID


def _is_time(value: str) -> bool:
    if value in ("infinity", "-infinity"):
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def has_airflow_run(dag_id: str | None, run_id: str | None) -> bool:
    return bool(dag_id and run_id and not run_id.startswith(NON_AIRFLOW_RUN_PREFIXES))


@dataclass
class Page:
    """Rows of one page and the cursor of the next one (None on the last page)."""

    rows: list[dict[str, Any]]
    next_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _page(rows: list[dict[str, Any]], limit: int, key: Any) -> Page:
    """Rows were fetched with ``limit + 1``: the extra one only says a next page exists."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(*key(rows[-1])) if more and rows else None)


def events(conn: db.Conn, cursor: str | None, limit: int) -> Page:
    at, ident = _time_cursor(cursor)
    rows = [
        dict(r)
        for r in db.fetch_all(
            conn, "web/events_page", {"cursor_at": at, "cursor_id": ident, "limit": limit + 1}
        )
    ]
    page = _page(rows, limit, lambda r: (_time_key(r["last_published_at"]), r["id"]))
    previews: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in page.rows}
    sources: dict[int, list[str]] = {}
    if page.rows:
        for p in db.fetch_all(
            conn,
            "web/event_previews",
            {
                "event_ids": list(previews),
                "per_event": PREVIEW_ARTICLES,
                "source_sample": SOURCE_SAMPLE,
            },
        ):
            sources[p["event_id"]] = p["sources"] or []
            if p["article_id"] is not None:
                previews[p["event_id"]].append(dict(p))
    for r in page.rows:
        r["articles"] = previews[r["id"]]
        r["sources"] = sources.get(r["id"], [])
    return page


def event(conn: db.Conn, event_id: int, cursor: str | None, limit: int) -> Page | None:
    head = db.fetch_one(conn, "web/event", {"event_id": event_id, "source_sample": SOURCE_SAMPLE})
    if head is None:
        return None
    at, ident = _time_cursor(cursor)
    rows = [
        dict(r)
        for r in db.fetch_all(
            conn,
            "web/event_articles_page",
            {"event_id": event_id, "cursor_at": at, "cursor_id": ident, "limit": limit + 1},
        )
    ]
    # the membership's time, which the page is ordered by (an undated article's is the time it
    # was first seen; the article's own date is NULL and made the cursor skip the rest)
    page = _page(rows, limit, lambda r: (_time_key(r["sort_at"]), r["article_id"]))
    page.extra["event"] = dict(head)
    return page


def articles(conn: db.Conn, cursor: str | None, limit: int) -> Page:
    rows = [
        dict(r)
        for r in db.fetch_all(
            conn, "web/articles_page", {"cursor_id": _id_cursor(cursor), "limit": limit + 1}
        )
    ]
    return _page(rows, limit, lambda r: (r["id"],))


def article(conn: db.Conn, article_id: int, cursor: str | None, limit: int) -> Page | None:
    """The article (in ``extra``), its versions, and one page of its recorded copies."""
    head = db.fetch_one(conn, "web/article", {"article_id": article_id})
    if head is None:
        return None
    rows = [
        dict(r)
        for r in db.fetch_all(
            conn,
            "web/article_duplicates_page",
            {"article_id": article_id, "cursor_id": _id_cursor(cursor, 0), "limit": limit + 1},
        )
    ]
    page = _page(rows, limit, lambda r: (r["id"],))
    page.extra["article"] = dict(head)
    page.extra["versions"] = [
        dict(v)
        for v in db.fetch_all(
            conn, "web/article_versions", {"article_id": article_id, "limit": limit}
        )
    ]
    return page


def quarantine(conn: db.Conn, cursor: str | None, limit: int, ingest_run_id: int | None) -> Page:
    params: dict[str, Any] = {"cursor_id": _id_cursor(cursor), "limit": limit + 1}
    if ingest_run_id is None:
        rows = db.fetch_all(conn, "web/quarantine_page", params)
    else:
        params["ingest_run_id"] = ingest_run_id
        rows = db.fetch_all(conn, "web/quarantine_run_page", params)
    return _page([dict(r) for r in rows], limit, lambda r: (r["id"],))


def feeds(conn: db.Conn, cursor: str | None, limit: int) -> Page:
    values = decode_cursor(cursor, 2) or ["", 0]
    if not isinstance(values[0], str) or "\x00" in values[0] or not _is_id(values[1]):
        raise BadCursor(str(cursor))
    rows = db.fetch_all(
        conn,
        "web/feeds_page",
        {"cursor_name": values[0], "cursor_id": values[1], "limit": limit + 1},
    )
    return _page([dict(r) for r in rows], limit, lambda r: (r["name"], r["id"]))


def failing_expectations(validation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The expectations of a run's great-expectations summary that failed."""
    if not validation:
        return []
    return [e for e in validation.get("expectations") or [] if not e.get("success", True)]


def runs(conn: db.Conn, cursor: str | None, limit: int) -> Page:
    rows = [
        dict(r)
        for r in db.fetch_all(
            conn, "web/runs_page", {"cursor_id": _id_cursor(cursor), "limit": limit + 1}
        )
    ]
    page = _page(rows, limit, lambda r: (r["id"],))
    for r in page.rows:
        r["failing"] = failing_expectations(r["validation"])
    return page


def run(conn: db.Conn, ingest_run_id: int, limit: int) -> dict[str, Any] | None:
    """One run: counts, document states, quarantine reasons by kind, and the validation result
    with example rows for each failing expectation."""
    head = db.fetch_one(conn, "web/run", {"ingest_run_id": ingest_run_id})
    if head is None:
        return None
    out: dict[str, Any] = {"run": dict(head)}
    out["reasons"] = [
        dict(r)
        for r in db.fetch_all(
            conn, "web/run_reasons", {"ingest_run_id": ingest_run_id, "limit": limit}
        )
    ]
    failing = failing_expectations(head["validation"])
    wanted = [
        (int(x["raw_document_id"]), int(x["item_no"]))
        for e in failing
        for x in e.get("examples") or []
    ]
    found: dict[tuple[int, int], dict[str, Any]] = {}
    if wanted:
        for row in db.fetch_all(
            conn,
            "web/run_validation_examples",
            {"raw_ids": [w[0] for w in wanted], "item_nos": [w[1] for w in wanted]},
        ):
            found[(int(row["raw_document_id"]), int(row["item_no"]))] = dict(row)
    out["failing"] = [
        {
            **e,
            "examples": [
                found[key]
                for key in (
                    (int(x["raw_document_id"]), int(x["item_no"])) for x in e.get("examples") or []
                )
                if key in found
            ][:VALIDATION_EXAMPLES],
        }
        for e in failing
    ]
    return out
