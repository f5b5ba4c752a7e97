"""Event clustering through the production path: the documents as a JSONL inbox, ``newsflow
ingest`` (extraction, validation, deduplication), ``newsflow cluster`` (the Postgres event
store, as the ``news_events`` DAG), events read back from Postgres.

The in-memory harness (:mod:`.events_eval`) clusters every document; production clusters only
what ingestion stored, since quarantined documents and near-duplicates never reach events. So
the figures are given three ways: production over the documents it clustered, the harness over
the same documents in the same order (any difference is the store or the features of the
stored text), and what was lost before clustering, with reasons.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newsflow import db

from .data import Doc
from .events_eval import bcubed, cluster, default_eval_params, featurize_docs

URL_PREFIX = "https://ecbplus.example/doc/"
PUBLISHED = datetime(2020, 1, 1, tzinfo=UTC)  # one date for all: the harness has none either


@dataclass(frozen=True)
class ProductionResult:
    order: str
    n_docs: int
    n_clustered: int
    duplicates: int
    quarantined: list[tuple[str, int]]
    b3_production: float
    b3_harness_same_docs: float
    disagreements: int  # pairs of clustered documents together in one and apart in the other


def _newsflow(args: list[str], url: str) -> None:
    env = dict(os.environ, NEWSFLOW_DATABASE_URL=url, COLUMNS="200")
    cmd = [sys.executable, "-m", "newsflow.cli", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"newsflow {' '.join(args)} failed: {proc.stderr[-2000:]}")


def run_order(docs: Sequence[Doc], name: str, order: list[int], url: str) -> ProductionResult:
    with tempfile.TemporaryDirectory(prefix="nf-eval-inbox-") as tmp:
        lines = [
            json.dumps({"url": URL_PREFIX + docs[i].doc_id, "title": docs[i].title,
                        "text": docs[i].text, "published_at": PUBLISHED.isoformat(),
                        "source": f"Source {n % 9}"})
            for n, i in enumerate(order)
        ]  # fmt: skip
        (Path(tmp) / "ecbplus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        _newsflow(["ingest", "--inbox", tmp], url)
    _newsflow(["cluster"], url)
    index = {d.doc_id: i for i, d in enumerate(docs)}
    with db.connect(url) as conn:
        rows = db.fetch_all(conn, "evaluation/clustered_articles")
        quarantined = [
            (r["reason"], int(r["n"])) for r in db.fetch_all(conn, "evaluation/quarantine_reasons")
        ]
        duplicates = int(db.fetch_value(conn, "evaluation/duplicate_count") or 0)
    event_of: dict[int, int] = {}
    for r in rows:
        doc_id = (r["canonical_url"] or "").rsplit("/", 1)[-1]
        if doc_id in index and r["event_id"] is not None:
            event_of[index[doc_id]] = int(r["event_id"])
    clustered = [i for i in order if i in event_of]  # production's arrival order
    gold = [docs[i].subtopic for i in clustered]
    prod = [event_of[i] for i in clustered]
    sub = [docs[i] for i in clustered]
    harness = cluster(sub, list(range(len(sub))), default_eval_params(), featurize_docs(sub))
    disagree = sum(
        (prod[a] == prod[b]) != (harness[a] == harness[b])
        for a in range(len(sub))
        for b in range(a + 1, len(sub))
    )
    return ProductionResult(
        name, len(docs), len(clustered), duplicates, quarantined,
        bcubed(prod, gold)[2], bcubed(harness, gold)[2], disagree,
    )  # fmt: skip


def evaluate_production(
    docs: Sequence[Doc], new_database: Callable[[str], str], seeds: Sequence[int] = (11,)
) -> list[ProductionResult]:
    """One fresh database per order (``new_database(label)`` returns its URL)."""
    orders = [("file order", list(range(len(docs))))]
    for s in seeds:
        o = list(range(len(docs)))
        random.Random(s).shuffle(o)
        orders.append((f"shuffle-{s}", o))
    return [run_order(docs, name, order, new_database("eval")) for name, order in orders]


def print_production(
    label: str, results: Sequence[ProductionResult], out: Callable[[str], None] = print
) -> None:
    out(f"Events through the production path, {label} (JSONL inbox -> newsflow ingest -> "
        "newsflow cluster -> Postgres)")  # fmt: skip
    out(
        f"  {'order':<12}{'clustered':>10}{'B3 F1 prod':>11}{'B3 F1 harness':>14}{'pairs differ':>13}"
    )
    for r in results:
        out(
            f"  {r.order:<12}{f'{r.n_clustered}/{r.n_docs}':>10}{r.b3_production:>11.3f}"
            f"{r.b3_harness_same_docs:>14.3f}{r.disagreements:>13}"
        )
    first = results[0]
    lost: Counter[str] = Counter()
    for reason, n in first.quarantined:  # "title length 177 outside [3, 160]" -> one kind
        lost[
            re.sub(r"\d+", "N", reason.split(" outside ")[0])
            + (" outside " + reason.split(" outside ")[1] if " outside " in reason else "")
        ] += n
    out(f"  not clustered: {first.n_docs - first.n_clustered} of {first.n_docs} "
        f"({first.duplicates} recorded as duplicates, {sum(lost.values())} quarantined)")  # fmt: skip
    for reason, n in lost.most_common(5):
        out(f"    quarantined x{n}: {reason[:110]}")
    out("  (harness = the in-memory clusterer over the same clustered documents in the same order;"
        " 'pairs differ' counts document pairs grouped differently)")  # fmt: skip
