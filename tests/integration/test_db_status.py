"""`newsflow db status`: what an upgrade will apply, read without changing the database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from newsflow import migrate


@pytest.fixture
def empty_db(pg_server_url: str) -> Iterator[str]:
    name = f"nf_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_server_url, dbname=name)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_status_lists_pending_then_nothing(empty_db: str, tmp_path: Path) -> None:
    files = migrate.discover_migrations()
    before = migrate.status(empty_db)
    assert before.applied == [] and before.pending == files and before.changed == []
    with psycopg.connect(empty_db) as conn:  # status changed nothing
        assert conn.execute("SELECT to_regclass('news.schema_migrations')").fetchone() == (None,)
    migrate.migrate(empty_db)
    after = migrate.status(empty_db)
    assert [v for v, _, _ in after.applied] == [m.version for m in files]
    assert after.pending == [] and after.changed == []

    # A migration edited after it was applied is reported, and a new file is pending.
    edited = tmp_path / "migrations"
    edited.mkdir()
    for m in files:
        (edited / m.path.name).write_text(m.text())
    (edited / files[0].path.name).write_text(files[0].text() + "\n-- edited\n")
    (edited / "0999_next.sql").write_text("SELECT 1;\n")
    state = migrate.status(empty_db, edited)
    assert [m.path.name for m in state.changed] == [files[0].path.name]
    assert [m.path.name for m in state.pending] == ["0999_next.sql"]
