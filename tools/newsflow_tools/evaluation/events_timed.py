"""Event clustering with real time: generated timelines over ECB+ documents.

ECB+ has no publication dates, so the main evaluation switches the time channel off. Here every
gold event gets a start time; the look-alike events of one topic (``N_ecb`` and ``N_ecbplus``:
two earthquakes, two IE patches) start ``gap_days`` apart, topics start at random points of a
year, and each article is published within ``spread_hours`` of its event's start. Articles
arrive in publication order, as in production, and are clustered with the shipped defaults
(time decay and the ``max_gap_days`` cut on). The same timelines clustered with the time
channel off show what time contributes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsflow import events as ev

from .data import Doc
from .events_eval import Scores, bcubed, default_eval_params, pairwise

START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Timeline:
    label: str
    order: list[int]  # document indices in publication order
    dates: list[datetime]  # per document index


def timeline(
    docs: Sequence[Doc], gap_days: float, seed: int, spread_hours: float = 36.0
) -> Timeline:
    rng = random.Random(seed)
    topic_start: dict[int, datetime] = {}
    event_start: dict[str, datetime] = {}
    for d in docs:
        if d.topic not in topic_start:
            topic_start[d.topic] = START + timedelta(days=rng.uniform(0, 365))
    for sub in sorted({d.subtopic for d in docs}):
        topic = int(sub.split("_")[0])
        later = gap_days if "plus" in sub else 0.0
        event_start[sub] = topic_start[topic] + timedelta(days=later)
    dates = [event_start[d.subtopic] + timedelta(hours=rng.uniform(0, spread_hours)) for d in docs]
    order = sorted(range(len(docs)), key=lambda i: (dates[i], i))
    return Timeline(f"gap {gap_days:g} d, seed {seed}", order, dates)


def cluster_timeline(docs: Sequence[Doc], tl: Timeline, params: ev.ClusterParams) -> list[int]:
    store = ev.InMemoryEventStore()
    clusterer = ev.EventClusterer(store, params)
    for i in tl.order:
        clusterer.assign(i, ev.featurize(docs[i].title, docs[i].text, tl.dates[i]))
    return [store.event_of(i) for i in range(len(docs))]


def evaluate_timed(
    docs: Sequence[Doc],
    gaps: Sequence[float] = (1.0, 7.0),
    seeds: Sequence[int] = (11, 22),
) -> list[tuple[str, Scores]]:
    """(setting, scores) per timeline: the shipped defaults, and time off on the first one."""
    gold = [d.subtopic for d in docs]
    out = []
    first = True
    for gap in gaps:
        for seed in seeds:
            tl = timeline(docs, gap, seed)
            settings: list[tuple[str, ev.ClusterParams]] = [("time on", ev.ClusterParams())]
            if first:
                settings.append(("time off", default_eval_params()))
                first = False
            for name, params in settings:
                pred = cluster_timeline(docs, tl, params)
                scores = Scores(
                    tl.label, *bcubed(pred, gold), *pairwise(pred, gold), len(set(pred)),
                    len(set(gold)),
                )  # fmt: skip
                out.append((name, scores))
    return out


def print_timed(
    label: str, results: Sequence[tuple[str, Scores]], out: Callable[[str], None] = print
) -> None:
    out(f"Events with time, {label}: look-alike events days apart, publication order")
    out(f"  {'setting':<9}{'timeline':<20}{'B3 P':>7}{'B3 R':>7}{'B3 F1':>7}{'pred':>6}{'gold':>6}")
    for name, s in results:
        out(
            f"  {name:<9}{s.order:<20}{s.b3_p:>7.3f}{s.b3_r:>7.3f}{s.b3_f:>7.3f}"
            f"{s.n_pred:>6}{s.n_gold:>6}"
        )
