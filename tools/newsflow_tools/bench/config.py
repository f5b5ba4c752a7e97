"""The bench's sizes (full and ``--quick``) and how it prints figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BENCH_EXTRACTOR_VERSION = "bench-synthetic"


@dataclass(frozen=True)
class Config:
    files: int  # inbox files, the .jsonl counted as one
    jsonl_lines: int
    html_share: float
    near_dup_share: float  # of the single-article files: edited or truncated re-posts
    exact_dup_share: float  # of the single-article files: same article, other bytes
    history_sizes: tuple[int, ...]
    lookups: int  # per history size, half near-duplicates, half new texts
    feeds: int
    entries_per_feed: int
    chunk: int  # articles per worker task when loading the history
    event_history: tuple[int, ...] = (10_000, 100_000)  # articles clustered before measuring
    event_arrivals: int = 2000  # articles clustered and timed at each history size
    toy: bool = False  # toy sizes everywhere (--quick)

    @staticmethod
    def full() -> Config:
        return Config(1000, 100, 0.05, 0.03, 0.02, (10_000, 100_000), 200, 50, 10, 2000)

    @staticmethod
    def quick() -> Config:
        return Config(
            20, 10, 0.1, 0.05, 0.05, (500, 1000), 20, 3, 10, 250, (500, 2000), 200, toy=True
        )


def say(line: str = "") -> None:
    print(line, flush=True)


def rate(n: float, seconds: float) -> str:
    return f"{n / seconds:,.1f}" if seconds > 0 else "inf"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
