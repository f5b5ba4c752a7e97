"""``make bench`` (``python -m newsflow_tools.bench``): throughput and lookup-time figures, printed only.

Runs on a private PostgreSQL: the embedded server under a temporary ``NEWSFLOW_HOME`` (started
and stopped here), or, with ``NEWSFLOW_DATABASE_URL`` set, fresh ``nf_bench_*`` databases
created on that server (the role needs CREATEDB) and dropped afterwards. Nothing outside the
temporary directory is touched. Sections:

1. **news_files**: a generated inbox (``.txt`` mostly, some ``.html``, one ``.jsonl``; English-like
   text from a seeded generator, ~5% near-duplicate and exact re-posts) through the library
   calls the DAG's tasks make: ``start_run``, ``archive_inbox``, ``process_run``,
   ``finish_run``. With ``--airflow`` also through ``airflow dags test news_files``.
2. **near-duplicate lookup vs history size**: synthetic articles COPYed into ``news.articles``
   and ``news.minhash_bands`` (fingerprints from ``neardup.fingerprint``, computed on every
   core), then ``dedupe.Deduplicator(conn).decide(candidate)`` timed for near-duplicates of
   stored articles and for new texts, at each size.
3. **feeds**: RSS feeds and article pages served on 127.0.0.1 (politeness interval 0,
   ``NEWSFLOW_HTTP_ALLOWLIST=127.0.0.1``), polled with ``sources.feeds.poll_feed``; then the
   fetched pages are processed with ``process_run``.

``--quick`` runs every section at toy sizes (the test suite uses it). Figures depend on the
machine and on whatever else runs on it (the header prints the load average).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BENCH_EXTRACTOR_VERSION = "bench-synthetic"


@dataclass(frozen=True)
class Config:
    files: int  # inbox files, the .jsonl counted as one
    jsonl_lines: int
    html_share: float
    near_dup_share: float  # of the single-article files: edited or truncated re-posts
    exact_dup_share: float  # of the single-article files: same article, other bytes
    history_sizes: tuple[int, ...]
    lookups: int  # per history size, half near-duplicates, half new texts
    feeds: int
    entries_per_feed: int
    chunk: int  # articles per worker task when loading the history
    event_history: tuple[int, ...] = (10_000, 100_000)  # articles clustered before measuring
    event_arrivals: int = 2000  # articles clustered and timed at each history size
    toy: bool = False  # toy sizes everywhere (--quick)

    @staticmethod
    def full() -> Config:
        return Config(1000, 100, 0.05, 0.03, 0.02, (10_000, 100_000), 200, 50, 10, 2000)

    @staticmethod
    def quick() -> Config:
        return Config(
            20, 10, 0.1, 0.05, 0.05, (500, 1000), 20, 3, 10, 250, (500, 2000), 200, toy=True
        )


def _say(line: str = "") -> None:
    print(line, flush=True)


def _rate(n: float, seconds: float) -> str:
    return f"{n / seconds:,.1f}" if seconds > 0 else "inf"


# =========================================================================== text generator
# English-like prose from fixed word lists and a seeded RNG: grammatical-looking sentences
# whose 3-word shingles overlap between two unrelated articles about as little as real news
# (mean Jaccard ~0.005), so unrelated texts are neither near-duplicates nor LSH candidates.


def _words(text: str) -> list[str]:
    return text.split()


_NOUNS = _words(
    """
government minister council city region country police court judge lawyer company market economy
bank price inflation budget tax law bill parliament election vote campaign party leader
president mayor official spokesman spokeswoman report statement investigation inquiry hospital
doctor nurse patient school teacher student university research study scientist climate weather
storm flood fire drought heat river bridge road railway train station airport flight passenger
driver car bus truck accident crash border army soldier troops attack ceasefire talks agreement
deal treaty protest crowd demonstrator strike union worker job factory plant energy oil gas
power electricity grid water supply shortage crop farmer harvest food village town district
province capital coast island port ship fleet fisherman tourist museum library festival concert
film director artist writer book prize award team match season player coach club league final
goal record fan stadium ticket officer suspect victim witness family child parent resident
neighbour community charity volunteer donation aid convoy refugee camp shelter tent blanket
winter summer spring autumn morning evening night week month year decade century history plan
project programme scheme policy reform rule regulation standard safety risk threat warning alert
emergency response service network system software data computer phone internet website platform
app user customer consumer store shop sale profit loss share investor fund debt loan rate
interest currency export import trade tariff sanction embassy diplomat envoy summit meeting
conference committee board member chair chief executive manager staff employee engineer expert
analyst critic supporter opponent rival candidate voter poll survey result figure number
estimate forecast growth decline increase rise fall drop surge cut change move step decision
ruling verdict sentence appeal case trial charge fine penalty ban order permit licence contract
tender cost fee payment salary pension benefit subsidy grant building tower house home apartment
street square park garden forest mountain valley lake sea beach wall gate door window roof floor
room office headquarters site area zone field land ground
"""
)

_VERBS = _words(
    """
said announced confirmed denied reported warned told added explained argued claimed insisted
suggested agreed refused rejected approved launched opened closed reopened started ended began
finished delayed postponed cancelled suspended resumed expanded reduced raised lowered increased
cut boosted doubled halved hit reached passed missed won lost beat defeated led joined left
entered visited toured inspected met called urged asked demanded promised pledged vowed planned
proposed introduced unveiled published released revealed discovered found identified arrested
charged detained freed rescued evacuated moved shifted sent delivered received collected bought
sold paid spent invested borrowed owed saved built repaired damaged destroyed blocked cleared
flooded burned struck attacked defended protected supported backed criticised blamed praised
thanked welcomed hosted organised held staged marked celebrated remembered honoured elected
appointed named replaced fired hired trained tested checked measured counted estimated predicted
expected feared hoped managed handled
"""
)

_ADJECTIVES = _words(
    """
new old local national regional international global public private federal central northern
southern eastern western coastal rural urban major minor senior junior former current early late
recent previous next final first second third last main key large small big huge tiny high low
strong weak heavy light long short wide narrow deep open closed free fair tough hard easy quick
slow rapid sudden gradual steady sharp modest significant serious severe mild critical urgent
rare common unusual familiar popular controversial historic annual monthly weekly daily official
unofficial independent joint temporary permanent partial full complete limited extra additional
remaining available missing damaged empty crowded busy quiet calm
"""
)

_PREPOSITIONS = _words(
    """
of to in on for with at by from as after before during under over into about against between
through across around near without within
"""
)

_TIMES = [
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "on Saturday",
    "on Sunday",
    "last week",
    "this week",
    "earlier this month",
    "last month",
    "on Monday evening",
    "late on Friday",
    "early on Sunday",
    "this morning",
    "overnight",
    "in recent days",
    "for the first time",
    "since the spring",
    "until next year",
]
_CONJUNCTIONS = ["and", "but", "while", "because", "although", "after", "as", "so", "when"]
_DETERMINERS = ("a", "this", "that", "its", "their")
_SYLLABLES = _words(
    """
an bel cor dan el fer gor han is jan kel lor mar nor ol per quin ros sel tor ul var wen yor zan
ba ce di fo gu ka le mi no ru sa te vi
"""
)


def _pick(rng: random.Random, seq: Sequence[str]) -> str:
    # rng.choice, without its per-call overhead (the generator's hot path)
    return seq[int(rng.random() * len(seq))]


def _name(rng: random.Random) -> str:
    r = rng.random
    n = len(_SYLLABLES)
    name = _SYLLABLES[int(r() * n)] + _SYLLABLES[int(r() * n)]
    if r() < 0.25:
        name += _SYLLABLES[int(r() * n)]
    return name.capitalize()


def _noun_phrase(rng: random.Random, out: list[str]) -> None:
    r = rng.random
    out.append("the" if r() < 0.7 else _pick(rng, _DETERMINERS))
    if r() < 0.5:
        out.append(_pick(rng, _ADJECTIVES))
    out.append(_pick(rng, _NOUNS))
    if r() < 0.25:
        out.append("of")
        out.append(_name(rng))


def _sentence(rng: random.Random) -> str:
    r = rng.random
    x = r()
    words: list[str] = []
    if x < 0.2:
        words += [_name(rng), _name(rng)]
    elif x < 0.3:
        words += [str(2 + int(r() * 1999)), _pick(rng, _NOUNS) + "s"]
    else:
        _noun_phrase(rng, words)
    words.append(_pick(rng, _VERBS))
    _noun_phrase(rng, words)
    x = r()
    for _ in range(0 if x < 0.25 else 1 if x < 0.75 else 2):
        words.append(_pick(rng, _PREPOSITIONS))
        _noun_phrase(rng, words)
    if r() < 0.4:
        words.append(_pick(rng, _TIMES))
    if r() < 0.35:
        words[-1] += ","
        words.append(_pick(rng, _CONJUNCTIONS))
        _noun_phrase(rng, words)
        words.append(_pick(rng, _VERBS))
        if r() < 0.5:
            _noun_phrase(rng, words)
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def paragraphs(rng: random.Random, n_words: int) -> list[str]:
    """Paragraphs of 2-5 sentences, about ``n_words`` words in all."""
    out: list[str] = []
    count = 0
    while count < n_words:
        para = " ".join([_sentence(rng) for _ in range(2 + int(rng.random() * 4))])
        count += para.count(" ") + 1
        out.append(para)
    return out


def headline(rng: random.Random) -> str:
    words = [_name(rng), _pick(rng, _NOUNS), _pick(rng, _VERBS)]
    phrase: list[str] = []
    _noun_phrase(rng, phrase)
    words += phrase[1:]
    if rng.random() < 0.5:
        words += ["in", _name(rng)]
    return " ".join(w[0].upper() + w[1:] for w in words)


def byline(rng: random.Random) -> str:
    return f"By {_name(rng)} {_name(rng)}"


def edited(rng: random.Random, paras: Sequence[str], share: float) -> list[str]:
    """A copy with ``share`` of its words replaced (a lightly edited re-post)."""
    out = []
    for para in paras:
        words = para.split(" ")
        for i in range(len(words)):
            if rng.random() < share:
                words[i] = rng.choice(_NOUNS if rng.random() < 0.5 else _ADJECTIVES)
        out.append(" ".join(words))
    return out


def truncated(paras: Sequence[str], share: float) -> list[str]:
    """The first ``share`` of the paragraphs (at least one)."""
    return list(paras[: max(1, round(len(paras) * share))])


def html_page(title: str, paras: Sequence[str], *, url: str, published: datetime, by: str) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} | Bench Herald</title>"
        f'<meta property="og:title" content="{title}">'
        '<meta property="og:site_name" content="Bench Herald">'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f'<link rel="canonical" href="{url}"></head>\n<body>'
        '<header><nav><a href="/">Home</a> <a href="/world">World</a> '
        '<a href="/sport">Sport</a></nav></header>\n'
        f'<main><article><h1>{title}</h1><p class="byline">{by}</p>\n{body}\n</article></main>'
        "<footer><p>Copyright Bench Herald. All rights reserved.</p></footer></body></html>\n"
    )


# =========================================================================== environment
@dataclass
class BenchEnv:
    home: Path
    admin_url: str  # maintenance database on the server used
    external: bool
    databases: list[str]

    def new_database(self, label: str) -> str:
        """A fresh, migrated database on the bench server; dropped when the bench ends."""
        import psycopg

        from newsflow import migrate

        name = f"nf_bench_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        url = _with_dbname(self.admin_url, name)
        migrate.migrate(url)
        return url


def _with_dbname(url: str, dbname: str) -> str:
    from psycopg.conninfo import make_conninfo

    return make_conninfo(url, dbname=dbname)


_ENV_KEYS = (
    "NEWSFLOW_HOME",
    "NEWSFLOW_INBOX",
    "NEWSFLOW_HTTP_ALLOWLIST",
    "NEWSFLOW_HOST_MIN_INTERVAL",
    "XDG_RUNTIME_DIR",
    "GX_ANALYTICS_ENABLED",
)


@contextlib.contextmanager
def bench_environment() -> Iterator[BenchEnv]:
    """A temporary NEWSFLOW_HOME and a server to create databases on; all removed afterwards."""
    saved = {key: os.environ.get(key) for key in _ENV_KEYS}
    home = Path(tempfile.mkdtemp(prefix="nf-bench-"))
    os.environ["NEWSFLOW_HOME"] = str(home)
    os.environ["XDG_RUNTIME_DIR"] = str(home / "run")
    (home / "run").mkdir(mode=0o700)
    os.environ["NEWSFLOW_HTTP_ALLOWLIST"] = "127.0.0.1"
    os.environ["NEWSFLOW_HOST_MIN_INTERVAL"] = "0"
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    external_url = os.environ.get("NEWSFLOW_DATABASE_URL")
    env: BenchEnv | None = None
    try:
        from newsflow import db

        if external_url:
            admin = _with_dbname(external_url, "postgres")
        else:
            db.ensure_embedded_server()
            admin = db.embedded_admin_url("postgres")
        env = BenchEnv(home, admin, bool(external_url), [])
        yield env
    finally:
        if env is not None and env.databases:
            import psycopg

            with contextlib.suppress(Exception), psycopg.connect(env.admin_url) as conn:
                conn.autocommit = True
                for name in env.databases:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        from newsflow import db

        with contextlib.suppress(Exception):
            db.stop_embedded_server()  # only ever the one under the temporary home
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)


def _header(env: BenchEnv) -> None:
    import psycopg

    with psycopg.connect(env.admin_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    where = "NEWSFLOW_DATABASE_URL server" if env.external else "embedded server"
    try:
        load = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "load average n/a"
    _say(
        f"newsflow bench: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL {row[0] if row else '?'} ({where}), {load}"
    )


# =========================================================================== 1. news_files
@dataclass
class InboxStats:
    files: int = 0
    txt: int = 0
    html: int = 0
    jsonl_lines: int = 0
    near_dups: int = 0
    exact_dups: int = 0

    @property
    def articles(self) -> int:
        return self.txt + self.html + self.jsonl_lines


def write_inbox(inbox: Path, cfg: Config, seed: int) -> InboxStats:
    """Generate the benchmark inbox: distinct articles plus near-duplicate and exact re-posts."""
    rng = random.Random(seed)
    inbox.mkdir(parents=True, exist_ok=True)
    st = InboxStats()
    singles = cfg.files - 1
    n_html = max(1, round(singles * cfg.html_share))
    n_near = max(1, round(singles * cfg.near_dup_share))
    n_exact = max(1, round(singles * cfg.exact_dup_share))
    n_txt = singles - n_html - n_near - n_exact
    originals: list[tuple[str, list[str]]] = []  # (file text, paragraphs)
    now = datetime.now(UTC)
    for i in range(n_txt):
        paras = paragraphs(rng, rng.randint(300, 800))
        text = "\n".join([headline(rng), "", byline(rng), "", "\n\n".join(paras), ""])
        originals.append((text, paras))
        (inbox / f"article-{i:05d}.txt").write_text(text, encoding="utf-8")
    for i in range(n_html):
        title, paras = headline(rng), paragraphs(rng, rng.randint(300, 800))
        page = html_page(
            title,
            paras,
            url=f"https://herald.bench.example/{seed}/story-{i}",
            published=now - timedelta(hours=rng.randint(1, 72)),
            by=byline(rng),
        )
        (inbox / f"page-{i:05d}.html").write_text(page, encoding="utf-8")
    picked = rng.sample(originals, min(len(originals), n_near + n_exact))
    for i, (_, paras) in enumerate(picked[:n_near]):
        copy = edited(rng, paras, 0.05) if i % 2 == 0 else truncated(paras, 0.6)
        text = "\n".join([headline(rng), "", "\n\n".join(copy), ""])
        (inbox / f"repost-{i:05d}.txt").write_text(text, encoding="utf-8")
    for i, (text, _) in enumerate(picked[n_near:]):
        # the same article saved with Windows line ends: other bytes, the same normalised text
        (inbox / f"copy-{i:05d}.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    with (inbox / "wire.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(cfg.jsonl_lines):
            record = {
                "url": f"https://wire.bench.example/{seed}/{i}",
                "title": headline(rng),
                "text": "\n\n".join(paragraphs(rng, rng.randint(300, 800))),
                "published_at": (now - timedelta(minutes=rng.randint(5, 4000))).isoformat(),
                "source": "Bench Wire",
            }
            fh.write(json.dumps(record) + "\n")
    st.files = n_txt + n_html + n_near + n_exact + 1
    st.txt, st.html, st.jsonl_lines = n_txt + n_near + n_exact, n_html, cfg.jsonl_lines
    st.near_dups, st.exact_dups = n_near, n_exact
    return st


def _warm_imports() -> float:
    """Import what a task process imports before its first document (paid once per process)."""
    t0 = time.perf_counter()
    import great_expectations  # noqa: F401
    import trafilatura  # noqa: F401

    from newsflow import extract, ingest, normalize, validate  # noqa: F401

    return time.perf_counter() - t0


def _archive_inbox(conn: Any, run_id: int, inbox: Path) -> dict[str, int]:
    """Archive every file of ``inbox`` into the run, as a manual news_files run does."""
    from newsflow import jobs, runs
    from newsflow.settings import get_settings

    ident = runs.identity("bench", "bench")
    return jobs.archive_inbox(conn, run_id, inbox, ident, get_settings())


def section_files(env: BenchEnv, cfg: Config, *, airflow: bool) -> None:
    from newsflow import db, ingest, runs

    _say()
    _say("[1] news_files throughput (the news_files tasks' library calls, one process)")
    inbox = env.home / "inbox"
    t0 = time.perf_counter()
    st = write_inbox(inbox, cfg, seed=1)
    _say(
        f"    inbox: {st.files} files ({st.txt} .txt, {st.html} .html, 1 .jsonl of "
        f"{st.jsonl_lines} lines) = {st.articles} articles, of which {st.near_dups} near-duplicate "
        f"and {st.exact_dups} exact re-posts; generated in {time.perf_counter() - t0:.1f} s"
    )
    _say(f"    imports before the first document: {_warm_imports():.1f} s (once per task process)")
    url = env.new_database("files")
    with db.connect(url) as conn:
        t_start = time.perf_counter()
        run_id = runs.start_run(
            conn, runs.identity("bench_files", f"bench__{datetime.now(UTC).isoformat()}")
        )
        conn.commit()
        t_scan = time.perf_counter()
        counts = _archive_inbox(conn, run_id, inbox)
        conn.commit()
        t_process = time.perf_counter()
        result = ingest.process_run(conn, run_id)
        conn.commit()
        t_finish = time.perf_counter()
        row = runs.finish_run(conn, run_id)
        conn.commit()
        t_end = time.perf_counter()
        methods = {
            r["method"]: r["n"]
            for r in conn.execute(
                "SELECT method, count(*) AS n FROM news.article_duplicates WHERE run_id = %s "
                "GROUP BY method",
                (run_id,),
            ).fetchall()
        }
    scan_s, process_s, total_s = t_process - t_scan, t_finish - t_process, t_end - t_start
    items = int(result["items"])
    _say(
        f"    scan    (archive_inbox): {counts['files']} files, {items} articles in {scan_s:.2f} s "
        f"= {_rate(items, scan_s)} articles/s ({_rate(counts['files'], scan_s)} files/s)"
    )
    _say(
        f"    process (process_run):   {items} articles in {process_s:.2f} s "
        f"= {_rate(items, process_s)} articles/s"
    )
    _say(
        f"    total   (start_run .. finish_run): {items} articles in {total_s:.2f} s "
        f"= {_rate(items, total_s)} articles/s"
    )
    dup_detail = ", ".join(f"{k} {v}" for k, v in sorted(methods.items())) or "none"
    _say(
        f"    outcome: stored {row['articles_stored']}, duplicates {row['duplicates']} "
        f"({dup_detail}), quarantined {row['quarantined']}, failed {row['failed']}"
    )
    _cluster_events(url)
    _rerun_and_reprocess(url, inbox)
    if airflow:
        _files_through_airflow(env, cfg)


def _cluster_events(url: str) -> None:
    """The news_events task's library call over the stored articles (Postgres event store)."""
    from newsflow import db, jobs

    with db.connect(url) as conn:
        t0 = time.perf_counter()
        counts = jobs.cluster_pending(conn)
        dt = time.perf_counter() - t0
        live = conn.execute(
            "SELECT count(*) AS n FROM news.events WHERE retired_at IS NULL"
        ).fetchone()
    n = counts["articles"]
    _say(
        f"    events  (cluster_pending): {n} articles in {dt:.2f} s = {_rate(n, dt)} articles/s "
        f"({dt / max(n, 1) * 1000:.1f} ms each); {live['n'] if live else 0} live events, "
        f"{counts['articles_moved']} moves, {counts['events_retired']} events retired"
    )


def _rerun_and_reprocess(url: str, inbox: Path) -> None:
    """The same inbox again (what a backfill over processed intervals does: every document is
    recognised, no row changes) and a forced re-extraction of every archived document."""
    from newsflow import db, ingest, reprocess, runs

    with db.connect(url) as conn:
        run_id = runs.start_run(conn, runs.identity("bench_rerun", "bench-rerun"))
        conn.commit()
        t0 = time.perf_counter()
        counts = _archive_inbox(conn, run_id, inbox)
        ingest.process_run(conn, run_id)
        row = runs.finish_run(conn, run_id)
        conn.commit()
        rerun_s = time.perf_counter() - t0
        rp = runs.start_run(conn, runs.identity("bench_reprocess", "bench-reprocess"))
        conn.commit()
        t0 = time.perf_counter()
        result = reprocess.reprocess(conn, rp, reprocess.Selection(force=True))
        conn.commit()
        reprocess_s = time.perf_counter() - t0
    _say(
        f"    re-run of the same inbox: {counts['files']} documents in {rerun_s:.2f} s "
        f"= {_rate(counts['files'], rerun_s)} documents/s (already ingested "
        f"{counts['already-ingested']}, stored {row['articles_stored']})"
    )
    _say(
        f"    reprocess (force re-extraction): {result['documents']} documents in {reprocess_s:.2f} s "
        f"= {_rate(result['documents'], reprocess_s)} documents/s (updated {result['updated']}, "
        f"unchanged {result['unchanged']}, kept {result['kept']})"
    )


def _files_through_airflow(env: BenchEnv, cfg: Config) -> None:
    import psycopg

    from newsflow_tools import airflow_local

    inbox = env.home / "inbox-airflow"
    st = write_inbox(inbox, cfg, seed=2)
    url = env.new_database("files_airflow")
    base = dict(os.environ)
    base.update(
        {
            "NEWSFLOW_INBOX": str(inbox),
            "NEWSFLOW_DATABASE_URL": url,
            "AIRFLOW_CONN_NEWSFLOW_DB": airflow_local.airflow_connection(url),
        }
    )
    af_env = airflow_local.build_env(base)
    airflow = airflow_local.airflow_executable()
    logs = env.home / "logs"
    logs.mkdir(exist_ok=True)

    def run(cmd: list[str], log_name: str) -> float:
        t0 = time.perf_counter()
        with (logs / log_name).open("w") as log:
            proc = subprocess.run(cmd, env=af_env, stdout=log, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            tail = (logs / log_name).read_text(errors="replace").splitlines()[-30:]
            raise RuntimeError(
                f"{' '.join(cmd)} failed (exit {proc.returncode}):\n" + "\n".join(tail)
            )
        return time.perf_counter() - t0

    migrate_s = run([airflow, "db", "migrate"], "airflow-db-migrate.log")
    dag_s = run([airflow, "dags", "test", "news_files"], "news_files.log")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT documents_seen, articles_stored, duplicates, quarantined, failed, "
            "extract(epoch FROM finished_at - started_at) AS seconds "
            "FROM news.ingest_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    inside = f", {float(row[5]):.1f} s from start_run to finish_run" if row and row[5] else ""
    stored = f" (stored {row[1]}, duplicates {row[2]}, quarantined {row[3]})" if row else ""
    _say(
        f"    airflow dags test news_files: {st.articles} articles in {dag_s:.1f} s "
        f"= {_rate(st.articles, dag_s)} articles/s{inside}{stored}; "
        f"(airflow db migrate before it: {migrate_s:.1f} s)"
    )


# =========================================================================== 2. lookups
def _worker_ready(_: int) -> int:
    """Pool warm-up: the imports a history worker needs, before anything is timed."""
    from newsflow import neardup, normalize  # noqa: F401

    return os.getpid()


def _copy_field(value: str) -> str:
    """A value for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )


def _history_chunk(task: tuple[int, int, int, int]) -> tuple[int, bytes, bytes]:
    """Worker: ``count`` synthetic stored articles from id ``start`` (deterministic per id),
    as COPY text payloads for ``news.articles`` and ``news.minhash_bands``."""
    start, count, seed, raw_id = task
    from newsflow import neardup, normalize

    base = datetime(2025, 1, 1, tzinfo=UTC)
    articles: list[str] = []
    bands: list[str] = []
    for article_id in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + article_id)
        title = headline(rng)
        text = "\n\n".join(paragraphs(rng, rng.randint(300, 800)))
        fp = neardup.fingerprint(text)
        published = base + timedelta(minutes=rng.randint(0, 525_600))
        articles.append(
            "\t".join(
                (
                    str(article_id),
                    str(raw_id),
                    str(article_id),
                    _copy_field(title),
                    _copy_field(text),
                    str(fp.n_words),
                    normalize.content_hash(text),
                    "\\\\x" + fp.signature.hex(),
                    BENCH_EXTRACTOR_VERSION,
                    published.isoformat(),
                    "bench",
                )
            )
            + "\n"
        )
        bands.extend(f"{band}\t{h}\t{article_id}\n" for band, h in fp.keys)
    return count, "".join(articles).encode(), "".join(bands).encode()


@dataclass
class LoadTimes:
    total: float = 0.0
    waiting: float = 0.0  # for the workers' next chunk (generation + fingerprints)
    copying: float = 0.0  # COPY into articles and minhash_bands
    indexing: float = 0.0  # rebuilding minhash_bands' keys and indexes after the COPY
    analyze: float = 0.0


def _drop_band_indexes(conn: Any) -> list[str]:
    """Drop the constraints and indexes of ``news.minhash_bands`` for a bulk load (millions of
    rows: one sorted build afterwards is much cheaper than as many index insertions); return
    the statements that recreate them exactly as they were."""
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE conrelid = 'news.minhash_bands'::regclass AND contype IN ('p', 'u', 'f') "
        "ORDER BY contype = 'f', conname"
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'news' "
        "AND tablename = 'minhash_bands' AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = 'news.minhash_bands'::regclass)"
    ).fetchall()
    for c in reversed(constraints):  # foreign keys first
        conn.execute(f'ALTER TABLE news.minhash_bands DROP CONSTRAINT "{c["conname"]}"')
    for i in indexes:
        conn.execute(f'DROP INDEX news."{i["indexname"]}"')
    return [
        *(
            f'ALTER TABLE news.minhash_bands ADD CONSTRAINT "{c["conname"]}" {c["def"]}'
            for c in constraints
        ),
        *(i["indexdef"] for i in indexes),
    ]


def _load_history(
    conn: Any, raw_id: int, first_id: int, last_id: int, cfg: Config, pool: Any
) -> LoadTimes:
    """COPY articles ``first_id..last_id`` and their LSH bands, then ANALYZE."""
    tasks = [
        (s, min(cfg.chunk, last_id + 1 - s), 7, raw_id)
        for s in range(first_id, last_id + 1, cfg.chunk)
    ]
    times = LoadTimes()
    t0 = time.perf_counter()
    with conn.transaction():
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        rebuild = _drop_band_indexes(conn)
        cur = conn.cursor()
        chunks = pool.imap(_history_chunk, tasks)
        while True:
            t_wait = time.perf_counter()
            try:
                _, articles, bands = next(chunks)
            except StopIteration:
                break
            t_copy = time.perf_counter()
            times.waiting += t_copy - t_wait
            with cur.copy(
                "COPY news.articles (id, raw_document_id, item_no, title, text, word_count, "
                "content_hash, minhash, extractor_version, published_at, published_at_source) "
                "FROM STDIN"
            ) as cp:
                cp.write(articles)
            with cur.copy("COPY news.minhash_bands (band, hash, article_id) FROM STDIN") as cp:
                cp.write(bands)
            times.copying += time.perf_counter() - t_copy
        t_index = time.perf_counter()
        for statement in rebuild:
            conn.execute(statement)
        times.indexing = time.perf_counter() - t_index
        conn.execute("SELECT setval('news.articles_id_seq', (SELECT max(id) FROM news.articles))")
    times.total = time.perf_counter() - t0
    t1 = time.perf_counter()
    conn.execute("ANALYZE news.articles")
    conn.execute("ANALYZE news.minhash_bands")
    conn.commit()
    times.analyze = time.perf_counter() - t1
    return times


def _candidate(text: str, raw_id: int, item_no: int) -> Any:
    from newsflow import extract, normalize
    from newsflow.dedupe import Candidate

    ex = extract.extract_text(text)
    art = normalize.normalize(ex, extractor_version=extract.EXTRACTOR_VERSION)
    return Candidate(raw_id, item_no, "file", None, art)


def _lookup_set(conn: Any, cfg: Config, raw_id: int, pool_ids: int) -> list[tuple[str, Any]]:
    """Half near-duplicates of stored articles (ids <= pool_ids), half new texts."""
    rng = random.Random(11)
    n_dup = cfg.lookups // 2
    ids = rng.sample(range(1, pool_ids + 1), n_dup)
    rows = conn.execute(
        "SELECT id, text FROM news.articles WHERE id = ANY(%s) ORDER BY id", (ids,)
    ).fetchall()
    out: list[tuple[str, Any]] = []
    for i, row in enumerate(rows):
        paras = row["text"].split("\n\n")
        copy = edited(rng, paras, 0.05) if i % 2 == 0 else truncated(paras, 0.6)
        text = headline(rng) + "\n\n" + "\n\n".join(copy) + "\n"
        out.append(("near-dup", _candidate(text, raw_id, 1_000_000 + i)))
    for i in range(cfg.lookups - n_dup):
        text = headline(rng) + "\n\n" + "\n\n".join(paragraphs(rng, rng.randint(300, 800)))
        out.append(("new", _candidate(text + "\n", raw_id, 2_000_000 + i)))
    rng.shuffle(out)
    return out


def _time_lookups(conn: Any, lookups: list[tuple[str, Any]]) -> tuple[list[float], Counter]:
    from newsflow import dedupe

    for _, cand in lookups[:5]:  # warm the connection, the plans and the caches
        dedupe.Deduplicator(conn).decide(cand)
    times: list[float] = []
    verdicts: Counter = Counter()
    for kind, cand in lookups:
        t0 = time.perf_counter()
        decision = dedupe.Deduplicator(conn).decide(cand)
        times.append((time.perf_counter() - t0) * 1000)
        found = decision.kind == "duplicate" and decision.method == "near-dup"
        verdicts[(kind, "found" if found else decision.kind)] += 1
    conn.rollback()
    return times, verdicts


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def section_lookups(env: BenchEnv, cfg: Config) -> None:
    import multiprocessing

    from newsflow import db, neardup

    _say()
    _say(
        "[2] near-duplicate lookup time vs history size: Deduplicator(conn).decide(candidate), "
        f"{cfg.lookups} lookups per size (half edited/truncated copies of stored articles, "
        f"half new texts); MinHash {neardup.NUM_PERM} perms, LSH {neardup.BANDS}x{neardup.ROWS}"
    )
    url = env.new_database("lookup")
    workers = max(1, min(os.cpu_count() or 1, 4))
    with (
        db.connect(url) as conn,
        multiprocessing.get_context("spawn").Pool(workers) as pool,
    ):
        row = conn.execute(
            "INSERT INTO news.raw_documents (content_hash, origin, locator, size_bytes, body, "
            "body_stored) VALUES (%s, 'file', 'bench/history', 0, NULL, false) RETURNING id",
            (uuid.uuid4().hex,),
        ).fetchone()
        assert row is not None
        raw_id = int(row["id"])  # the one raw document every synthetic article points to
        conn.commit()
        pool.map(_worker_ready, range(workers * 4))
        loaded = 0
        lookups: list[tuple[str, Any]] | None = None
        for size in cfg.history_sizes:
            lt = _load_history(conn, raw_id, loaded + 1, size, cfg, pool)
            added = size - loaded
            loaded = size
            count = conn.execute("SELECT count(*) AS n FROM news.minhash_bands").fetchone()
            bands = int(count["n"]) if count else 0
            if lookups is None:
                lookups = _lookup_set(conn, cfg, raw_id, size)
            times, verdicts = _time_lookups(conn, lookups)
            _say(
                f"    {size:>7,} stored articles ({bands:,} band rows; +{added:,} loaded in "
                f"{lt.total:.1f} s = {_rate(added, lt.total)} articles/s: waiting for "
                f"text+fingerprints from {workers} processes {lt.waiting:.1f} s, COPY "
                f"{lt.copying:.1f} s, band keys/indexes rebuilt {lt.indexing:.1f} s; "
                f"ANALYZE {lt.analyze:.1f} s)"
            )
            _say(
                f"        per lookup: mean {statistics.fmean(times):.2f} ms, "
                f"p50 {_percentile(times, 0.5):.2f} ms, p95 {_percentile(times, 0.95):.2f} ms, "
                f"max {max(times):.2f} ms  (n={len(times)}; "
                f"copies found {verdicts[('near-dup', 'found')]}/"
                f"{sum(v for (k, _), v in verdicts.items() if k == 'near-dup')}, "
                f"new texts judged new {verdicts[('new', 'new')]}/"
                f"{sum(v for (k, _), v in verdicts.items() if k == 'new')})"
            )


# =========================================================================== 3. feeds
class _Site:
    """RSS feeds and article pages, pre-rendered, served from memory on 127.0.0.1."""

    def __init__(self, n_feeds: int, entries: int, seed: int = 5) -> None:
        self.n_feeds, self.entries = n_feeds, entries
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.rng = random.Random(seed)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.requests = 0
        self._lock = threading.Lock()
        self._render()
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _render(self) -> None:
        rng, now = self.rng, datetime.now(UTC)
        self.bodies["/robots.txt"] = (b"User-agent: *\nAllow: /\n", "text/plain")
        for f in range(self.n_feeds):
            items = []
            for e in range(self.entries):
                path = f"/news/{f}/story-{e}.html"
                title = headline(rng)
                published = now - timedelta(minutes=rng.randint(5, 2000))
                paras = paragraphs(rng, rng.randint(300, 800))
                page = html_page(
                    title, paras, url=self.base + path, published=published, by=byline(rng)
                )
                self.bodies[path] = (page.encode(), "text/html; charset=utf-8")
                items.append(
                    f"<item><title>{title}</title><link>{self.base}{path}</link>"
                    f'<guid isPermaLink="false">bench-{f}-{e}</guid>'
                    f"<pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
                    f"<description>{paras[0][:200]}</description></item>"
                )
            rss = (
                '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                f"<title>Bench Feed {f}</title><link>{self.base}/news/{f}/</link>"
                f"<description>benchmark feed {f}</description>{''.join(items)}</channel></rss>\n"
            )
            self.bodies[f"/feeds/{f}.xml"] = (rss.encode(), "application/rss+xml; charset=utf-8")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:
                with site._lock:
                    site.requests += 1
                found = site.bodies.get(self.path.split("?", 1)[0])
                body, ctype = found if found else (b"not found", "text/plain")
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def feed_url(self, f: int) -> str:
        return f"{self.base}/feeds/{f}.xml"

    def __enter__(self) -> _Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def section_feeds(env: BenchEnv, cfg: Config) -> None:
    from newsflow import db, fetch, ingest, runs
    from newsflow.sources import feeds

    _say()
    _say(
        f"[3] feeds: {cfg.feeds} RSS feeds x {cfg.entries_per_feed} entries on 127.0.0.1, "
        "each entry a new article page; poll_feed one feed after another, "
        f"host_min_interval=0, fetch_concurrency={fetch.Fetcher().concurrency}"
    )
    url = env.new_database("feeds")
    with (
        _Site(cfg.feeds, cfg.entries_per_feed) as site,
        db.connect(url) as conn,
        db.connect_autocommit(url) as pages,
    ):
        ids = [
            feeds.add_feed(conn, site.feed_url(f), name=f"bench-{f}", source=f"Bench Source {f}")
            for f in range(cfg.feeds)
        ]
        run_id = runs.start_run(
            conn, runs.identity("bench_feeds", f"bench__{datetime.now(UTC).isoformat()}")
        )
        conn.commit()
        totals: Counter = Counter()
        with fetch.Fetcher() as fetcher:  # the bench environment allows 127.0.0.1, interval 0
            t0 = time.perf_counter()
            for feed_id in ids:
                result = feeds.poll_feed(conn, pages, run_id, feed_id, fetcher)
                conn.commit()
                totals[str(result.get("outcome"))] += 1
                totals["pages"] += int(result["pages_fetched"])
                totals["failed"] += int(result["pages_failed"])
            poll_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            again: Counter = Counter()
            for feed_id in ids:
                again[
                    str(feeds.poll_feed(conn, pages, run_id, feed_id, fetcher).get("outcome"))
                ] += 1
                conn.commit()
            repoll_s = time.perf_counter() - t1
        outcomes = ", ".join(
            f"{k} {v}" for k, v in sorted(totals.items()) if k not in ("pages", "failed")
        )
        _say(
            f"    first poll (new entries): {len(ids)} feeds in {poll_s:.2f} s = "
            f"{_rate(len(ids), poll_s)} feeds/s; {totals['pages']} pages fetched and archived "
            f"= {_rate(totals['pages'], poll_s)} pages/s ({totals['failed']} failed; {outcomes})"
        )
        _say(
            f"    second poll (nothing new): {len(ids)} feeds in {repoll_s:.2f} s = "
            f"{_rate(len(ids), repoll_s)} feeds/s ("
            + ", ".join(f"{k} {v}" for k, v in sorted(again.items()))
            + ")"
        )
        t2 = time.perf_counter()
        processed = ingest.process_run(conn, run_id)
        conn.commit()
        process_s = time.perf_counter() - t2
        row = runs.finish_run(conn, run_id)
        conn.commit()
    items = int(processed["items"])
    _say(
        f"    process_run of the fetched pages: {items} articles in {process_s:.2f} s = "
        f"{_rate(items, process_s)} articles/s (stored {row['articles_stored']}, "
        f"duplicates {row['duplicates']}, quarantined {row['quarantined']}, failed {row['failed']})"
    )


# =========================================================================== main
SECTIONS: dict[str, Callable[..., None]] = {
    "files": section_files,
    "lookups": section_lookups,
    "feeds": section_feeds,
    "events": lambda env, cfg: section_events(env, cfg),
    "html": lambda env, cfg: _throughput("section_html", env, cfg),
    "memory": lambda env, cfg: _throughput("section_memory", env, cfg),
    "startup": lambda env, cfg: _throughput("section_startup", env, cfg),
    "feedmemory": lambda env, cfg: _throughput("section_feedmemory", env, cfg),
    "scaleout": lambda env, cfg: _throughput("section_scaleout", env, cfg),
    "latency": lambda env, cfg: _latency(env, cfg),
}


def _latency(env: BenchEnv, cfg: Config) -> None:
    from newsflow_tools import bench_latency

    bench_latency.section_latency(env, cfg)


def _throughput(name: str, env: BenchEnv, cfg: Config) -> None:
    """A section of ``bench_throughput`` / ``bench_scaleout``."""
    from newsflow_tools import bench_scaleout, bench_throughput

    module = bench_scaleout if name == "section_scaleout" else bench_throughput
    getattr(module, name)(env, cfg)


def section_events(env: BenchEnv, cfg: Config) -> None:
    """Event clustering throughput vs history size (``bench_events``)."""
    from newsflow_tools import bench_events

    _say()
    bench_events.run(env.new_database, _say, cfg.event_history, cfg.event_arrivals)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m newsflow_tools.bench", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--quick", action="store_true", help="toy sizes (a smoke run)")
    ap.add_argument(
        "--airflow",
        action="store_true",
        help="also run the inbox through `airflow dags test news_files`",
    )
    ap.add_argument(
        "--only",
        choices=sorted(SECTIONS),
        action="append",
        help="run only this section (repeatable)",
    )
    args = ap.parse_args(argv)
    cfg = Config.quick() if args.quick else Config.full()
    started = time.perf_counter()
    with bench_environment() as env:
        _header(env)
        if not args.only or "files" in args.only:
            section_files(env, cfg, airflow=args.airflow)
        if not args.only or "lookups" in args.only:
            section_lookups(env, cfg)
        if not args.only or "feeds" in args.only:
            section_feeds(env, cfg)
        if not args.only or "events" in args.only:
            section_events(env, cfg)
        for name in ("html", "memory", "feedmemory", "startup", "scaleout", "latency"):
            if not args.only or name in args.only:
                SECTIONS[name](env, cfg)
    _say()
    _say(f"bench finished in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
