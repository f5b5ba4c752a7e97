"""Section 2, **near-duplicate lookup time vs history size**: synthetic articles COPYed into
``news.articles`` and ``news.minhash_bands`` (fingerprints from ``neardup.fingerprint``, computed
on every core), then ``dedupe.Deduplicator(conn).decide(candidate)`` timed for near-duplicates of
stored articles and for new texts, at each size."""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsflow_tools.bench.config import Config, percentile, rate, say
from newsflow_tools.bench.env import BenchEnv, with_identifiers
from newsflow_tools.bench.text import edited, headline, paragraphs, truncated

if TYPE_CHECKING:
    from psycopg import sql as psycopg_sql

BENCH_EXTRACTOR_VERSION = "bench-synthetic"


def _worker_ready(_: int) -> int:
    """Pool warm-up: the imports a history worker needs, before anything is timed."""
    from newsflow import neardup, normalize  # noqa: F401

    return os.getpid()


def _copy_field(value: str) -> str:
    """A value for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )


def _history_chunk(task: tuple[int, int, int, int]) -> tuple[int, bytes, bytes]:
    """Worker: ``count`` synthetic stored articles from id ``start`` (deterministic per id),
    as COPY text payloads for ``news.articles`` and ``news.minhash_bands``."""
    start, count, seed, raw_id = task
    from newsflow import neardup, normalize

    base = datetime(2025, 1, 1, tzinfo=UTC)
    articles: list[str] = []
    bands: list[str] = []
    for article_id in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + article_id)
        title = headline(rng)
        text = "\n\n".join(paragraphs(rng, rng.randint(300, 800)))
        fp = neardup.fingerprint(text)
        published = base + timedelta(minutes=rng.randint(0, 525_600))
        articles.append(
            "\t".join(
                (
                    str(article_id),
                    str(raw_id),
                    str(article_id),
                    _copy_field(title),
                    _copy_field(text),
                    str(fp.n_words),
                    normalize.content_hash(text),
                    "\\\\x" + fp.signature.hex(),
                    BENCH_EXTRACTOR_VERSION,
                    published.isoformat(),
                    "bench",
                )
            )
            + "\n"
        )
        bands.extend(f"{band}\t{h}\t{article_id}\n" for band, h in fp.keys)
    return count, "".join(articles).encode(), "".join(bands).encode()


@dataclass
class LoadTimes:
    total: float = 0.0
    waiting: float = 0.0  # for the workers' next chunk (generation + fingerprints)
    copying: float = 0.0  # COPY into articles and minhash_bands
    indexing: float = 0.0  # rebuilding minhash_bands' keys and indexes after the COPY
    analyze: float = 0.0


def _drop_band_indexes(conn: Any) -> list[psycopg_sql.Composable]:
    """Drop the constraints and indexes of ``news.minhash_bands`` for a bulk load (millions of
    rows: one sorted build afterwards is much cheaper than as many index insertions); return
    the statements that recreate them exactly as they were: the server's own definitions
    (``pg_get_constraintdef``, ``pg_indexes.indexdef``), not text written here."""
    from psycopg import sql as psycopg_sql

    from newsflow import db

    constraints = db.fetch_all(conn, "bench/band_constraints")
    indexes = db.fetch_all(conn, "bench/band_indexes")
    for c in reversed(constraints):  # foreign keys first
        conn.execute(with_identifiers("bench/drop_band_constraint", name=c["conname"]))
    for i in indexes:
        conn.execute(with_identifiers("bench/drop_band_index", name=i["indexname"]))
    return [
        *(
            psycopg_sql.SQL(db.sql("bench/add_band_constraint")).format(
                name=psycopg_sql.Identifier(c["conname"]),
                definition=psycopg_sql.SQL(c["definition"]),
            )
            for c in constraints
        ),
        *(psycopg_sql.SQL(i["indexdef"]) for i in indexes),
    ]


def _load_history(
    conn: Any, raw_id: int, first_id: int, last_id: int, cfg: Config, pool: Any
) -> LoadTimes:
    """COPY articles ``first_id..last_id`` and their LSH bands, then ANALYZE."""
    tasks = [
        (s, min(cfg.chunk, last_id + 1 - s), 7, raw_id)
        for s in range(first_id, last_id + 1, cfg.chunk)
    ]
    from newsflow import db

    times = LoadTimes()
    t0 = time.perf_counter()
    with conn.transaction():
        db.execute(conn, "bench/bulk_load_memory")
        rebuild = _drop_band_indexes(conn)
        cur = conn.cursor()
        chunks = pool.imap(_history_chunk, tasks)
        while True:
            t_wait = time.perf_counter()
            try:
                _, articles, bands = next(chunks)
            except StopIteration:
                break
            t_copy = time.perf_counter()
            times.waiting += t_copy - t_wait
            with cur.copy(db.sql("bench/copy_history_articles")) as cp:
                cp.write(articles)
            with cur.copy(db.sql("bench/copy_history_bands")) as cp:
                cp.write(bands)
            times.copying += time.perf_counter() - t_copy
        t_index = time.perf_counter()
        for statement in rebuild:
            conn.execute(statement)
        times.indexing = time.perf_counter() - t_index
        db.execute(conn, "bench/sync_articles_id_seq")
    times.total = time.perf_counter() - t0
    t1 = time.perf_counter()
    db.execute(conn, "bench/analyze_history")
    conn.commit()
    times.analyze = time.perf_counter() - t1
    return times


def _candidate(text: str, raw_id: int, item_no: int) -> Any:
    from newsflow import extract, normalize
    from newsflow.dedupe import Candidate

    ex = extract.extract_text(text)
    art = normalize.normalize(ex, extractor_version=extract.EXTRACTOR_VERSION)
    return Candidate(raw_id, item_no, "file", None, art)


def _lookup_set(conn: Any, cfg: Config, raw_id: int, pool_ids: int) -> list[tuple[str, Any]]:
    """Half near-duplicates of stored articles (ids <= pool_ids), half new texts."""
    from newsflow import db

    rng = random.Random(11)
    n_dup = cfg.lookups // 2
    ids = rng.sample(range(1, pool_ids + 1), n_dup)
    rows = db.fetch_all(conn, "bench/articles_by_id", {"ids": ids})
    out: list[tuple[str, Any]] = []
    for i, row in enumerate(rows):
        paras = row["text"].split("\n\n")
        copy = edited(rng, paras, 0.05) if i % 2 == 0 else truncated(paras, 0.6)
        text = headline(rng) + "\n\n" + "\n\n".join(copy) + "\n"
        out.append(("near-dup", _candidate(text, raw_id, 1_000_000 + i)))
    for i in range(cfg.lookups - n_dup):
        text = headline(rng) + "\n\n" + "\n\n".join(paragraphs(rng, rng.randint(300, 800)))
        out.append(("new", _candidate(text + "\n", raw_id, 2_000_000 + i)))
    rng.shuffle(out)
    return out


def _time_lookups(conn: Any, lookups: list[tuple[str, Any]]) -> tuple[list[float], Counter]:
    from newsflow import dedupe

    for _, cand in lookups[:5]:  # warm the connection, the plans and the caches
        dedupe.Deduplicator(conn).decide(cand)
    times: list[float] = []
    verdicts: Counter = Counter()
    for kind, cand in lookups:
        t0 = time.perf_counter()
        decision = dedupe.Deduplicator(conn).decide(cand)
        times.append((time.perf_counter() - t0) * 1000)
        found = decision.kind == "duplicate" and decision.method == "near-dup"
        verdicts[(kind, "found" if found else decision.kind)] += 1
    conn.rollback()
    return times, verdicts


def section_lookups(env: BenchEnv, cfg: Config) -> None:
    import multiprocessing

    from newsflow import db, neardup

    say()
    say(
        "[2] near-duplicate lookup time vs history size: Deduplicator(conn).decide(candidate), "
        f"{cfg.lookups} lookups per size (half edited/truncated copies of stored articles, "
        f"half new texts); MinHash {neardup.NUM_PERM} perms, LSH {neardup.BANDS}x{neardup.ROWS}"
    )
    url = env.new_database("lookup")
    workers = max(1, min(os.cpu_count() or 1, 4))
    with (
        db.connect(url) as conn,
        multiprocessing.get_context("spawn").Pool(workers) as pool,
    ):
        row = db.fetch_one(
            conn,
            "bench/raw_document",
            {"content_hash": uuid.uuid4().hex, "locator": "bench/history"},
        )
        assert row is not None
        raw_id = int(row["id"])  # the one raw document every synthetic article points to
        conn.commit()
        pool.map(_worker_ready, range(workers * 4))
        loaded = 0
        lookups: list[tuple[str, Any]] | None = None
        for size in cfg.history_sizes:
            lt = _load_history(conn, raw_id, loaded + 1, size, cfg, pool)
            added = size - loaded
            loaded = size
            bands = int(db.fetch_value(conn, "bench/band_rows"))
            if lookups is None:
                lookups = _lookup_set(conn, cfg, raw_id, size)
            times, verdicts = _time_lookups(conn, lookups)
            say(
                f"    {size:>7,} stored articles ({bands:,} band rows; +{added:,} loaded in "
                f"{lt.total:.1f} s = {rate(added, lt.total)} articles/s: waiting for "
                f"text+fingerprints from {workers} processes {lt.waiting:.1f} s, COPY "
                f"{lt.copying:.1f} s, band keys/indexes rebuilt {lt.indexing:.1f} s; "
                f"ANALYZE {lt.analyze:.1f} s)"
            )
            say(
                f"        per lookup: mean {statistics.fmean(times):.2f} ms, "
                f"p50 {percentile(times, 0.5):.2f} ms, p95 {percentile(times, 0.95):.2f} ms, "
                f"max {max(times):.2f} ms  (n={len(times)}; "
                f"copies found {verdicts[('near-dup', 'found')]}/"
                f"{sum(v for (k, _), v in verdicts.items() if k == 'near-dup')}, "
                f"new texts judged new {verdicts[('new', 'new')]}/"
                f"{sum(v for (k, _), v in verdicts.items() if k == 'new')})"
            )
