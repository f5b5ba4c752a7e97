"""What the validation suite rejects and repairs on an inbox (``make eval``, validation section).

Why: the suite must reject broken *articles* only (no text, too short, wrong language), never
an article for a broken *field* (issue 11). This runs a folder of seed files (the sample inbox
by default) through decode, extraction, normalisation and the suite, without a database, and
prints how many documents each expectation rejects and each field repair fixes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsflow import archive, stages, validate
from newsflow.records import Normalized
from newsflow.settings import get_settings
from newsflow.sources import inbox as inbox_source
from newsflow.stages import Document


@dataclass
class InboxReport:
    documents: int = 0
    extracted: list[tuple[str, Normalized]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (locator, reason) pre-suite
    outcome: validate.ValidationOutcome | None = None


def run_inbox(inbox: Path) -> InboxReport:
    """Every inbox file through the pipeline's own stages (decode, extract, normalise) as an
    archived document would go, then the suite over all articles at once."""
    report = InboxReport()
    for entry in inbox_source.scan_inbox(inbox, None, None):
        report.documents += 1
        raw = inbox_source.read_inbox_file(entry, get_settings())
        if raw.refusal or raw.body is None:
            report.refused.append((entry.relative, raw.refusal or "not read"))
            continue
        doc = Document(
            id=report.documents,
            origin="file",
            locator=entry.relative,
            url=None,
            media_type=entry.media_type,
            charset=None,
            codec=archive.CODEC,
            body=archive.compress(raw.body),
            entry_meta=None,
            fetched_at=None,
            partition_date=entry.partition_date,
            feed_source=None,
        )
        for item in stages.prepare(doc):
            where = entry.relative + (f":{item.item_no}" if item.item_no else "")
            if item.normalized is None or not item.standing:
                report.refused.append((where, "; ".join(item.reasons)))
            else:
                report.extracted.append((where, item.normalized))
    report.outcome = validate.validate_batch([a for _, a in report.extracted])
    return report


def print_inbox_report(report: InboxReport, inbox: Path) -> None:
    assert report.outcome is not None
    outcome = report.outcome
    print(f"Validation on {inbox}: {report.documents} files, {len(report.extracted)} articles")
    print(f"  refused before the suite (decode/extract): {len(report.refused)}")
    for locator, reason in report.refused:
        print(f"    {locator}: {reason}")
    rejected = Counter[str]()
    for item in outcome.summary.get("expectations", []):
        rejected[f"{item['expectation']}({item['column']})"] += int(item["unexpected_count"])
    print("  documents rejected per expectation:")
    for name, count in rejected.items():
        print(f"    {count:4d}  {name}")
    print(f"  field repairs (article kept): {outcome.summary.get('field_repairs') or 'none'}")
    for row, reasons in sorted(outcome.failures.items()):
        print(f"    quarantined {report.extracted[row][0]}: {' '.join(reasons)}")
    dated = Counter(a.published_at_source or "none" for _, a in report.extracted)
    print(f"  publication date sources: {dict(sorted(dated.items()))}")


def run(inbox: Path | None = None) -> InboxReport:
    where = inbox or get_settings().inbox
    report = run_inbox(where)
    print_inbox_report(report, where)
    return report
