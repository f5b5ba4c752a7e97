"""Near-duplicate evaluation: synthetic variants (positives) and real distinct reports (negatives).

Phase A, corpus pass: ECB+ train + dev articles (doc_id order) and the five seeds go through the
real :class:`~newsflow.neardup.NearDupDetector` one at a time, as the pipeline would: look up,
then index if not a duplicate. Every claimed pair is checked:

* across two ECB+ subtopics (gold events), or between two seeds: a certain false positive;
* inside one subtopic: ECB+ contains genuine wire re-posts (the same agency copy on two sites).
  A claimed same-event pair counts as a true duplicate only if at least half of the shorter
  article's sentences (>= 6 words) occur verbatim (normalised) in the other one; otherwise it
  is a false positive (a distinct report of the same story).

Phase B, variants: every indexed original of ECB+ train and the seeds with at least
``MIN_WORDS`` words gets one variant per transformation (see ``variants.TRANSFORMS``); the
variant is looked up (not indexed). Correct if the detector returns its original; a different
article is a false positive; no answer is a false negative. Variants that fall below the
minimum length themselves (truncated copies of short articles) are excluded and counted.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from newsflow import neardup as nd

from . import data, variants


@dataclass
class Item:
    key: str  # doc_id or seed file name
    group: str  # subtopic, or 'seed:<name>'
    title: str
    text: str


@dataclass
class NearDupReport:
    per_transform: dict[str, Counter] = field(default_factory=dict)
    corpus_pairs: list[tuple[str, str, str, float, str]] = field(default_factory=list)
    corpus_counts: Counter = field(default_factory=Counter)
    excluded_short_originals: int = 0
    n_originals: int = 0
    lookup_ms: list[float] = field(default_factory=list)
    fingerprint_ms: list[float] = field(default_factory=list)

    def totals(self) -> tuple[int, int, int]:
        tp = sum(c["tp"] for c in self.per_transform.values())
        fp = sum(c["fp"] for c in self.per_transform.values()) + self.corpus_counts["fp"]
        fn = sum(c["fn"] for c in self.per_transform.values())
        return tp, fp, fn


def _sentences(text: str) -> list[frozenset[str]]:
    out = []
    for line in text.split("\n"):
        for s in line.split(". "):
            words = nd.normalize_text(s).split()
            if len(words) >= 6:
                out.append(frozenset(words))
    return out


def shared_sentence_fraction(a: str, b: str, sim: float = 0.7) -> float:
    """Fraction of the shorter text's sentences (>= 6 words) that have a counterpart in the other
    text with word-set Jaccard >= ``sim`` (the same sentence, possibly lightly edited)."""
    sa, sb = _sentences(a), _sentences(b)
    if not sa or not sb:
        return 0.0
    small, large = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    hits = sum(1 for s in small if any(len(s & t) / len(s | t) >= sim for t in large))
    return hits / len(small)


def _items(topics: set[int] | None, with_dev: bool = True) -> tuple[list[Item], list[Item]]:
    train = [Item(d.doc_id, d.subtopic, d.title, d.text) for d in data.load_split("train", topics)]
    dev = (
        [Item(d.doc_id, d.subtopic, d.title, d.text) for d in data.load_split("dev", topics)]
        if with_dev
        else []
    )
    seeds = [
        Item(name, f"seed:{name}", text.split("\n", 1)[0], text) for name, text in data.load_seeds()
    ]
    return train + seeds, dev


def run(
    topics: set[int] | None = None,
    params: nd.NearDupParams | None = None,
    seed: int = 7,
    with_dev: bool = True,
) -> NearDupReport:
    p = params or nd.NearDupParams()
    originals, dev = _items(topics, with_dev)
    corpus = originals + dev
    report = NearDupReport()
    texts: dict[int, str] = {}
    index = nd.InMemoryCandidateIndex()
    detector = nd.NearDupDetector(
        index, lambda ids: {i: texts[i] for i in ids if i in texts}, params=p
    )

    # Phase A: corpus pass
    indexed: set[int] = set()
    for i, item in enumerate(corpus):
        t0 = time.perf_counter()
        fp = nd.fingerprint(item.text, p)
        t1 = time.perf_counter()
        match = detector.find(item.text, fp)
        t2 = time.perf_counter()
        report.fingerprint_ms.append((t1 - t0) * 1000)
        report.lookup_ms.append((t2 - t1) * 1000)
        if not fp.eligible:
            report.corpus_counts["short"] += 1
        if match is None:
            texts[i] = item.text
            detector.add(i, fp)
            indexed.add(i)
            continue
        other = corpus[match.original_id]
        if other.group != item.group:
            kind = "fp-cross-event" if not item.group.startswith("seed:") else "fp-seeds"
            report.corpus_counts["fp"] += 1
        else:
            frac = shared_sentence_fraction(item.text, other.text)
            if frac >= 0.5:
                kind = "wire-copy"
                report.corpus_counts["wire-copy"] += 1
            else:
                kind = "fp-same-event"
                report.corpus_counts["fp"] += 1
        report.corpus_counts["claimed"] += 1
        report.corpus_pairs.append(
            (item.key, other.key, kind, match.verdict.score, match.verdict.method)
        )

    # Phase B: variants of indexed originals (train + seeds)
    rng = random.Random(seed)
    titles = [it.title for it in originals]
    for i, item in enumerate(originals):
        if i not in indexed:
            continue
        if len(nd.tokens(item.text)) < p.min_words:
            report.excluded_short_originals += 1
            continue
        report.n_originals += 1
        for name, transform in variants.TRANSFORMS.items():
            counts = report.per_transform.setdefault(name, Counter())
            if name == "headline":
                other_title = titles[(i + 1 + rng.randrange(len(titles) - 1)) % len(titles)]
                text = variants.new_headline(item.text, rng, other_title)
            else:
                text = transform(item.text, rng)
            t0 = time.perf_counter()
            fp = nd.fingerprint(text, p)
            if not fp.eligible:
                counts["excluded"] += 1
                continue
            match = detector.find(text, fp)
            report.lookup_ms.append((time.perf_counter() - t0) * 1000)
            counts["n"] += 1
            if match is None:
                counts["fn"] += 1
            elif match.original_id == i:
                counts["tp"] += 1
            else:
                counts["fp"] += 1
                counts["fn"] += 1
    return report


def _pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    return prec, rec


def print_report(report: NearDupReport, out: Callable[[str], None] = print) -> None:
    p = nd.NearDupParams()
    out(
        f"Near-duplicates: k={p.k}-word shingles, MinHash {nd.NUM_PERM} perms, LSH "
        f"{nd.BANDS} bands x {nd.ROWS} rows; verify Jaccard >= {p.jaccard_threshold} or "
        f"containment >= {p.containment_threshold}; min length {p.min_words} words"
    )
    out(
        f"  originals with variants: {report.n_originals} (ECB+ train + seeds); "
        f"excluded as shorter than {p.min_words} words: {report.excluded_short_originals}"
    )
    out(
        f"  {'transformation':<18}{'n':>6}{'excl':>6}{'TP':>6}{'FP':>5}{'FN':>5}{'prec':>8}{'recall':>8}"
    )
    for name, c in report.per_transform.items():
        prec, rec = _pr(c["tp"], c["fp"], c["fn"])
        out(
            f"  {name:<18}{c['n']:>6}{c['excluded']:>6}{c['tp']:>6}{c['fp']:>5}{c['fn']:>5}"
            f"{prec:>8.3f}{rec:>8.3f}"
        )
    cc = report.corpus_counts
    out(
        f"  corpus pass (ECB+ train+dev + seeds, {len(report.lookup_ms) and ''}real articles): "
        f"{cc['claimed']} pairs claimed: {cc['wire-copy']} same-event wire copies (>= 50% shared "
        f"sentences), {cc['fp']} false positives; {cc['short']} articles below the minimum length"
    )
    kinds = Counter(k for _, _, k, _, _ in report.corpus_pairs)
    if kinds:
        out("    by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    for a, b, kind, score, method in report.corpus_pairs:
        if kind.startswith("fp"):
            out(f"    FP {a} ~ {b}: {kind} {method}={score:.3f}")
    tp, fp, fn = report.totals()
    prec, rec = _pr(tp, fp, fn)
    out(f"  OVERALL precision {prec:.4f} recall {rec:.4f} (TP {tp}, FP {fp}, FN {fn})")
    ms = sorted(report.lookup_ms)
    if ms:
        mean = sum(ms) / len(ms)
        out(
            f"  in-memory lookup (fingerprint + candidates + verify): mean {mean:.2f} ms, "
            f"p50 {ms[len(ms) // 2]:.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms over {len(ms)} lookups"
        )


def group_counts(report: NearDupReport) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for _, _, kind, _, _ in report.corpus_pairs:
        out[kind] += 1
    return dict(out)
