"""The data-quality gate after an ingest run, and the few lines an operator needs.

One bad feed or document never fails an ingestion: it is quarantined or recorded on its feed
and the rest lands. But a run that quarantined most of its documents, failed documents,
paused feeds or failed validation in bulk is a failure somebody must see, and Airflow shows
failures in red and notifies about them. The gate therefore runs *after* the data is stored
(so nothing is lost by failing) and turns such a run into a failed task, with the reasons.
Thresholds are settings (``NEWSFLOW_GATE_*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newsflow import db
from newsflow.db import Conn
from newsflow.settings import Settings, get_settings


@dataclass
class GateResult:
    run_id: int
    problems: list[str] = field(default_factory=list)  # why the run fails the gate
    summary: list[str] = field(default_factory=list)  # what an operator reads in the log

    @property
    def passed(self) -> bool:
        return not self.problems


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def quarantine_reasons(conn: Conn, run_id: int, limit: int = 5) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in db.fetch_all(
            conn, "quality/quarantine_reasons", {"run_id": run_id, "limit": limit}
        )
    ]


def check(conn: Conn, run_id: int, settings: Settings | None = None) -> GateResult:
    """Hold the finished run against the thresholds; the problems and a summary."""
    settings = settings or get_settings()
    run = db.fetch_one(conn, "quality/run_figures", {"run_id": run_id})
    if run is None:
        raise ValueError(f"no ingest run {run_id}")
    result = GateResult(run_id)
    new, quarantined, failed = (
        int(run["documents_new"]),
        int(run["quarantined"]),
        int(run["failed"]),
    )
    validation = run["validation"] or {}
    evaluated = int(validation.get("evaluated") or 0)
    passed_rows = evaluated - int(validation.get("failed_rows") or 0)
    result.summary.append(
        f"run {run['id']} ({run['dag_id']}, {run['run_id']}): {run['documents_seen']} documents "
        f"seen, {new} new: stored {run['articles_stored']}, updated {run['articles_updated']}, "
        f"duplicates {run['duplicates']}, quarantined {quarantined}, failed {failed}, "
        f"pending {run['pending']}"
    )
    if evaluated:
        result.summary.append(
            f"validation: {passed_rows} of {evaluated} articles passed great-expectations"
        )
    reasons = quarantine_reasons(conn, run_id)
    if reasons:
        result.summary.append(
            "quarantine reasons: "
            + "; ".join(f"{r['stage']}: {r['reason']} (x{r['n']})" for r in reasons)
        )
    paused = list(run["paused_feeds"] or [])
    if paused:
        result.summary.append("feeds paused by this run: " + "; ".join(paused))

    if failed > settings.gate_max_failed:
        result.problems.append(
            f"{failed} documents failed (more than NEWSFLOW_GATE_MAX_FAILED={settings.gate_max_failed}); "
            "they are retried by the next runs"
        )
    if run["status"] == "failed":
        result.problems.append(f"the run {run['status_detail'] or 'failed'}")
    if int(run["pending"]):
        result.problems.append(
            f"{run['pending']} documents were not processed (a chunk failed, or the run was "
            "closed as abandoned while they waited); the next run takes them"
        )
    if new >= settings.gate_min_documents:
        share = _share(quarantined, new)
        if share > settings.gate_max_quarantine_share:
            result.problems.append(
                f"{quarantined} of {new} new documents ({share:.0%}) were quarantined (more than "
                f"NEWSFLOW_GATE_MAX_QUARANTINE_SHARE={settings.gate_max_quarantine_share:.0%})"
            )
    if evaluated >= settings.gate_min_documents:
        success = _share(passed_rows, evaluated)
        if success < settings.gate_min_validation_success:
            result.problems.append(
                f"only {success:.0%} of validated articles passed great-expectations (less than "
                f"NEWSFLOW_GATE_MIN_VALIDATION_SUCCESS={settings.gate_min_validation_success:.0%})"
            )
    if int(run["feeds_paused"]) > settings.gate_max_paused_feeds:
        result.problems.append(
            f"{run['feeds_paused']} feeds were paused by this run (more than "
            f"NEWSFLOW_GATE_MAX_PAUSED_FEEDS={settings.gate_max_paused_feeds}): see news.feed_health"
        )
    return result
