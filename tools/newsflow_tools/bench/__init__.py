"""``make bench`` (``python -m newsflow_tools.bench``): throughput and lookup-time figures, printed only.

Runs on a private PostgreSQL: the embedded server under a temporary ``NEWSFLOW_HOME`` (started
and stopped here), or, with ``NEWSFLOW_DATABASE_URL`` set, fresh ``nf_bench_*`` databases
created on that server (the role needs CREATEDB) and dropped afterwards. Nothing outside the
temporary directory is touched. Sections, one module each:

1. **news_files** (``files.py``): a generated inbox (``inbox.py``: ``.txt`` mostly, some
   ``.html``, one ``.jsonl``; English-like text from ``text.py``, ~5% near-duplicate and exact
   re-posts) through the library calls the DAG's tasks make: ``start_run``, ``archive_inbox``,
   ``process_run``, ``finish_run``. With ``--airflow`` also through
   ``airflow dags test news_files``.
2. **near-duplicate lookup vs history size** (``lookups.py``): synthetic articles COPYed into
   ``news.articles`` and ``news.minhash_bands`` (fingerprints from ``neardup.fingerprint``,
   computed on every core), then ``dedupe.Deduplicator(conn).decide(candidate)`` timed for
   near-duplicates of stored articles and for new texts, at each size.
3. **feeds** (``feeds.py``): RSS feeds and article pages served on 127.0.0.1 (politeness
   interval 0, ``NEWSFLOW_HTTP_ALLOWLIST=127.0.0.1``), polled with ``sources.feeds.poll_feed``;
   then the fetched pages are processed with ``process_run``.
4. **events** (``events.py``): event clustering throughput vs history size.

The other sections live beside the package (``bench_throughput``, ``bench_scaleout``,
``bench_latency``); ``__main__.py`` runs them in order, ``env.py`` is the environment they share
and ``config.py`` their sizes. Every statement is a file under ``sql/queries/bench/``.

``--quick`` runs every section at toy sizes (the test suite uses it). Figures depend on the
machine and on whatever else runs on it (the header prints the load average).
"""

from newsflow_tools.bench.config import Config, percentile, rate, say
from newsflow_tools.bench.env import BenchEnv, bench_environment, header
from newsflow_tools.bench.inbox import InboxStats, write_inbox
from newsflow_tools.bench.text import (
    byline,
    edited,
    headline,
    html_page,
    paragraphs,
    pick,
    proper_name,
    truncated,
)

# the names bench_latency uses (kept while it is edited elsewhere)
_percentile = percentile

__all__ = [
    "BenchEnv",
    "Config",
    "InboxStats",
    "bench_environment",
    "byline",
    "edited",
    "header",
    "headline",
    "html_page",
    "paragraphs",
    "percentile",
    "pick",
    "proper_name",
    "rate",
    "say",
    "truncated",
    "write_inbox",
]
