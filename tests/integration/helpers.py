"""Small helpers shared by the integration tests."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

DATA_TABLES = (
    "sources",
    "feeds",
    "raw_documents",
    "articles",
    "article_versions",
    "article_duplicates",
    "minhash_bands",
    "quarantine",
    "events",
    "event_articles",
)


def query(url: str, sql: str, params: Any = None) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


def snapshot(url: str, tables: tuple[str, ...] = DATA_TABLES) -> dict[str, list[tuple]]:
    """Every row of every data table, as sorted tuples (timestamps included)."""
    out: dict[str, list[tuple]] = {}
    with psycopg.connect(url) as conn:
        for table in tables:
            rows = conn.execute(f"SELECT * FROM news.{table}").fetchall()
            out[table] = sorted(rows, key=repr)
    return out


_WORDS = [
    "harbour",
    "council",
    "ferry",
    "bridge",
    "tram",
    "station",
    "museum",
    "library",
    "school",
    "hospital",
    "river",
    "market",
    "festival",
    "storm",
    "flood",
    "drought",
    "farmers",
    "miners",
    "teachers",
    "nurses",
    "union",
    "strike",
    "vote",
    "budget",
    "tax",
    "mayor",
    "minister",
    "court",
    "judge",
    "police",
    "fire",
    "crew",
    "engineers",
    "scientists",
    "report",
    "survey",
    "museum",
    "opened",
    "closed",
    "delayed",
    "approved",
    "rejected",
    "announced",
    "warned",
    "promised",
    "repaired",
    "expanded",
    "north",
    "south",
    "east",
    "west",
    "old",
    "new",
    "small",
    "large",
    "public",
    "private",
    "local",
    "national",
    "coastal",
    "rural",
    "morning",
    "evening",
    "winter",
    "summer",
    "spring",
    "autumn",
    "year",
    "week",
    "month",
    "decade",
    "record",
    "plan",
    "project",
]


def article_text(seed: int, sentences: int = 25) -> str:
    """A distinct, deterministic English-like article text (different seeds share little)."""
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(9, 16))]
        out.append("The " + " ".join(words) + ".")
    paragraphs = [" ".join(out[i : i + 5]) for i in range(0, len(out), 5)]
    return "\n\n".join(paragraphs)
