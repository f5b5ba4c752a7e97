"""The migration runner: numbered files in ``sql/migrations`` applied once each, and the
analyst views of ``sql/views`` re-created when their files change.

Migrations are recorded in ``news.schema_migrations`` with their checksum: a recorded
migration whose file changed is an error (write a new migration), never re-applied silently.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from newsflow import db

log = logging.getLogger(__name__)
MIGRATIONS_DIR = db.SQL_DIR / "migrations"
VIEWS_DIR = db.SQL_DIR / "views"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = re.fullmatch(r"(\d{4})_([\w-]+)\.sql", path.name)
        if not match:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a number in {directory}")
    return found


def _bootstrap(conn: db.Conn) -> None:
    """The runner's own tables; two processes doing this at once on a fresh database may
    collide in the catalog, in which case the other one's work is used."""
    for attempt in range(3):
        try:
            with conn.transaction():
                db.execute(conn, "db/migrations_table")
            return
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            if attempt == 2:
                raise


def _pending(conn: db.Conn, migrations: list[Migration]) -> list[Migration]:
    done = {int(r["version"]): r["checksum"] for r in db.fetch_all(conn, "db/applied_migrations")}
    todo = []
    for migration in migrations:
        if migration.version not in done:
            todo.append(migration)
        elif done[migration.version] != migration.checksum:
            raise RuntimeError(
                f"migration {migration.path.name} changed after it was applied; "
                "add a new migration instead of editing an applied one"
            )
    return todo


def views_checksum() -> str:
    paths = sorted(VIEWS_DIR.glob("*.sql"))
    return hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in paths)).hexdigest()


def migrate(url: str | None = None, directory: Path | None = None) -> list[Migration]:
    """Apply every migration not yet recorded in ``news.schema_migrations``; return those applied.

    Safe to run any number of times and from concurrent processes. Every task and command
    calls it, so an up-to-date database is recognised first, without any lock; only when
    there is work is the ``migrate`` pipeline lock taken (a row lock the read-only role cannot
    take; waiting is bounded and names the holder). Each migration runs in its own
    transaction together with its version row. A recorded migration whose file changed since
    is an error, not something to re-apply silently.
    """
    url = url or db.database_url()
    migrations = discover_migrations(directory or MIGRATIONS_DIR)
    with db.connect(url, autocommit=True) as conn:
        _bootstrap(conn)
        if not _pending(conn, migrations) and db.fetch_value(conn, "db/views_checksum") == (
            views_checksum()
        ):
            return []
        applied: list[Migration] = []
        with db.connect(url) as holder:  # holds the lock until the work is done
            db.lock(holder, "migrate")
            for migration in _pending(conn, migrations):
                log.info("applying migration %s", migration.path.name)
                with conn.transaction():
                    db.execute(conn, "db/migration_search_path")
                    conn.execute(migration.text())
                    db.execute(
                        conn,
                        "db/record_migration",
                        {
                            "version": migration.version,
                            "name": migration.name,
                            "checksum": migration.checksum,
                        },
                    )
                applied.append(migration)
            apply_views(conn)
            holder.commit()
    return applied


def apply_views(conn: db.Conn) -> bool:
    """(Re)create the analyst views of ``sql/views`` when their files changed; True if applied.

    Views are definitions, not data: they are re-created from the files whenever the files'
    combined checksum differs from the one recorded (a changed view needs no new migration),
    and left alone otherwise (no exclusive locks on every run)."""
    paths = sorted(VIEWS_DIR.glob("*.sql"))
    digest = views_checksum()
    if db.fetch_value(conn, "db/views_checksum") == digest:
        return False
    with conn.transaction():
        db.execute(conn, "db/migration_search_path")
        for path in paths:
            conn.execute(path.read_text(encoding="utf-8"))
        db.execute(conn, "db/grant_reader")
        db.execute(conn, "db/record_views", {"checksum": digest})
    return True


@dataclass(frozen=True)
class Status:
    """What ``newsflow db status`` reports: applied, pending, and changed-after-applied."""

    applied: list[tuple[int, str, datetime]]
    pending: list[Migration]
    changed: list[Migration]


def status(url: str | None = None, directory: Path | None = None) -> Status:
    """Compare the database's applied migrations with the files, without changing anything
    (an upgrade's first step: which migrations will the next ``db migrate`` apply?)."""
    with db.connect(url or db.database_url()) as conn:
        present = db.fetch_value(conn, "db/migration_status")
        rows = db.fetch_all(conn, "db/applied_migration_rows") if present else []
    done = {int(r["version"]): r for r in rows}
    files = discover_migrations(directory or MIGRATIONS_DIR)
    return Status(
        applied=[(int(r["version"]), str(r["name"]), r["applied_at"]) for r in rows],
        pending=[m for m in files if m.version not in done],
        changed=[
            m for m in files if m.version in done and done[m.version]["checksum"] != m.checksum
        ],
    )
