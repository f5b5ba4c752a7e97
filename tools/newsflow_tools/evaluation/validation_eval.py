"""What the validation suite rejects and repairs on an inbox (``make eval``, validation section).

Why: the suite must reject broken *articles* only (no text, too short, wrong language), never
an article for a broken *field* (issue 11). This runs a folder of seed files (the sample inbox
by default) through decode, extraction, normalisation and the suite, without a database, and
prints how many documents each expectation rejects and each field repair fixes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsflow import decode, extract, normalize, validate
from newsflow.records import DocumentContext, Extracted, Normalized
from newsflow.settings import get_settings
from newsflow.sources import files as inbox_files


@dataclass
class InboxReport:
    documents: int = 0
    extracted: list[tuple[str, Normalized]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (locator, reason) pre-suite
    outcome: validate.ValidationOutcome | None = None


def _items(
    item: inbox_files.InboxFile, text: str, refused: list[tuple[str, str]]
) -> list[tuple[str, Extracted]]:
    context = DocumentContext(
        origin="file",
        media_type=item.media_type,
        partition_date=item.partition_date,
        locator=item.relative,
    )
    if item.media_type == "application/jsonl":
        found = []
        for line_no, line in inbox_files.iter_jsonl_lines(text):
            where = f"{item.relative}:{line_no}"
            try:
                found.append(
                    (where, extract.extract_jsonl_record(json.loads(line), context=context))
                )
            except ValueError as exc:  # one bad line, as in the pipeline: the others go on
                refused.append((where, str(exc)))
        return found
    if item.media_type in ("text/html", "application/xhtml+xml"):
        return [(item.relative, extract.extract_html(text, context=context))]
    return [(item.relative, extract.extract_text(text, context=context))]


def run_inbox(inbox: Path) -> InboxReport:
    report = InboxReport()
    for item in inbox_files.scan_inbox(inbox, None, None):
        report.documents += 1
        if item.media_type is None:
            report.refused.append((item.relative, "unsupported file type"))
            continue
        try:
            text, _ = decode.decode_bytes(item.path.read_bytes())
            items = _items(item, text, report.refused)
        except ValueError as exc:
            report.refused.append((item.relative, str(exc)))
            continue
        for locator, ex in items:
            art = normalize.normalize(ex, extractor_version=extract.EXTRACTOR_VERSION)
            report.extracted.append((locator, art))
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
