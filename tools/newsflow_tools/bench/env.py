"""Where the bench runs: a temporary ``NEWSFLOW_HOME`` and a PostgreSQL server on which each
section creates its own fresh, migrated database, all removed when the bench ends."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsflow_tools.bench.config import say

if TYPE_CHECKING:
    from psycopg import sql as psycopg_sql


@dataclass
class BenchEnv:
    home: Path
    admin_url: str  # maintenance database on the server used
    external: bool
    databases: list[str]

    def new_database(self, label: str) -> str:
        """A fresh, migrated database on the bench server; dropped when the bench ends."""
        import psycopg

        from newsflow import db, migrate

        name = f"nf_bench_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            db.create_database(conn, name)
        self.databases.append(name)
        url = _with_dbname(self.admin_url, name)
        migrate.migrate(url)
        return url


def with_identifiers(query: str, **names: str) -> psycopg_sql.Composed:
    """The query file ``query`` (``sql/queries/<query>.sql``) with its ``{placeholders}``
    filled by ``names`` quoted as identifiers (psycopg.sql): for the few statements that
    name an object (a database, a constraint, an index), where a parameter cannot go."""
    from psycopg import sql as psycopg_sql

    from newsflow import db

    return psycopg_sql.SQL(db.sql(query)).format(
        **{key: psycopg_sql.Identifier(value) for key, value in names.items()}
    )


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
                    conn.execute(with_identifiers("bench/drop_database", name=name))
        from newsflow import db

        with contextlib.suppress(Exception):
            db.stop_embedded_server()  # only ever the one under the temporary home
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)


def header(env: BenchEnv) -> None:
    """The bench's first line: the machine, the server and how busy the machine is."""
    import psycopg

    from newsflow import db

    with psycopg.connect(env.admin_url) as conn:
        row = db.execute(conn, "bench/server_version").fetchone()
    where = "NEWSFLOW_DATABASE_URL server" if env.external else "embedded server"
    try:
        load = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "load average n/a"
    say(
        f"newsflow bench: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL {row[0] if row else '?'} ({where}), {load}"
    )
