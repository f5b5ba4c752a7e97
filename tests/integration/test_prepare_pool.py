"""The prepare pool works when the task process's ``__main__`` is a script that must not run
again (as ``airflow`` in an Airflow task), and a broken pool costs no document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from newsflow import archive, ingest
from newsflow.stages import Document
from tests.integration.helpers import article_text

SCRIPT = """
import json, logging, sys
if __name__ != "__main__":
    raise SystemExit("the main script ran again in a pool process")
logging.basicConfig(level=logging.WARNING)
from newsflow import jobs, runs
row = jobs.ingest_inbox(sys.argv[1], runs.identity("pool", "script"))
print(json.dumps({"stored": row["articles_stored"], "failed": row["failed"]}))
"""


@pytest.mark.slow  # a task process and its pool, as Airflow runs them
def test_pool_processes_do_not_rerun_the_main_script(db_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(24):  # enough documents for a pool of two processes
        (inbox / f"a{n:02}.txt").write_text(f"Pool headline {n}\n\n{article_text(700 + n)}\n")
    script = tmp_path / "main_script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = {**os.environ, "NEWSFLOW_INBOX": str(inbox), "NEWSFLOW_PREPARE_PROCESSES": "2"}
    proc = subprocess.run(
        [sys.executable, str(script), db_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ran again" not in proc.stderr and "pool broke" not in proc.stderr, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"stored": 24, "failed": 0}


class _Broken:
    def map(self, *args: object, **kwargs: object) -> object:
        from concurrent.futures.process import BrokenProcessPool

        raise BrokenProcessPool("a worker died")


def test_a_broken_pool_prepares_in_process() -> None:
    docs = [
        Document(
            id=n,
            origin="file",
            locator=f"d{n}.txt",
            url=None,
            media_type="text/plain",
            charset=None,
            codec="zstd",
            body=archive.compress(f"Headline {n}\n\n{article_text(n)}\n".encode()),
            entry_meta=None,
            fetched_at=None,
            partition_date=None,
            feed_source=None,
        )
        for n in range(3)
    ]
    items = ingest.prepare_all(docs, _Broken())  # type: ignore[arg-type]
    assert len(items) == 3


def _loaded_before_any_document() -> dict[str, bool]:
    """In a pool process: what preparing a document would otherwise load at its first use."""
    from justext.core import define_stoplist

    from newsflow import normalize

    return {
        "language_model": normalize._LANGID is not None,
        "stoplists": define_stoplist.cache_info().currsize > 0,
    }


def test_the_pools_processes_share_the_extraction_data_their_fork_server_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fork server is started once per process, with the preload the setting asks for (the
    default, on): both pool processes find the language model and the stoplists loaded."""
    from newsflow import jobs
    from newsflow.settings import get_settings

    monkeypatch.setenv("NEWSFLOW_PREPARE_PROCESSES", "2")
    monkeypatch.delenv("NEWSFLOW_PRELOAD", raising=False)
    with jobs.prepare_pool(get_settings(), 100) as pool:
        assert pool is not None
        answers = [pool.submit(_loaded_before_any_document).result(timeout=120) for _ in range(2)]
    assert answers == [{"language_model": True, "stoplists": True}] * 2


def _chunk_in_a_daemonic_process(url: str, run_id: int, out: object) -> None:
    from newsflow import db, jobs

    try:
        with db.connect(url) as conn:
            result = jobs.process(conn, run_id)
        out.put(("ok", result["states"]))  # type: ignore[attr-defined]
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        out.put(("raised", f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]


def test_a_daemonic_task_process_prepares_its_chunk_itself(
    db_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Celery worker runs each task in a daemonic process, which may not start children:
    every chunk of more than 15 documents failed there with "daemonic processes are not
    allowed to have children" (the tests used chunks of 3)."""
    import multiprocessing

    from newsflow import db, jobs, runs
    from newsflow.settings import get_settings

    monkeypatch.setenv("NEWSFLOW_PREPARE_PROCESSES", "2")
    for n in range(20):
        (inbox / f"doc{n}.txt").write_text(f"Harbour story {n}\n\n{article_text(500 + n)}\n")
    ident = runs.identity("news_files", "celery-like")
    with db.connect(db_url) as conn:
        run_id = runs.start_run(conn, ident)
        conn.commit()
        jobs.archive_inbox(conn, run_id, inbox, ident, get_settings())
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    worker = context.Process(target=_chunk_in_a_daemonic_process, args=(db_url, run_id, out))
    worker.daemon = True
    worker.start()
    outcome = out.get(timeout=300)
    worker.join(timeout=60)
    assert outcome == ("ok", {"stored": 20}), outcome
