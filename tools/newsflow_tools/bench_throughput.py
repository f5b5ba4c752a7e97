"""``make bench`` sections on throughput, memory and start-up (issue: every core busy, start-up
paid once). Every figure is a ratio against a reference measured in the same run, because
the machine is shared and noisy.

* ``html``: the ``news_files`` work on an HTML-heavy inbox of real pages (the extraction dev
  set under ``$NEWSFLOW_EVAL_DATA/extraction`` when present, generated pages otherwise):
  archiving as the ``scan_inbox`` task does, then the chunks processed by two worker
  processes forked from a preloaded parent, as two Airflow workers would; against
  trafilatura alone (the project's options) on the same pages, two processes. Also the share
  of the run spent archiving, and each worker's peak RSS.
* ``memory``: the same work on 500 and on 5,000 generated pages: peak RSS per worker must
  not grow with the batch (documents are processed in bounded chunks, committed each).
* ``startup``: the CPU a task process spends before its first document, forked from a worker
  that preloaded the task stack (``newsflow.preload``) and from one that did not.
"""

from __future__ import annotations

import gc
import gzip
import json
import multiprocessing
import os
import random
import resource
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_PAGES: list[str] = []  # the reference workers' pages (inherited by fork)


def _say(line: str = "") -> None:
    print(line, flush=True)


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The peak RSS of a task started as a new program. Not ru_maxrss: Linux keeps it across exec,
# so a program started by a large parent would report the parent's size at the fork; VmHWM
# belongs to the program's own address space.
_PEAK_RSS_MIB = (
    "next(int(line.split()[1]) for line in open('/proc/self/status') "
    "if line.startswith('VmHWM')) / 1024"
)


def _private_mib() -> float:
    """This process's own memory (USS: private pages), not what it shares with the worker
    it was forked from (RSS counts those shared pages in every forked process)."""
    total = 0
    with open("/proc/self/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


def real_pages(limit: int) -> list[tuple[str, bytes]]:
    """(name, raw bytes) of the extraction dev set's pages (raw: the inbox gets the bytes)."""
    from newsflow_tools.evaluation import extraction_eval

    root = extraction_eval.dataset_dir()
    out: list[tuple[str, bytes]] = []
    with (root / "annotations.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            out.append(
                (
                    Path(rec["file"]).name.removesuffix(".gz"),
                    gzip.decompress((root / rec["file"]).read_bytes()),
                )
            )
            if len(out) >= limit:
                break
    return out


def generated_pages(n: int, seed: int = 5) -> list[tuple[str, bytes]]:
    from newsflow_tools.bench import byline, headline, html_page, paragraphs

    rng = random.Random(seed)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    pages = []
    for i in range(n):
        title = headline(rng)
        html = html_page(
            title,
            paragraphs(rng, rng.randint(350, 900)),
            url=f"https://bench.example/{seed}/{i}",
            published=base + timedelta(minutes=i),
            by=byline(rng),
        )
        pages.append((f"gen-{i:05}.html", html.encode()))
    return pages


def _trafilatura_worker(index: int) -> float:
    """CPU seconds trafilatura alone spent on page ``index``."""
    import trafilatura

    cpu = time.process_time()
    trafilatura.bare_extraction(_PAGES[index], include_comments=False, with_metadata=False)
    return time.process_time() - cpu


def trafilatura_alone(pages: Sequence[tuple[str, bytes]], processes: int) -> tuple[float, float]:
    """Seconds for trafilatura alone (the project's options) on decoded pages, ``processes``
    worker processes forked after the pages were decoded (decoding is not timed), and the CPU
    seconds its workers spent in it."""
    from newsflow import decode

    global _PAGES
    _PAGES = []
    for _, raw in pages:
        try:
            _PAGES.append(decode.decode_bytes(raw)[0])
        except ValueError:
            _PAGES.append("")
    import trafilatura  # noqa: F401  (imported before the fork, as a preloaded worker has it)

    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        pool.map(_trafilatura_worker, range(min(processes, len(_PAGES))))  # warm
        started = time.perf_counter()
        cpu = pool.map(_trafilatura_worker, range(len(_PAGES)), chunksize=4)
        return time.perf_counter() - started, sum(cpu)


def _chunk_worker(task: tuple[str, dict[str, Any]]) -> tuple[float, float, dict[str, float]]:
    """One chunk, as a mapped ``process`` task does: (seconds, peak RSS MiB of this worker,
    seconds per stage)."""
    from newsflow import db, jobs

    url, chunk = task
    started, cpu = time.perf_counter(), time.process_time()
    with db.connect(url) as conn:
        result = jobs.process_chunks(conn, [chunk])  # type: ignore[list-item]
    seconds = {**result["seconds"], "cpu": time.process_time() - cpu, "uss": _private_mib()}
    return time.perf_counter() - started, _maxrss_mib(), seconds


def write_inbox(inbox: Path, pages: Sequence[tuple[str, bytes]]) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    for name, raw in pages:
        (inbox / name).write_bytes(raw)
    return inbox


def end_to_end(url: str, inbox: Path, processes: int, chunk: int) -> dict[str, float]:
    """Archive the inbox, then process it in chunks on ``processes`` workers forked from this
    (preloaded) process, as Airflow forks tasks from a worker. Seconds per phase and the
    workers' peak RSS (the caller must not hold the pages: the workers would inherit them)."""
    from newsflow import db, ingest, jobs, runs
    from newsflow.preload import preload
    from newsflow.settings import get_settings

    gc.collect()
    os.environ["NEWSFLOW_CHUNK_DOCUMENTS"] = str(chunk)
    os.environ["NEWSFLOW_PREPARE_PROCESSES"] = "1"
    settings = get_settings()
    preload()
    ident = runs.identity("bench_html", f"bench-{time.time_ns()}")
    started, started_cpu = time.perf_counter(), time.process_time()
    with db.connect(url) as conn:
        run_id = runs.start_run(conn, ident)
        conn.commit()
        jobs.archive_inbox(conn, run_id, inbox, ident, settings)
        archived, archive_cpu = time.perf_counter(), time.process_time() - started_cpu
        chunks = ingest.plan_chunks(conn, run_id, settings)
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, maxtasksperchild=None) as pool:
        results = pool.map(_chunk_worker, [(url, dict(c)) for c in chunks], chunksize=1)
    processed = time.perf_counter()
    with db.connect(url) as conn:
        row = runs.finish_run(conn, run_id)
        conn.commit()
    stages: dict[str, float] = {}
    uss = max((r[2].pop("uss") for r in results), default=0.0)
    for _, _, seconds in results:
        for stage, spent in seconds.items():
            stages[stage] = stages.get(stage, 0.0) + spent
    return {
        **{f"stage_{k}_s": v for k, v in stages.items()},
        "archive_s": archived - started,
        "archive_cpu_s": archive_cpu,
        "process_s": processed - archived,
        "total_s": processed - started,
        "worker_rss_mib": max((r[1] for r in results), default=0.0),
        "worker_uss_mib": uss,
        "stored": float(row["articles_stored"]),
        "duplicates": float(row["duplicates"]),
        "quarantined": float(row["quarantined"]),
        "documents": float(row["documents_seen"]),
    }


def _html_reference(inbox: Path, n: int) -> tuple[int, tuple[float, float], str]:
    """Write the section's pages into ``inbox`` and time trafilatura alone on them: (pages,
    (seconds, CPU seconds), what they are). Run in a child process (:func:`_in_child`)."""
    from newsflow_tools.evaluation import extraction_eval

    if extraction_eval.available():
        pages = real_pages(n)
        what = f"{len(pages)} real pages of the extraction dev set"
    else:
        pages = generated_pages(n)
        what = f"{len(pages)} generated news pages (the extraction dev set is not here)"
    write_inbox(inbox, pages)
    return len(pages), trafilatura_alone(pages, 2), what


def _in_child(body: Callable[..., Any], *args: Any) -> Any:
    """``body(*args)`` in a forked child, its result sent back: what it allocates (pages,
    decoded text) never grows this process, whose later forks, the measured workers, would
    inherit it and report it as theirs."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def run() -> None:
        send.send(body(*args))

    child = context.Process(target=run)
    child.start()
    send.close()  # the child holds the sending end: if it dies, recv() ends instead of waiting
    try:
        result = receive.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"the child process died (exit code {child.exitcode})") from None
    child.join()
    return result


def section_html(env: Any, cfg: Any) -> None:
    n = 40 if cfg.toy else 600
    _say()
    inbox = env.home / "inbox-html"
    count, (reference, reference_cpu), what = _in_child(_html_reference, inbox, n)
    _say(f"[html] news_files work on {what}, 2 processes, against trafilatura alone")
    figures = end_to_end(env.new_database("html"), inbox, 2, 100)
    ref_rate = count / reference
    e2e_rate = count / figures["total_s"]
    _say(
        f"    trafilatura alone (bare_extraction, no comments, 2 processes): {ref_rate:,.1f} pages/s"
    )
    _say(
        f"    newsflow end to end (archive, then chunks of 100 on 2 forked workers): "
        f"{e2e_rate:,.1f} pages/s = {e2e_rate / ref_rate:.2f}x trafilatura alone"
    )
    _say(
        f"    archive {figures['archive_s']:.1f} s = {figures['archive_s'] / figures['total_s']:.1%} "
        f"of the run; processing {figures['process_s']:.1f} s; stored {figures['stored']:.0f}, "
        f"duplicates {figures['duplicates']:.0f}, quarantined {figures['quarantined']:.0f}; "
        f"peak RSS per worker {figures['worker_rss_mib']:.0f} MiB (of which its own, not "
        f"shared with the preloaded parent: {figures['worker_uss_mib']:.0f} MiB)"
    )
    stages = {k[6:-2]: v for k, v in figures.items() if k.startswith("stage_")}
    cpu = stages.pop("cpu", 0.0)
    _say(f"    the workers' CPU: {cpu:.1f} s for {sum(stages.values()):.1f} s of stage time")
    own_cpu = cpu + figures["archive_cpu_s"]
    _say(
        f"    by CPU (steadier than the clock on a shared machine): trafilatura alone "
        f"{reference_cpu / count * 1000:.1f} ms per page, newsflow (archive and workers) "
        f"{own_cpu / count * 1000:.1f} ms = {reference_cpu / own_cpu:.2f}x"
    )
    _say(
        "    time in the workers by stage: "
        + ", ".join(f"{k} {v:.1f} s ({v / sum(stages.values()):.0%})" for k, v in stages.items())
    )


def section_memory(env: Any, cfg: Any) -> None:
    sizes = (50, 200) if cfg.toy else (500, 5000)
    _say()
    _say(
        f"[memory] peak RSS per processing worker, {sizes[0]:,} against {sizes[1]:,} generated pages"
    )
    rss = []
    for size in sizes:
        inbox = write_inbox(env.home / f"inbox-{size}", generated_pages(size, seed=size))
        figures = end_to_end(env.new_database(f"mem{size}"), inbox, 2, 100)
        rss.append(figures["worker_rss_mib"])
        _say(
            f"    {size:>6,} pages: {size / figures['total_s']:,.1f} pages/s, peak RSS per worker "
            f"{figures['worker_rss_mib']:.0f} MiB (its own {figures['worker_uss_mib']:.0f} MiB)"
        )
    _say(f"    ratio {rss[1] / rss[0]:.2f} ({sizes[1] // sizes[0]}x the pages)")


def _fork_cpu(body: Callable[[], None]) -> float:
    """CPU seconds (user + system) a forked child spends running ``body``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pid = os.fork()
    if pid == 0:  # the child: what a task process does, then leave without cleanup
        try:
            body()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _first_document() -> None:
    """What a ``process`` task does up to its first validated document."""
    from datetime import datetime

    from newsflow import (
        tasks,  # noqa: F401
        validate,
    )
    from newsflow.records import Normalized

    validate.validate_batch(
        [
            Normalized(
                text="words " * 300,
                title="A Title For The Start-up Check",
                title_derived=False,
                byline=None,
                published_at=datetime.now(UTC),
                published_at_source="jsonl",
                language="en",
                url=None,
                canonical_url=None,
                source=None,
                summary_points=[],
                cited_sources=[],
                repairs=[],
                word_count=300,
                content_hash="x",
                extractor_version="bench",
            )
        ]
    )


def section_startup(env: Any, cfg: Any) -> None:
    """Per-task start-up beyond Airflow's own: measured in a child forked from a parent that
    did or did not preload, the way Airflow 3 forks each task from its worker."""
    import subprocess
    import sys

    _say()
    _say("[startup] CPU a task process spends before its first document (forked from its worker)")
    code = (
        "import json, sys; sys.path[:0] = [{plugins!r}]; "
        "from newsflow_tools import bench_throughput as b; import newsflow.preload as p; "
        "import airflow.sdk.execution_time.task_runner; "  # Airflow's own, in both cases
        "{pre}"
        "print(json.dumps(b._fork_cpu(b._first_document)))"
    )
    from newsflow.settings import PROJECT_ROOT

    plugins = str(PROJECT_ROOT / "plugins")
    figures = {}
    for label, pre in (("without preload", ""), ("with preload", "p.preload(); ")):
        out = subprocess.run(
            [sys.executable, "-c", code.format(plugins=plugins, pre=pre)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures[label] = float(out.stdout.strip().splitlines()[-1])
    for label, cpu in figures.items():
        _say(f"    task stack, {label}: {cpu:.2f} CPU-s before the first validated document")
    saved = figures["without preload"] - figures["with preload"]
    _say(f"    paid once per worker instead of once per task: {saved:.2f} CPU-s per task")
    polls, chunks = 3, 1
    tasks = 1 + polls + 1 + chunks + 2  # start, polls, plan, process, report, gate
    _say(
        f"    news_feeds over 50 feeds: {tasks} task processes per run ({polls} poll tasks, "
        f"NEWSFLOW_FEED_POLL_TASKS) instead of 50+: newsflow start-up "
        f"{tasks * figures['with preload']:.1f} CPU-s with preload, "
        f"{tasks * figures['without preload']:.1f} without (Airflow's own task start excluded)"
    )


_PAD = 5 * 1024 * 1024


def _feed_site(entries: int) -> tuple[Any, str]:
    """A feed of ``entries`` new articles whose pages weigh ~5 MB each (inline script data, as
    heavy real pages carry), rendered per request so the server holds one padding only."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from newsflow_tools.bench import byline, headline, html_page, paragraphs

    pad = '<script>var state = "' + ("x7Qz" * (_PAD // 4)) + '";</script>'
    now = datetime.now(UTC)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/robots.txt":
                body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
            elif path == "/feed.xml":
                items = "".join(
                    f"<item><title>Story {i}</title><link>{base}/p/{i}.html</link>"
                    f"<guid>heavy-{i}</guid></item>"
                    for i in range(entries)
                )
                body = (
                    f'<?xml version="1.0"?><rss version="2.0"><channel><title>Heavy</title>'
                    f"<link>{base}/</link><description>heavy pages</description>{items}"
                    "</channel></rss>"
                ).encode()
                ctype = "application/rss+xml"
            elif path.startswith("/p/"):
                rng = random.Random(path)
                page = html_page(
                    headline(rng),
                    paragraphs(rng, 600),
                    url=base + path,
                    published=now - timedelta(hours=1),
                    by=byline(rng),
                )
                body = page.replace("</head>", pad + "</head>").encode()
                ctype = "text/html; charset=utf-8"
            else:
                body, ctype = b"not found", "text/plain"
            self.send_response(200 if ctype != "text/plain" or path == "/robots.txt" else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, base


def _task(code: str, env: dict[str, str]) -> dict[str, Any]:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def section_feedmemory(env: Any, cfg: Any) -> None:
    """A feed with many new entries of 5 MB pages: peak RSS of the poll task and of a process
    task (each a fresh interpreter, as an unpreloaded task), pages per poll capped."""
    entries = 10 if cfg.toy else 500
    _say()
    _say(f"[feedmemory] a feed with {entries} new entries of ~5 MB pages: peak RSS per task")
    url = env.new_database("heavyfeed")
    server, base = _feed_site(entries)
    task_env = {
        **os.environ,
        "NEWSFLOW_DATABASE_URL": url,
        "NEWSFLOW_HTTP_ALLOWLIST": "127.0.0.1",
        "NEWSFLOW_HOST_MIN_INTERVAL": "0",
    }
    poll = (
        "import json\n"
        "from newsflow import db, fetch, runs\n"
        "from newsflow.sources import feeds\n"
        f"url = {url!r}\n"
        "with db.connect(url) as conn:\n"
        f"    feed_id = feeds.add_feed(conn, {base + '/feed.xml'!r}, name='heavy')\n"
        "    run_id = runs.start_run(conn, runs.identity('bench_heavy', 'r1'))\n"
        "    conn.commit()\n"
        "with db.connect(url) as conn, db.connect_autocommit(url) as pages, "
        "db.connect_autocommit(url) as shared, "
        "fetch.Fetcher(shared=fetch.PostgresShared(shared)) as fetcher:\n"
        "    [r] = feeds.poll_feeds(conn, pages, run_id, [feed_id], fetcher)\n"
        "    conn.commit()\n"
        "print(json.dumps({'fetched': r.get('pages_fetched'), 'deferred': r.get('pages_deferred'),"
        " 'rss': " + _PEAK_RSS_MIB + "}))\n"
    )
    process = (
        "import json\n"
        "from newsflow import db, ingest, jobs\n"
        f"url = {url!r}\n"
        "with db.connect(url) as conn:\n"
        "    run_id = db.fetch_value(conn, 'runs/by_identity', {'dag_id': 'bench_heavy', 'run_id': 'r1'})\n"
        "    chunks = ingest.plan_chunks(conn, int(run_id))\n"
        "    result = jobs.process_chunks(conn, chunks)\n"
        "print(json.dumps({'chunks': len(chunks), 'documents': result['documents'],"
        " 'rss': " + _PEAK_RSS_MIB + "}))\n"
    )
    try:
        polled = _task(poll, task_env)
        processed = _task(process, {**task_env, "NEWSFLOW_PREPARE_PROCESSES": "1"})
    finally:
        server.shutdown()
    _say(
        f"    poll task: {polled['fetched']} pages fetched and archived "
        f"({polled['deferred']} left for later polls, NEWSFLOW_FEED_MAX_PAGES_PER_POLL); "
        f"peak RSS {polled['rss']:.0f} MiB"
    )
    _say(
        f"    process task: {processed['documents']} pages in {processed['chunks']} chunks "
        f"(NEWSFLOW_CHUNK_MB); peak RSS {processed['rss']:.0f} MiB"
    )
