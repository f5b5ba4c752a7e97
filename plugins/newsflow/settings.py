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
    # NEWSFLOW_EVAL_DATA: third-party evaluation data sets (ecbplus/, extraction/); not ours,
    # never in the repository (default: ../shared/eval beside the repository)
    eval_data: Path
    # NEWSFLOW_WEB_DATABASE_URL: the news database for the News view in Airflow's API server
    # (e.g. a login role in newsflow_reader); empty = the Airflow connection below
    web_database_url: str | None
    # NEWSFLOW_WEB_CONN_ID: the Airflow connection the News view reads when the URL above is
    # empty (default newsflow_db, the tasks' connection); then NEWSFLOW_DATABASE_URL
    web_conn_id: str
    # NEWSFLOW_WEB_PAGE_SIZE: rows per page of the News view (default 25)
    web_page_size: int
    # NEWSFLOW_WEB_STATEMENT_TIMEOUT_MS: a News page query running longer is cancelled (5000)
    web_statement_timeout_ms: int
    # NEWSFLOW_AIRFLOW_HOST / NEWSFLOW_AIRFLOW_PORT: where `make up`'s Airflow UI listens
    # (127.0.0.1:8080)
    airflow_host: str
    airflow_port: int
    # NEWSFLOW_AIRFLOW_WORKER_LOG_PORT / NEWSFLOW_AIRFLOW_TRIGGER_LOG_PORT: `make up`'s log
    # servers (Airflow's 8793 / 8794); give a second local instance other ports
    airflow_worker_log_port: int
    airflow_trigger_log_port: int
    # NEWSFLOW_AIRFLOW_USER / NEWSFLOW_AIRFLOW_PASSWORD: `make up`'s login (admin / admin)
    airflow_user: str
    airflow_password: str
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
        eval_data=Path(
            os.environ.get("NEWSFLOW_EVAL_DATA") or PROJECT_ROOT.parent / "shared" / "eval"
        ),
        web_database_url=os.environ.get("NEWSFLOW_WEB_DATABASE_URL") or None,
        web_conn_id=os.environ.get("NEWSFLOW_WEB_CONN_ID") or "newsflow_db",
        web_page_size=_int("NEWSFLOW_WEB_PAGE_SIZE", 25),
        web_statement_timeout_ms=_int("NEWSFLOW_WEB_STATEMENT_TIMEOUT_MS", 5000),
        airflow_host=os.environ.get("NEWSFLOW_AIRFLOW_HOST") or "127.0.0.1",
        airflow_port=_int("NEWSFLOW_AIRFLOW_PORT", 8080),
        airflow_worker_log_port=_int("NEWSFLOW_AIRFLOW_WORKER_LOG_PORT", 8793),
        airflow_trigger_log_port=_int("NEWSFLOW_AIRFLOW_TRIGGER_LOG_PORT", 8794),
        airflow_user=os.environ.get("NEWSFLOW_AIRFLOW_USER") or "admin",
        airflow_password=os.environ.get("NEWSFLOW_AIRFLOW_PASSWORD") or "admin",
    )
