"""``python -m newsflow_tools.evaluation``: the whole evaluation (events on ECB+ train and dev,
near-duplicates on synthetic variants and real negatives, lookup timing, main-text extraction
against trafilatura). Prints figures only; ``--only extraction`` runs one section."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import (
    data,
    events_eval,
    events_production,
    events_timed,
    extraction_eval,
    neardup_eval,
    validation_eval,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m newsflow_tools.evaluation", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="dev only, doc_id order + 1 shuffle")
    ap.add_argument("--topics", help="comma-separated ECB+ topics to restrict to (smoke runs)")
    ap.add_argument("--skip-neardup", action="store_true")
    ap.add_argument("--skip-events", action="store_true")
    ap.add_argument("--skip-extraction", action="store_true")
    ap.add_argument("--skip-validation", action="store_true")
    ap.add_argument(
        "--only",
        choices=("events", "neardup", "extraction", "validation"),
        help="run one section only",
    )
    ap.add_argument("--inbox", type=Path, help="validation: inbox to check (default the sample)")
    ap.add_argument("--limit", type=int, help="extraction: first N pages only (smoke runs)")
    ap.add_argument("--worst", type=int, default=10, help="extraction: worst pages to list")
    ap.add_argument("--dump", type=Path, help="extraction: write per-page outputs (JSONL)")
    ap.add_argument("--skip-timed", action="store_true", help="no timed-timeline event figures")
    ap.add_argument(
        "--skip-production", action="store_true", help="no production-path (Postgres) figures"
    )
    args = ap.parse_args(argv)
    if args.only:
        args.skip_events = args.only != "events"
        args.skip_neardup = args.only != "neardup"
        args.skip_extraction = args.only != "extraction"
        args.skip_validation = args.only != "validation"
    topics = {int(t) for t in args.topics.split(",")} if args.topics else None
    t_start = time.perf_counter()
    if not (args.skip_events and args.skip_neardup):
        try:
            where = data.ecbplus_dir()
        except data.EvalDataMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"ECB+ data: {where}")
    if not args.skip_events:
        seeds = events_eval.ORDER_SEEDS[:1] if args.quick else events_eval.ORDER_SEEDS
        params = events_eval.default_eval_params()
        print(f"Event clustering: EventClusterer({params}), time features off (constant date)")
        splits = ["dev"] if args.quick else ["train", "dev"]
        for split in splits:
            docs = data.load_split(split, topics)
            if not docs:
                print(f"  {split}: no documents for topics {sorted(topics or [])}")
                continue
            t0 = time.perf_counter()
            scores = events_eval.evaluate(docs, params, seeds)
            events_eval.print_scores(
                f"ECB+ {split} ({len(docs)} articles, {len(scores)} orders)", scores
            )
            dt = time.perf_counter() - t0
            per = dt / (len(docs) * len(scores)) * 1000
            print(f"  time {dt:.1f} s ({per:.2f} ms per assignment incl. features)")
            if not args.skip_timed:
                t0 = time.perf_counter()
                events_timed.print_timed(f"ECB+ {split}", events_timed.evaluate_timed(docs))
                print(f"  time {time.perf_counter() - t0:.1f} s")
        if not (args.skip_production or args.quick):  # --quick: a smoke run, no Postgres
            _production(topics)
        print()
    if not args.skip_neardup:
        t0 = time.perf_counter()
        report = neardup_eval.run(topics)
        neardup_eval.print_report(report)
        print(f"  time {time.perf_counter() - t0:.1f} s")
    if not args.skip_extraction:
        print()
        if not extraction_eval.available():
            print(f"Extraction: skipped: {data.skip_reason(extraction_eval.DATASET)}")
            if args.only == "extraction":
                return 2
        else:
            t0 = time.perf_counter()
            extraction_eval.run(args.limit, args.worst, args.dump)
            print(f"  time {time.perf_counter() - t0:.1f} s")
    if not args.skip_validation:
        print()
        validation_eval.run(args.inbox)
    print(f"\nTotal {time.perf_counter() - t_start:.1f} s")
    return 0


def _production(topics: set[int] | None) -> None:
    from newsflow_tools.bench import bench_environment

    t0 = time.perf_counter()
    with bench_environment() as env:
        for split in ["dev", "train"]:
            docs = data.load_split(split, topics)
            if not docs:
                continue
            seeds = () if split == "train" else (11,)
            results = events_production.evaluate_production(docs, env.new_database, seeds)
            events_production.print_production(f"ECB+ {split}", results)
    print(f"  time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    raise SystemExit(main())
