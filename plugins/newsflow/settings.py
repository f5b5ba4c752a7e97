"""All configuration: environment variables ``NEWSFLOW_*`` with documented defaults.

Read once per call of :func:`get_settings` so tests can change the environment.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _int(name: str, default: int, low: int | None = None) -> int:
    """An integer setting; ``low``: the least value that makes sense (a clear error below)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low}, got {raw!r}")
    return value


def _float(name: str, default: float, *, positive: bool = False, share: bool = False) -> float:
    """A number setting; ``positive``: above 0 (a time: 0 means "wait forever" to Postgres,
    "look again at once" to a watcher); ``share``: between 0 and 1 (not a percentage)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {raw!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be above 0, got {raw!r}")
    if share and not 0 <= value <= 1:
        raise ValueError(f"{name} is a share between 0 and 1 (0.5 for half), got {raw!r}")
    if not positive and not share and value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


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
    # --- the fetcher (newsflow.fetch) ---
    # NEWSFLOW_FETCH_CONNECT_TIMEOUT: seconds to open a connection (default 10)
    fetch_connect_timeout: float = 10.0
    # NEWSFLOW_FETCH_READ_TIMEOUT: seconds of silence tolerated on one socket read (default 20)
    fetch_read_timeout: float = 20.0
    # NEWSFLOW_FETCH_REQUEST_BUDGET: wall-clock budget of one request, from connect through the
    # headers to the last body byte; robots.txt requests too (default 60)
    fetch_request_budget: float = 60.0
    # NEWSFLOW_FETCH_MAX_TRIES: attempts per URL on 408/429/5xx and connection errors (default 3)
    fetch_max_tries: int = 3
    # NEWSFLOW_FETCH_BACKOFF_BASE / NEWSFLOW_FETCH_BACKOFF_MAX: exponential backoff between
    # attempts, with jitter (seconds; defaults 1 and 30)
    fetch_backoff_base: float = 1.0
    fetch_backoff_max: float = 30.0
    # NEWSFLOW_FETCH_RETRY_AFTER_CAP: longest Retry-After honoured within one fetch (default 60)
    fetch_retry_after_cap: float = 60.0
    # NEWSFLOW_FETCH_MAX_REDIRECTS (default 5)
    fetch_max_redirects: int = 5
    # NEWSFLOW_FETCH_BOMB_RATIO: decompressed/compressed ratio past the size cap that is
    # reported as a decompression bomb rather than a large body (default 100)
    fetch_bomb_ratio: float = 100.0
    # NEWSFLOW_ROBOTS_RESPECT: obey robots.txt (default true)
    robots_respect: bool = True
    # NEWSFLOW_ROBOTS_TTL: seconds a fetched robots.txt is trusted, shared by every worker
    # through news.robots_cache (default 3600)
    robots_ttl: float = 3600.0
    # NEWSFLOW_ROBOTS_ERROR_TTL: seconds an unreachable or 5xx robots.txt is remembered (300)
    robots_error_ttl: float = 300.0
    # NEWSFLOW_ROBOTS_MAX_CRAWL_DELAY: cap on a site's Crawl-delay, seconds (default 30)
    robots_max_crawl_delay: float = 30.0
    # --- feed polling (newsflow.sources.feeds) ---
    # NEWSFLOW_FEED_MAX_PAGES_PER_POLL: article pages one poll fetches; the rest stay queued in
    # news.pages for the next poll, nothing is lost (default 60)
    feed_max_pages_per_poll: int = 60
    # NEWSFLOW_FEED_POLL_BUDGET: seconds one poll (or one group of polls) may spend fetching
    # pages before it leaves the rest to the next poll (default 900)
    feed_poll_budget: float = 900.0
    # NEWSFLOW_FEED_MIN_INTERVAL / NEWSFLOW_FEED_MAX_INTERVAL: bounds of the adaptive polling
    # interval, seconds (defaults 120 and 86400)
    feed_min_interval: int = 120
    feed_max_interval: int = 86400
    # NEWSFLOW_FEED_MAX_PAGE_ATTEMPTS: fetches of one page that archived nothing before it is
    # given up (default 5)
    feed_max_page_attempts: int = 5
    # NEWSFLOW_PAGE_CLAIM_LEASE: seconds after which a page claim is re-taken even if the
    # claiming connection still looks alive (default 1800)
    page_claim_lease: float = 1800.0
    # NEWSFLOW_WEBSUB_CALLBACK_URL: public base URL of the WebSub callback endpoint (empty:
    # no subscriptions, polling only); NEWSFLOW_WEBSUB_LEASE: lease asked of hubs (seconds)
    websub_callback_url: str | None = None
    websub_lease: int = 86400
    # NEWSFLOW_FEED_POLL_TASKS: at most this many poll tasks per news_feeds run; the due feeds
    # are grouped by host and the groups packed into these (a task start costs seconds of CPU)
    feed_poll_tasks: int = 3
    # The data-quality gate after each ingest run (news_files, news_feeds): the run is marked
    # failed in Airflow (the data stays stored) when, among at least NEWSFLOW_GATE_MIN_DOCUMENTS
    # new documents, the quarantined share is above NEWSFLOW_GATE_MAX_QUARANTINE_SHARE or the
    # share of validated articles that passed is below NEWSFLOW_GATE_MIN_VALIDATION_SUCCESS;
    # or when more than NEWSFLOW_GATE_MAX_FAILED documents failed, or more than
    # NEWSFLOW_GATE_MAX_PAUSED_FEEDS feeds were paused by the run.
    gate_min_documents: int = 5
    gate_max_quarantine_share: float = 0.5
    gate_min_validation_success: float = 0.5
    gate_max_failed: int = 0
    gate_max_paused_feeds: int = 0
    # NEWSFLOW_TASK_TIMEOUT / NEWSFLOW_CHUNK_TIMEOUT: execution_timeout of every task / of one
    # chunk's processing, seconds (a hung task fails and is retried instead of holding a slot)
    task_timeout_s: float = 3600.0
    chunk_timeout_s: float = 1800.0
    # NEWSFLOW_ALERTS_CONN_ID: the Airflow connection failure notifications go to (an HTTP
    # webhook, or SMTP); no connection, no notification
    alerts_conn_id: str = "newsflow_alerts"
    # NEWSFLOW_ARCHIVE_BATCH: inbox files archived per transaction (the scan commits every so
    # many: fewer commits, and a crash loses at most one batch, which the next run archives)
    archive_batch: int = 100
    # NEWSFLOW_PRELOAD: workers import the task stack (great-expectations, extraction) once,
    # before they fork task processes (see newsflow.preload); false: each task imports it
    preload: bool = True
    # NEWSFLOW_WORKER_NAME: the name a worker reports as its host (Airflow's hostname_callable
    # newsflow.airflow_adapter.worker_hostname); empty: the machine's name
    worker_name: str | None = None
    # --- streaming (newsflow.streaming): event-driven runs through Airflow AssetWatchers ---
    # NEWSFLOW_WATCH_INTERVAL: seconds between two looks of a watcher (the inbox listing, the
    # queue's backlog, the feeds' due times) in the triggerer (default 2)
    watch_interval_s: float = 2.0
    # NEWSFLOW_QUEUE_URL: the Redis server articles are pushed to as JSON messages (empty: no
    # queue source); NEWSFLOW_QUEUE_STREAM / NEWSFLOW_QUEUE_GROUP: the Redis stream and the
    # consumer group newsflow reads it with (newsflow:articles / newsflow)
    queue_url: str | None = None
    queue_stream: str = "newsflow:articles"
    queue_group: str = "newsflow"
    # NEWSFLOW_QUEUE_BATCH: messages one news_queue run takes at most (default 1000);
    # NEWSFLOW_QUEUE_CLAIM_IDLE: seconds after which a message delivered but never
    # acknowledged (its run died) is taken again (default 300)
    queue_batch: int = 1000
    queue_claim_idle_s: float = 300.0


def get_settings() -> Settings:
    home = Path(os.environ.get("NEWSFLOW_HOME") or PROJECT_ROOT / ".newsflow")
    return Settings(
        home=home,
        database_url=os.environ.get("NEWSFLOW_DATABASE_URL") or None,
        inbox=Path(os.environ.get("NEWSFLOW_INBOX") or PROJECT_ROOT / "data" / "inbox"),
        max_document_bytes=_int("NEWSFLOW_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024, 1),
        min_text_chars=_int("NEWSFLOW_MIN_TEXT_CHARS", 200, 0),
        max_text_chars=_int("NEWSFLOW_MAX_TEXT_CHARS", 200_000, 1),
        max_title_chars=_int("NEWSFLOW_MAX_TITLE_CHARS", 160, 1),
        languages=_list("NEWSFLOW_LANGUAGES"),
        host_min_interval=_float("NEWSFLOW_HOST_MIN_INTERVAL", 5.0),
        fetch_concurrency=_int("NEWSFLOW_FETCH_CONCURRENCY", 4, 1),
        http_allowlist=_list("NEWSFLOW_HTTP_ALLOWLIST"),
        user_agent=os.environ.get(
            "NEWSFLOW_USER_AGENT",
            "newsflow/0.1 (+https://github.com/newsflow; polite news crawler)",
        ),
        lock_timeout_s=_float("NEWSFLOW_LOCK_TIMEOUT", 600.0, positive=True),
        run_abandon_after_s=_float("NEWSFLOW_RUN_ABANDON_AFTER", 3 * 3600.0, positive=True),
        max_attempts=_int("NEWSFLOW_MAX_ATTEMPTS", 3, 1),
        chunk_documents=_int("NEWSFLOW_CHUNK_DOCUMENTS", 250, 1),
        chunk_bytes=_int("NEWSFLOW_CHUNK_MB", 64, 1) * 1024 * 1024,
        prepare_processes=_int("NEWSFLOW_PREPARE_PROCESSES", 0, 0),
        eval_data=Path(
            os.environ.get("NEWSFLOW_EVAL_DATA") or PROJECT_ROOT.parent / "shared" / "eval"
        ),
        fetch_connect_timeout=_float("NEWSFLOW_FETCH_CONNECT_TIMEOUT", 10.0, positive=True),
        fetch_read_timeout=_float("NEWSFLOW_FETCH_READ_TIMEOUT", 20.0, positive=True),
        fetch_request_budget=_float("NEWSFLOW_FETCH_REQUEST_BUDGET", 60.0, positive=True),
        fetch_max_tries=_int("NEWSFLOW_FETCH_MAX_TRIES", 3, 1),
        fetch_backoff_base=_float("NEWSFLOW_FETCH_BACKOFF_BASE", 1.0),
        fetch_backoff_max=_float("NEWSFLOW_FETCH_BACKOFF_MAX", 30.0),
        fetch_retry_after_cap=_float("NEWSFLOW_FETCH_RETRY_AFTER_CAP", 60.0),
        fetch_max_redirects=_int("NEWSFLOW_FETCH_MAX_REDIRECTS", 5, 0),
        fetch_bomb_ratio=_float("NEWSFLOW_FETCH_BOMB_RATIO", 100.0, positive=True),
        robots_respect=_bool("NEWSFLOW_ROBOTS_RESPECT", True),
        robots_ttl=_float("NEWSFLOW_ROBOTS_TTL", 3600.0),
        robots_error_ttl=_float("NEWSFLOW_ROBOTS_ERROR_TTL", 300.0),
        robots_max_crawl_delay=_float("NEWSFLOW_ROBOTS_MAX_CRAWL_DELAY", 30.0),
        feed_max_pages_per_poll=_int("NEWSFLOW_FEED_MAX_PAGES_PER_POLL", 60, 1),
        feed_poll_budget=_float("NEWSFLOW_FEED_POLL_BUDGET", 900.0, positive=True),
        feed_min_interval=_int("NEWSFLOW_FEED_MIN_INTERVAL", 120, 1),
        feed_max_interval=_int("NEWSFLOW_FEED_MAX_INTERVAL", 86400, 1),
        feed_max_page_attempts=_int("NEWSFLOW_FEED_MAX_PAGE_ATTEMPTS", 5, 1),
        page_claim_lease=_float("NEWSFLOW_PAGE_CLAIM_LEASE", 1800.0, positive=True),
        websub_callback_url=os.environ.get("NEWSFLOW_WEBSUB_CALLBACK_URL") or None,
        websub_lease=_int("NEWSFLOW_WEBSUB_LEASE", 86400, 1),
        feed_poll_tasks=_int("NEWSFLOW_FEED_POLL_TASKS", 3, 1),
        gate_min_documents=_int("NEWSFLOW_GATE_MIN_DOCUMENTS", 5, 0),
        gate_max_quarantine_share=_float("NEWSFLOW_GATE_MAX_QUARANTINE_SHARE", 0.5, share=True),
        gate_min_validation_success=_float("NEWSFLOW_GATE_MIN_VALIDATION_SUCCESS", 0.5, share=True),
        gate_max_failed=_int("NEWSFLOW_GATE_MAX_FAILED", 0, 0),
        gate_max_paused_feeds=_int("NEWSFLOW_GATE_MAX_PAUSED_FEEDS", 0, 0),
        task_timeout_s=_float("NEWSFLOW_TASK_TIMEOUT", 3600.0, positive=True),
        chunk_timeout_s=_float("NEWSFLOW_CHUNK_TIMEOUT", 1800.0, positive=True),
        alerts_conn_id=os.environ.get("NEWSFLOW_ALERTS_CONN_ID") or "newsflow_alerts",
        archive_batch=_int("NEWSFLOW_ARCHIVE_BATCH", 100, 1),
        preload=_bool("NEWSFLOW_PRELOAD", True),
        worker_name=os.environ.get("NEWSFLOW_WORKER_NAME") or None,
        watch_interval_s=_float("NEWSFLOW_WATCH_INTERVAL", 2.0, positive=True),
        queue_url=os.environ.get("NEWSFLOW_QUEUE_URL") or None,
        queue_stream=os.environ.get("NEWSFLOW_QUEUE_STREAM") or "newsflow:articles",
        queue_group=os.environ.get("NEWSFLOW_QUEUE_GROUP") or "newsflow",
        queue_batch=_int("NEWSFLOW_QUEUE_BATCH", 1000, 1),
        queue_claim_idle_s=_float("NEWSFLOW_QUEUE_CLAIM_IDLE", 300.0, positive=True),
        web_database_url=os.environ.get("NEWSFLOW_WEB_DATABASE_URL") or None,
        web_conn_id=os.environ.get("NEWSFLOW_WEB_CONN_ID") or "newsflow_db",
        web_page_size=_int("NEWSFLOW_WEB_PAGE_SIZE", 25, 1),
        web_statement_timeout_ms=_int("NEWSFLOW_WEB_STATEMENT_TIMEOUT_MS", 5000, 1),
        airflow_host=os.environ.get("NEWSFLOW_AIRFLOW_HOST") or "127.0.0.1",
        airflow_port=_int("NEWSFLOW_AIRFLOW_PORT", 8080),
        airflow_worker_log_port=_int("NEWSFLOW_AIRFLOW_WORKER_LOG_PORT", 8793),
        airflow_trigger_log_port=_int("NEWSFLOW_AIRFLOW_TRIGGER_LOG_PORT", 8794),
        airflow_user=os.environ.get("NEWSFLOW_AIRFLOW_USER") or "admin",
        airflow_password=os.environ.get("NEWSFLOW_AIRFLOW_PASSWORD") or "admin",
    )
