from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from newsflow import migrate


def test_migrate_is_idempotent(db_url: str) -> None:
    assert migrate.migrate(db_url) == []  # the template already applied everything
    assert migrate.migrate(db_url) == []
    with psycopg.connect(db_url) as conn:
        versions = [
            r[0] for r in conn.execute("SELECT version FROM news.schema_migrations ORDER BY 1")
        ]
    assert versions == [m.version for m in migrate.discover_migrations()]


def test_changed_applied_migration_is_refused(db_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy)
    first = sorted(copy.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        migrate.migrate(db_url, copy)


def test_migration_names_are_checked(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="0001_name.sql"):
        migrate.discover_migrations(tmp_path)
