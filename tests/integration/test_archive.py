"""The raw archive: a batch archived at once (two pipelined round trips) decides exactly what
archiving its documents one at a time decides, for every archive state."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from newsflow import archive, db, runs
from newsflow.archive import RawInput
from tests.integration.helpers import query


def _raw(locator: str, body: bytes, refusal: str | None = None) -> RawInput:
    return RawInput(
        origin="file",
        locator=locator,
        body=body,
        content_hash=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        media_type="text/plain",
        refusal=refusal,
    )


SETTLED = _raw("old.txt", b"Settled earlier\n\nA body that an earlier run stored.")
FAILING = _raw("failing.txt", b"Failing\n\nA body that failed in every earlier run.")
BATCH = [
    _raw("a.txt", b"A headline\n\nThe first body."),
    _raw("b.txt", b"B headline\n\nThe second body."),
    _raw("a-copy.txt", b"A headline\n\nThe first body."),  # same bytes, another name
    _raw("c.bin", b"\x00\x01", refusal="unsupported file type '.bin'"),
    _raw("old-again.txt", SETTLED.body or b""),
    _raw("failing-again.txt", FAILING.body or b""),
]


def _history(url: str) -> None:
    """An earlier run that settled SETTLED, and three runs in which FAILING failed."""
    with db.connect(url) as conn:
        run_id = runs.start_run(conn, runs.identity("t", "earlier"))
        raw_id = archive.archive(conn, run_id, SETTLED).raw_document_id
        conn.execute(
            "INSERT INTO news.quarantine (raw_document_id, run_id, stage, reasons, record) "
            "VALUES (%s, %s, 'validate', '[\"x\"]', '{}')",
            (raw_id, run_id),
        )
        for attempt in range(3):
            run_id = runs.start_run(conn, runs.identity("t", f"failing-{attempt}"))
            raw_id = archive.archive(conn, run_id, FAILING).raw_document_id
            conn.execute(
                "UPDATE news.document_outcomes SET state = 'failed', detail = 'boom' "
                "WHERE run_id = %s AND raw_document_id = %s",
                (run_id, raw_id),
            )
        conn.commit()


def _archived(url: str, at_once: bool) -> tuple[list[tuple[str, str]], list[dict]]:
    _history(url)
    with db.connect(url) as conn:
        run_id = runs.start_run(conn, runs.identity("t", "batch"))
        if at_once:
            done = archive.archive_many(conn, run_id, BATCH)
        else:
            done = [archive.archive(conn, run_id, raw) for raw in BATCH]
        conn.commit()
    rows = query(
        url,
        "SELECT s.locator, o.state, o.detail, r.codec, r.body_stored, q.reasons "
        "FROM news.document_sightings s JOIN news.raw_documents r ON r.id = s.raw_document_id "
        "LEFT JOIN news.document_outcomes o ON o.run_id = s.run_id "
        "AND o.raw_document_id = s.raw_document_id "
        "LEFT JOIN news.quarantine q ON q.raw_document_id = s.raw_document_id AND q.run_id = s.run_id "
        "WHERE s.run_id = %s ORDER BY s.locator",
        (run_id,),
    )
    return [(raw.locator, d.state) for raw, d in zip(BATCH, done, strict=True)], rows


def test_a_batch_decides_what_one_at_a_time_decides(db_url: str, new_db: Callable[[], str]) -> None:
    states, rows = _archived(db_url, at_once=True)
    assert states == [
        ("a.txt", "pending"),
        ("b.txt", "pending"),
        ("a-copy.txt", "same-bytes"),
        ("c.bin", "quarantined"),
        ("old-again.txt", "already-ingested"),
        ("failing-again.txt", "quarantined"),
    ]
    assert (states, rows) == _archived(new_db(), at_once=False)
    by_name = {r["locator"]: r for r in rows}
    assert by_name["failing-again.txt"]["detail"].startswith("gave up after 3 failed attempts")
    assert by_name["c.bin"]["reasons"] == ["unsupported file type '.bin'"]
    # the same bytes under two names keep the earliest name; the body reads back
    stored = query(
        db_url,
        "SELECT locator, body, codec FROM news.raw_documents WHERE content_hash = %s",
        (BATCH[0].content_hash,),
    )
    assert [r["locator"] for r in stored] == ["a-copy.txt"]
    assert archive.decompress(stored[0]["body"], stored[0]["codec"]) == BATCH[0].body


def test_two_runs_archiving_new_bytes_in_opposite_orders_store_each_once(
    db_url: str,
) -> None:
    """Backfill days run in parallel: the same bodies under other names, in the other order.
    Each run's batch upserted its rows in its own order, and Postgres killed one of the two;
    the one that then waited for the other's new rows did not see them (AssertionError)."""
    _opposite_orders(db_url, [f"new body {n} ".encode() * 40 for n in range(300)], opened=True)
    assert query(db_url, "SELECT count(*) AS n FROM news.raw_documents")[0]["n"] == 300


def test_two_runs_archiving_the_same_bytes_in_opposite_orders_do_not_deadlock(
    db_url: str,
) -> None:
    """As above when the rows exist already (a re-run locks them as well); and archiving in
    a fresh transaction commits nothing by itself (the caller owns the transaction)."""
    bodies = [f"body {n} ".encode() * 40 for n in range(300)]
    with db.connect(db_url) as conn:
        run0 = runs.start_run(conn, runs.identity("t", "first"))
        conn.commit()
        archive.archive_many(conn, run0, [_raw(f"a/{n}", b) for n, b in enumerate(bodies[:2])])
        conn.rollback()
        assert not query(db_url, "SELECT 1 FROM news.raw_documents")
        archive.archive_many(conn, run0, [_raw(f"a/{n}", b) for n, b in enumerate(bodies)])
        conn.commit()
    _opposite_orders(db_url, bodies)


def _opposite_orders(db_url: str, bodies: list[bytes], opened: bool = False) -> None:
    """Two runs archive ``bodies`` at once, in opposite orders (``opened``: each inside a
    transaction already open, as a scan's later batches are)."""
    import threading

    ready, errors = threading.Barrier(2), []

    def day(name: str, ordered: list[bytes]) -> None:
        try:
            with db.connect(db_url) as conn:
                run_id = runs.start_run(conn, runs.identity("t", name))
                conn.commit()
                if opened:
                    conn.execute("SELECT 1")
                ready.wait()
                archive.archive_many(
                    conn, run_id, [_raw(f"{name}/{n}", b) for n, b in enumerate(ordered)]
                )
                conn.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=day, args=("d1", bodies)),
        threading.Thread(target=day, args=("d2", bodies[::-1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_a_rerun_of_the_same_run_retries_what_failed_in_it(db_url: str, inbox, monkeypatch) -> None:
    """An operator clears an Airflow run (same run id): a document that ran out of memory in
    the first try stayed 'failed' (its row was only reopened when 'abandoned'), and the run
    said its bytes were 'same-bytes'; later runs cover other days and never see it."""
    from newsflow import jobs, stages
    from tests.integration.helpers import article_text

    for name in ("water-main", "lens"):
        (inbox / f"{name}.txt").write_text(f"{name} story\n\n{article_text(len(name))}\n")
    original = stages.extract_items

    def out_of_memory(doc):  # noqa: ANN001, ANN202
        if "water-main" in (doc.locator or ""):
            raise MemoryError
        return original(doc)

    ident = runs.identity("news_files", "backfill__2026-11-18")
    with monkeypatch.context() as patched:
        patched.setattr(stages, "extract_items", out_of_memory)
        first = jobs.ingest_inbox(db_url, ident, inbox=inbox)
    assert first["articles_stored"] == 1 and first["failed"] == 1, first
    again = jobs.ingest_inbox(db_url, ident, inbox=inbox)
    assert again["articles_stored"] == 2 and again["failed"] == 0, again
    assert again["acquisition"]["pending"] == 1, again["acquisition"]
