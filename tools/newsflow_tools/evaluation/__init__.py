"""Offline evaluation of near-duplicate detection and event clustering (``make eval``).

Run ``python -m newsflow_tools.evaluation`` (options: ``--quick``, ``--topics 2,5``,
``--skip-timed``, ``--skip-production``). Events are measured three ways: the in-memory harness
over several arrival orders (:mod:`.events_eval`), generated timelines with the time channel on
(:mod:`.events_timed`), and the production path through ``newsflow ingest`` and ``newsflow
cluster`` on Postgres (:mod:`.events_production`). Third-party
data (ECB+) under ``$NEWSFLOW_EVAL_DATA`` (default ``../shared/eval`` beside the repository); the
seed articles from the project's own fixtures (``tests/fixtures/seeds``).
"""

from .data import EvalDataMissing, ecbplus_dir, load_seeds, load_split
from .events_eval import bcubed, evaluate, pairwise
from .neardup_eval import run as run_neardup

__all__ = [
    "EvalDataMissing",
    "bcubed",
    "ecbplus_dir",
    "evaluate",
    "load_seeds",
    "load_split",
    "pairwise",
    "run_neardup",
]
