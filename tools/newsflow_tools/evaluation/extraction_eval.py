"""Main-text extraction quality and speed on the extraction dev set (``make eval``).

Why this exists: what matters is the text the project *stores*, not what an extractor returns.
So newsflow is scored after normalisation and after the great-expectations suite (a page whose
article would be quarantined counts as returning nothing), against trafilatura's default in
the same run. Scoring is the corpus' own protocol (its README): whitespace-normalised substring
matches of the "with" snippets (true positives / misses) and the "without" snippets (false
positives / true negatives), summed over all pages. Speed is CPU time on one core.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsflow import decode, extract, normalize, validate
from newsflow.records import Normalized

from . import data

DATASET = "extraction"
REQUIRED = ("annotations.jsonl", "html")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Page:
    name: str  # file name without folder
    url: str | None  # a real http(s) address, when the annotation has one
    html: str  # decoded as the pipeline decodes bytes
    with_: tuple[str, ...]
    without: tuple[str, ...]


@dataclass
class Counts:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fn += other.fn
        self.fp += other.fp
        self.tn += other.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fn + self.fp + self.tn
        return (self.tp + self.tn) / total if total else 0.0

    @property
    def errors(self) -> int:
        return self.fn + self.fp


@dataclass
class Run:
    name: str
    cpu_seconds: float = 0.0
    totals: Counts = field(default_factory=Counts)
    per_page: dict[str, Counts] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    raised: dict[str, str] = field(default_factory=dict)
    articles: list[Normalized] = field(default_factory=list)  # newsflow's, before validation

    def pages_per_second(self) -> float:
        return len(self.per_page) / self.cpu_seconds if self.cpu_seconds else 0.0


def squash(text: str) -> str:
    return _WS.sub(" ", text).strip()


def score(output: str, page: Page) -> Counts:
    """The corpus protocol for one page: substring matches after whitespace normalisation."""
    text = squash(output)
    counts = Counts()
    for snippet in page.with_:
        if squash(snippet) in text:
            counts.tp += 1
        else:
            counts.fn += 1
    for snippet in page.without:
        if squash(snippet) in text:
            counts.fp += 1
        else:
            counts.tn += 1
    return counts


def dataset_dir() -> Path:
    return data.eval_dir(DATASET, REQUIRED)


def available() -> bool:
    return data.available(DATASET, REQUIRED)


def load_pages(limit: int | None = None, names: Iterable[str] | None = None) -> list[Page]:
    """The dev set's pages, decoded with :func:`newsflow.decode.decode_bytes` (no charset hint:
    the declared one is not always right)."""
    root = dataset_dir()
    wanted = set(names) if names else None
    pages: list[Page] = []
    with (root / "annotations.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            name = Path(rec["file"]).name
            if wanted is not None and name not in wanted:
                continue
            raw = gzip.decompress((root / rec["file"]).read_bytes())
            try:
                html, _ = decode.decode_bytes(raw, None)
            except (decode.BinaryContentError, decode.EmptyDocumentError):
                html = ""
            url = rec.get("url") if str(rec.get("url", "")).startswith("http") else None
            pages.append(Page(name, url, html, tuple(rec["with"]), tuple(rec["without"])))
            if limit is not None and len(pages) >= limit:
                break
    return pages


def _newsflow_normalized(page: Page) -> Normalized:
    ex = extract.extract_html(page.html, url=page.url)
    return normalize.normalize(ex, extractor_version=extract.EXTRACTOR_VERSION)


def run_both(
    pages: list[Page], reference: Callable[[Page], str | None], reference_name: str
) -> tuple[Run, Run, validate.ValidationOutcome]:
    """newsflow's text as stored, and a reference extractor, page by page in turn.

    Interleaved so that both see the same machine load (CPU time, one core): newsflow is
    extract + normalise per page; the validation suite runs once over the whole batch
    afterwards (not timed: it is per batch, not per page). A quarantined article counts as
    returning nothing."""
    ours, ref = Run("newsflow (as stored)"), Run(reference_name)
    normalized: list[tuple[Page, Normalized]] = []
    ref_outputs: dict[str, str] = {}
    for page in pages:
        start = time.process_time()
        try:
            normalized.append((page, _newsflow_normalized(page)))
        except (ValueError, decode.EmptyDocumentError) as exc:
            ours.raised[page.name] = f"{type(exc).__name__}: {exc}"
        middle = time.process_time()
        try:
            ref_outputs[page.name] = reference(page) or ""
        except Exception as exc:  # a third-party extractor's failure is a miss, not a crash
            ref.raised[page.name] = f"{type(exc).__name__}: {exc}"
        ours.cpu_seconds += middle - start
        ref.cpu_seconds += time.process_time() - middle
    outcome = validate.validate_batch([a for _, a in normalized])
    stored = {
        page.name: art.text for row, (page, art) in enumerate(normalized) if outcome.passed(row)
    }
    for row, reasons in outcome.failures.items():
        ours.raised.setdefault(normalized[row][0].name, "quarantined: " + " ".join(reasons))
    _score_all(ours, pages, stored)
    _score_all(ref, pages, ref_outputs)
    ours.articles = [art for _, art in normalized]
    return ours, ref, outcome


def _score_all(run: Run, pages: list[Page], outputs: dict[str, str]) -> None:
    for page in pages:
        out = outputs.get(page.name, "")
        run.outputs[page.name] = out
        counts = score(out, page)
        run.per_page[page.name] = counts
        run.totals.add(counts)


def trafilatura_default(page: Page) -> str | None:
    import trafilatura

    return trafilatura.extract(page.html, url=page.url)


def print_report(runs: list[Run], reference: Run, worst: int = 10) -> None:
    print(f"  {'extractor':<28} {'F1':>6} {'P':>6} {'R':>6} {'acc':>6} {'pages/s':>8} {'ratio':>6}")
    for run in runs:
        ratio = (
            run.pages_per_second() / reference.pages_per_second() if reference.cpu_seconds else 0
        )
        t = run.totals
        print(
            f"  {run.name:<28} {t.f1:6.3f} {t.precision:6.3f} {t.recall:6.3f} {t.accuracy:6.3f} "
            f"{run.pages_per_second():8.1f} {ratio:5.2f}x"
        )
    print("  (pages/s: CPU time on one core; ratio against trafilatura default, same run)")
    main = runs[0]
    print(f"  {main.name}: {len(main.raised)} pages returned nothing (error or quarantine)")
    ranked = sorted(main.per_page.items(), key=lambda kv: (-kv[1].errors, kv[0]))[:worst]
    print(f"  worst pages of {main.name} (misses + false positives; reference in brackets):")
    for name, counts in ranked:
        if counts.errors == 0:
            break
        ref = reference.per_page.get(name, Counts())
        why = main.raised.get(name, "")
        print(
            f"    {name:<48} fn {counts.fn} fp {counts.fp}  [fn {ref.fn} fp {ref.fp}]"
            + (f"  {why[:90]}" if why else "")
        )


def repair_summary(articles: list[Normalized]) -> str:
    """Where publication dates came from, and how often each extraction rule fired."""
    sources = Counter(a.published_at_source or "none" for a in articles)
    rules = Counter(
        kind
        for a in articles
        for kind in {
            ":".join(r.split(":", 2)[:2]) if r.startswith("tail:") else r.split(":", 1)[0]
            for r in a.repairs
        }
    )
    shown = ", ".join(f"{k} {v}" for k, v in rules.most_common(14))
    return f"date sources: {dict(sources.most_common())}; rules fired (pages): {shown}"


def validation_counts(outcome: validate.ValidationOutcome) -> dict[str, int]:
    """How many documents each expectation rejected (from the stored summary)."""
    found: dict[str, int] = {}
    for item in outcome.summary.get("expectations", []):
        key = f"{item['expectation']}({item['column']})"
        found[key] = found.get(key, 0) + int(item["unexpected_count"])
    return found


def run(limit: int | None = None, worst: int = 10, dump: Path | None = None) -> list[Run]:
    pages = load_pages(limit)
    print(f"Extraction: {len(pages)} pages from {dataset_dir()}")
    ours, reference, outcome = run_both(pages, trafilatura_default, "trafilatura default")
    print_report([ours, reference], reference, worst)
    rejected = {k: v for k, v in validation_counts(outcome).items() if v}
    print(f"  validation rejections per expectation: {rejected or 'none'}")
    print(f"  field repairs (article kept): {outcome.summary.get('field_repairs') or 'none'}")
    print(f"  {repair_summary(ours.articles)}")
    if dump is not None:
        with dump.open("w", encoding="utf-8") as fh:
            for page in pages:
                rec: dict[str, Any] = {
                    "name": page.name,
                    "ours": ours.outputs[page.name],
                    "ref": reference.outputs[page.name],
                    "counts": vars(ours.per_page[page.name]),
                    "ref_counts": vars(reference.per_page[page.name]),
                    "raised": ours.raised.get(page.name),
                }
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return [ours, reference]
