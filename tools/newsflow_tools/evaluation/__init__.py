"""Offline evaluation of near-duplicate detection and event clustering (``make eval``).

Run ``python -m newsflow_tools.evaluation`` (options: ``--quick``, ``--topics 2,5``). Data: ECB+ at
``../shared/eval/ecbplus`` relative to the repository root, or ``$NEWSFLOW_ECBPLUS_DIR``; the
seed articles at ``../shared/seeds`` or ``$NEWSFLOW_SEEDS_DIR`` (optional).
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
