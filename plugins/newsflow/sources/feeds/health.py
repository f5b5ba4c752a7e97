"""Feed health policy: how a failure counts, how often a feed is polled, when it is paused.

Pure functions of a feed's history (the polling code stores what they decide): a failure is
hard (the URL is not a feed, gone), soft (refused by robots.txt, too large) or temporary
(timeouts, connection errors) and weighs accordingly; the interval adapts to how often the
feed's entries are new and to its publication pace, within bounds that are settings; a feed
whose failures add up is paused, with the reason.
"""

from __future__ import annotations

import math
from datetime import datetime

FAILURE_WEIGHTS = {"hard": 1.0, "soft": 0.5, "temporary": 0.25}
PAUSE_SCORE = 5.0  # e.g. five hard failures (1.0 each) in a row
PAUSE_CONSECUTIVE = 10  # any kind; a long outage of a few hours is tolerated

_HARD_OUTCOMES = {
    "not-a-feed",
    "parse-error",
    "blocked-ssrf",
    "redirect-loop",
    "too-many-redirects",
    "bad-content-type",
    "decompression-bomb",
}
_SOFT_OUTCOMES = {"blocked-robots", "too-large"}
_TEMPORARY_OUTCOMES = {"timeout", "connection-error"}
_HARD_STATUSES = {400, 404, 405, 410, 414, 501}
_TEMPORARY_STATUSES = {408, 425}


def classify_failure(outcome: str, status: int | None = None) -> tuple[str, float]:
    """Kind and weight of a failed poll: ('hard', 1.0), ('soft', 0.5), ('temporary', 0.25).

    ``outcome`` is a fetch outcome or ``'not-a-feed'``/``'parse-error'`` from parsing.
    Successful outcomes ('ok', 'not-modified', 'unchanged-body') give ('none', 0.0).
    """
    if outcome in ("ok", "not-modified", "unchanged-body"):
        return "none", 0.0
    if outcome == "http-error" and status is not None:
        if status in _HARD_STATUSES:
            kind = "hard"
        elif status in _TEMPORARY_STATUSES or status >= 500:
            kind = "temporary"
        else:  # 401, 403, 429, 451 and the other 4xx
            kind = "soft"
    elif outcome in _HARD_OUTCOMES:
        kind = "hard"
    elif outcome in _TEMPORARY_OUTCOMES:
        kind = "temporary"
    else:  # _SOFT_OUTCOMES and anything unknown
        kind = "soft"
    return kind, FAILURE_WEIGHTS[kind]


def publication_gap(published: list[datetime | None], recent: int = 20) -> float | None:
    """Typical seconds between two entries of a feed: the median gap between the distinct
    publication times of its ``recent`` newest entries (None with fewer than two)."""
    times = sorted({p for p in published if p is not None}, reverse=True)[:recent]
    gaps = [(a - b).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    gaps = sorted(g for g in gaps if g > 0)
    if not gaps:
        return None
    middle = len(gaps) // 2
    return gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2


def next_poll_interval(
    current_s: int,
    seen_share: float,
    failed: bool = False,
    *,
    bounds: tuple[int, int],
    publication_gap_s: float | None = None,
) -> int:
    """Next polling interval in seconds, clamped to ``bounds`` (min, max).

    A failed poll doubles the interval (back-off).  Otherwise the interval is multiplied
    by ``0.5 + seen_share``: all entries new -> halve, half seen -> keep, all seen -> x1.5.
    When the poll found new entries and the feed publishes faster than that (its
    ``publication_gap_s``), the interval follows the feed's pace: a feed whose entries change
    every few minutes is polled every few minutes.
    """
    low, high = bounds
    try:
        current = float(current_s)
    except (TypeError, ValueError):
        current = float(low)
    if not math.isfinite(current) or current <= 0:
        current = float(low)
    if failed:
        factor = 2.0
    else:
        share = 1.0 if seen_share is None or not math.isfinite(seen_share) else seen_share
        factor = 0.5 + min(1.0, max(0.0, share))
    interval = current * factor
    if not failed and seen_share < 1.0 and publication_gap_s and publication_gap_s > 0:
        interval = min(interval, publication_gap_s)
    return int(min(high, max(low, round(interval))))


def should_pause(consecutive_failures: int, failure_score: float) -> str | None:
    """Reason to pause a feed automatically, or None.

    Paused when the weighted failure score reaches :data:`PAUSE_SCORE` (five hard
    failures, ten soft, twenty temporary) or after :data:`PAUSE_CONSECUTIVE` failures in
    a row of any kind.
    """
    if failure_score >= PAUSE_SCORE:
        return (
            f"failure score {failure_score:.2f} reached {PAUSE_SCORE:g} "
            f"({consecutive_failures} consecutive failures)"
        )
    if consecutive_failures >= PAUSE_CONSECUTIVE:
        return f"{consecutive_failures} consecutive failures (limit {PAUSE_CONSECUTIVE})"
    return None
