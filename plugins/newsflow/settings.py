"""All configuration: environment variables ``NEWSFLOW_*`` with documented defaults.

Read once per call of :func:`get_settings` so tests can change the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    # NEWSFLOW_HOME: working directory for the embedded Postgres and local Airflow (.newsflow/)
    home: Path
    # NEWSFLOW_DATABASE_URL: any Postgres; empty means the embedded server under home/pgdata
    database_url: str | None
    # NEWSFLOW_INBOX: seed-file inbox (files directly inside or in YYYY-MM-DD folders)
    inbox: Path
    # NEWSFLOW_MAX_DOCUMENT_BYTES: size cap for one file or fetched body (default 10 MB)
    max_document_bytes: int
    # NEWSFLOW_MIN_TEXT_CHARS / NEWSFLOW_MAX_TEXT_CHARS: validation bounds on article text
    min_text_chars: int
    max_text_chars: int
    # NEWSFLOW_MAX_TITLE_CHARS: validation bound on the title
    max_title_chars: int
    # NEWSFLOW_LANGUAGES: accepted ISO 639-1 languages (empty = any detected language)
    languages: tuple[str, ...]
    # NEWSFLOW_HOST_MIN_INTERVAL: seconds between two requests to one host (politeness)
    host_min_interval: float
    # NEWSFLOW_FETCH_CONCURRENCY: concurrent article-page fetches
    fetch_concurrency: int
    # NEWSFLOW_HTTP_ALLOWLIST: hosts/CIDRs allowed despite the SSRF guard (e.g. 127.0.0.1)
    http_allowlist: tuple[str, ...]
    # NEWSFLOW_USER_AGENT
    user_agent: str
    # NEWSFLOW_LOCK_TIMEOUT: seconds the pipeline waits for one of its locks before failing
    # with a message naming the holder
    lock_timeout_s: float
    # NEWSFLOW_RUN_ABANDON_AFTER: seconds without a sign of life after which a run left
    # 'running' is closed as abandoned by the next run (longer than any unit of work)
    run_abandon_after_s: float
    # NEWSFLOW_MAX_ATTEMPTS: runs a document may fail in (transient errors) before it is
    # quarantined instead of retried again
    max_attempts: int
    # NEWSFLOW_CHUNK_DOCUMENTS / NEWSFLOW_CHUNK_MB: a run's documents are processed in chunks
    # of at most this many documents and this many megabytes of raw bytes, each committed on
    # its own (memory stays flat in batch size; chunks are the unit Airflow maps over)
    chunk_documents: int
    chunk_bytes: int
    # NEWSFLOW_PREPARE_PROCESSES: processes that decode and extract within one task (0: one
    # per core; 1: in the task's own process)
    prepare_processes: int
    # NEWSFLOW_EVAL_DATA: third-party evaluation data sets (ecbplus/, extraction/); not ours,
    # never in the repository (default: ../shared/eval beside the repository)
    eval_data: Path
    extra: dict[str, str] = field(default_factory=dict)


def get_settings() -> Settings:
    home = Path(os.environ.get("NEWSFLOW_HOME") or PROJECT_ROOT / ".newsflow")
    return Settings(
        home=home,
        database_url=os.environ.get("NEWSFLOW_DATABASE_URL") or None,
        inbox=Path(os.environ.get("NEWSFLOW_INBOX") or PROJECT_ROOT / "data" / "inbox"),
        max_document_bytes=_int("NEWSFLOW_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024),
        min_text_chars=_int("NEWSFLOW_MIN_TEXT_CHARS", 200),
        max_text_chars=_int("NEWSFLOW_MAX_TEXT_CHARS", 200_000),
        max_title_chars=_int("NEWSFLOW_MAX_TITLE_CHARS", 160),
        languages=_list("NEWSFLOW_LANGUAGES"),
        host_min_interval=_float("NEWSFLOW_HOST_MIN_INTERVAL", 5.0),
        fetch_concurrency=_int("NEWSFLOW_FETCH_CONCURRENCY", 4),
        http_allowlist=_list("NEWSFLOW_HTTP_ALLOWLIST"),
        user_agent=os.environ.get(
            "NEWSFLOW_USER_AGENT",
            "newsflow/0.1 (+https://github.com/newsflow; polite news crawler)",
        ),
        lock_timeout_s=_float("NEWSFLOW_LOCK_TIMEOUT", 600.0),
        run_abandon_after_s=_float("NEWSFLOW_RUN_ABANDON_AFTER", 3 * 3600.0),
        max_attempts=_int("NEWSFLOW_MAX_ATTEMPTS", 3),
        chunk_documents=_int("NEWSFLOW_CHUNK_DOCUMENTS", 250),
        chunk_bytes=_int("NEWSFLOW_CHUNK_MB", 64) * 1024 * 1024,
        prepare_processes=_int("NEWSFLOW_PREPARE_PROCESSES", 0),
        eval_data=Path(
            os.environ.get("NEWSFLOW_EVAL_DATA") or PROJECT_ROOT.parent / "shared" / "eval"
        ),
    )
