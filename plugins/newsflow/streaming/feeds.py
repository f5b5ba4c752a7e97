"""The feeds watcher: a due feed, or a WebSub push, starts a ``news_feeds`` run in seconds.

:class:`FeedsDueTrigger` runs in Airflow's triggerer as the ``AssetWatcher`` of the
``news_feeds_due`` Asset (``dags/news_feeds.py`` is scheduled on its cron timetable *or* that
Asset). It keeps one connection to the news database and

* ``LISTEN newsflow_feeds_due``: the WebSub callback notifies it when a signed push made a feed
  due (:func:`newsflow.sources.feeds.websub.handle_callback`), so a push fires at once;
* every ``NEWSFLOW_WATCH_INTERVAL`` seconds asks for the earliest next poll time of the active
  feeds (one step down a partial index); when it has come, the watcher fires. A feed whose
  adaptive interval learned "every 3 minutes" is thus polled every 3 minutes, not at the
  15-minute cron's pace.

The watcher only notices: the asset-triggered run polls whatever is due, like a manual run.
It does not fire again for the same due state (the same earliest due time) until that changes
or :data:`REFIRE_S` have passed (a run that is queued behind a running one, or failed before
polling), and fires for due feeds at most once per :data:`DUE_GAP_S` (many feeds falling due
one after the other make a run every half minute, not one per feed; a push fires at once).
Postgres down or unreachable: logged, retried with a growing pause, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

# DAG files import this module at parse time: psycopg and newsflow.db only inside run()
log = logging.getLogger(__name__)
CHANNEL = "newsflow_feeds_due"
APPLICATION = "newsflow-feeds-watcher"  # its session in pg_stat_activity
REFIRE_S = 60.0
DUE_GAP_S = 30.0
RETRY_MIN_S = 1.0
RETRY_MAX_S = 60.0


class FeedsDueTrigger(BaseEventTrigger):
    """Fires when an active feed is due (``next_poll_at`` has come) or was pushed to.

    ``conn_id``: the Airflow connection of the news database (``NEWSFLOW_DATABASE_URL`` when
    it is not defined); ``interval_s``: seconds between two looks (None: the setting
    ``NEWSFLOW_WATCH_INTERVAL``); ``refire_s``: after this long, the same due state fires
    again; ``due_gap_s``: at least this long between two firings for due feeds."""

    def __init__(
        self,
        conn_id: str = "newsflow_db",
        interval_s: float | None = None,
        refire_s: float = REFIRE_S,
        due_gap_s: float = DUE_GAP_S,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.interval_s = interval_s
        self.refire_s = refire_s
        self.due_gap_s = due_gap_s

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "newsflow.streaming.feeds.FeedsDueTrigger",
            {
                "conn_id": self.conn_id,
                "interval_s": self.interval_s,
                "refire_s": self.refire_s,
                "due_gap_s": self.due_gap_s,
            },
        )

    def _interval(self) -> float:
        if self.interval_s is not None:
            return max(0.05, float(self.interval_s))
        from newsflow.settings import get_settings

        return max(0.05, get_settings().watch_interval_s)

    async def _url(self) -> str:
        from newsflow.airflow_adapter import async_database_url

        url = await async_database_url(self.conn_id)
        if not url:
            raise RuntimeError(
                f"no Airflow connection {self.conn_id!r} and no NEWSFLOW_DATABASE_URL in the "
                "triggerer: the feeds watcher cannot see the news database"
            )
        return url

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Watch for ever; reconnect with a growing pause whenever the database fails."""
        state = _FireState(self.refire_s, self.due_gap_s)
        pause = RETRY_MIN_S
        while True:
            try:
                async for event in self._watch(state):
                    pause = RETRY_MIN_S
                    yield event
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "feeds watcher: %s: %s; retrying in %.0f s", type(exc).__name__, exc, pause
                )
            await asyncio.sleep(pause)
            pause = min(RETRY_MAX_S, pause * 2)

    async def _watch(self, state: _FireState) -> AsyncIterator[TriggerEvent]:
        import psycopg

        from newsflow import db

        url = await self._url()
        interval = self._interval()
        connect = psycopg.AsyncConnection.connect
        async with await connect(url, autocommit=True, application_name=APPLICATION) as conn:
            await conn.execute(db.sql("feeds/listen_due"))
            log.info("feeds watcher: listening on %s, looking every %g s", CHANNEL, interval)
            pushed: list[str] = []
            while True:
                cur = await conn.execute(db.sql("feeds/next_due"))
                row = await cur.fetchone()
                next_due, now = (row[0], row[1]) if row else (None, None)
                event = state.decide(next_due, now, pushed)
                if event is not None:
                    yield event
                pushed = [n.payload async for n in conn.notifies(timeout=interval, stop_after=1)]
                if pushed:  # more may have come together: take them in one event
                    pushed += [n.payload async for n in conn.notifies(timeout=0.01)]


class _FireState:
    """When to fire: at a push; at a due state not fired yet, or fired ``refire_s`` ago; for
    due feeds, not within ``due_gap_s`` of the last firing."""

    def __init__(self, refire_s: float, due_gap_s: float = 0.0) -> None:
        self.refire_s = refire_s
        self.due_gap_s = due_gap_s
        self.fired_due: datetime | None = None
        self.fired_at: float | None = None

    def decide(
        self, next_due: datetime | None, now: datetime | None, pushed: list[str]
    ) -> TriggerEvent | None:
        due = next_due is not None and now is not None and next_due <= now
        if not pushed and not due:
            return None
        if not pushed and self.fired_at is not None:
            since = time.monotonic() - self.fired_at
            if since < self.due_gap_s:
                return None
            if next_due == self.fired_due and since < self.refire_s:
                return None
        self.fired_due = next_due if due else None
        self.fired_at = time.monotonic()
        payload: dict[str, Any] = {
            "reason": "push" if pushed else "due",
            "next_poll_at": next_due.isoformat() if next_due is not None else None,
        }
        if pushed:
            payload["feeds"] = sorted({p for p in pushed if p})[:100]
        return TriggerEvent(payload)
