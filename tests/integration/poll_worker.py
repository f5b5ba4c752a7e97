"""One poll of one feed in its own process, as an Airflow task runs it (for kill tests).

    python tests/integration/poll_worker.py DB_URL RUN_ID FEED_ID [FEED_ID ...]

Environment: the usual NEWSFLOW_* settings. With ``POLL_WORKER_SLOW_ARCHIVE=<seconds>`` every
page's archive transaction lasts that much longer (a window to kill it in), and the worker
prints ``archiving <url>`` just before, so a test knows when to strike.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins"))

from newsflow import db, fetch  # noqa: E402
from newsflow.sources import feeds  # noqa: E402
from newsflow.sources.feeds import pages as page_queue  # noqa: E402


def main() -> None:
    url, run_id, *feed_ids = sys.argv[1:]
    slow = float(os.environ.get("POLL_WORKER_SLOW_ARCHIVE") or 0)
    if slow:
        original = page_queue.archive

        def slow_archive(conn: Any, run: int, raw: Any) -> Any:
            print(f"archiving {raw.locator}", flush=True)
            archived = original(conn, run, raw)
            time.sleep(slow)  # inside the page's transaction: a kill now loses it
            return archived

        page_queue.archive = slow_archive  # type: ignore[assignment]
    with (
        db.connect(url) as conn,
        db.connect_autocommit(url) as pages,
        db.connect_autocommit(url) as shared,
        fetch.Fetcher(shared=fetch.PostgresShared(shared)) as fetcher,
    ):
        results = feeds.poll_feeds(conn, pages, int(run_id), [int(f) for f in feed_ids], fetcher)
        conn.commit()
    for result in results:
        print(f"result {dict(result)}", flush=True)


if __name__ == "__main__":
    main()
