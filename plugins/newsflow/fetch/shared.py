"""State the fetcher shares with every other fetcher: per-host request slots and robots.txt.

Politeness is per site, not per process: forty poll tasks must not each wait 5 s between their
own requests to one host and still hit it forty times at once, nor fetch its robots.txt forty
times. :class:`PostgresShared` keeps both in Postgres (``news.host_slots``,
``news.robots_cache``) through an autocommit connection, so they hold across processes, tasks
and runs; :class:`MemoryShared` is the same within one process (the CLI, tests).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from newsflow import db
from newsflow.fetch.robots import RobotsRecord


class SharedState(Protocol):
    def reserve_host_slot(self, host: str, interval: float) -> float:
        """Reserve the next request slot for ``host``; seconds to wait before using it."""
        ...

    def robots_get(self, origin: str) -> RobotsRecord | None:
        """The robots.txt record of ``origin`` while it is fresh (``ttl`` = seconds left)."""
        ...

    def robots_claim(self, origin: str, lease: float) -> bool:
        """Whether this caller should fetch robots.txt now (nobody else is, for ``lease`` s)."""
        ...

    def robots_put(self, origin: str, record: RobotsRecord) -> None: ...


class MemoryShared:
    """Shared state within one process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, tuple[float, RobotsRecord]] = {}
        self._fetching: dict[str, float] = {}
        self.robots_fetches: dict[str, int] = {}

    def reserve_host_slot(self, host: str, interval: float) -> float:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = slot + interval
        return slot - now

    def robots_get(self, origin: str) -> RobotsRecord | None:
        with self._lock:
            found = self._robots.get(origin)
        if found is None or found[0] <= time.monotonic():
            return None
        expires, record = found
        return RobotsRecord(
            record.mode, record.body, record.http_status, record.note, expires - time.monotonic()
        )

    def robots_claim(self, origin: str, lease: float) -> bool:
        with self._lock:
            now = time.monotonic()
            if self._fetching.get(origin, 0.0) > now:
                return False
            self._fetching[origin] = now + lease
            return True

    def robots_put(self, origin: str, record: RobotsRecord) -> None:
        with self._lock:
            self._robots[origin] = (time.monotonic() + record.ttl, record)
            self._fetching.pop(origin, None)
            self.robots_fetches[origin] = self.robots_fetches.get(origin, 0) + 1


class PostgresShared:
    """Shared state in Postgres, through an autocommit connection: each reservation and each
    robots.txt record is committed at once, for every other worker to see."""

    def __init__(self, conn: db.Autocommit):
        self._conn = conn

    def reserve_host_slot(self, host: str, interval: float) -> float:
        wait = db.fetch_value(self._conn, "feeds/reserve_host_slot", {"host": host, "iv": interval})
        return max(0.0, float(wait or 0.0))

    def robots_get(self, origin: str) -> RobotsRecord | None:
        row = db.fetch_one(self._conn, "feeds/robots_get", {"origin": origin})
        if row is None:
            return None
        return RobotsRecord(
            row["mode"], row["body"] or "", row["http_status"], row["note"], float(row["ttl_left"])
        )

    def robots_claim(self, origin: str, lease: float) -> bool:
        row = db.fetch_one(self._conn, "feeds/robots_claim", {"origin": origin, "lease": lease})
        return row is not None

    def robots_put(self, origin: str, record: RobotsRecord) -> None:
        db.execute(
            self._conn,
            "feeds/robots_put",
            {
                "origin": origin,
                "mode": record.mode,
                "body": record.body,
                "http_status": record.http_status,
                "note": record.note,
                "ttl": record.ttl,
            },
        )
