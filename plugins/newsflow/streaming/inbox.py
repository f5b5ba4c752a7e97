"""The inbox watcher: a file that appears in the inbox starts a ``news_files`` run in seconds.

:class:`InboxArrivalsTrigger` runs in Airflow's triggerer as the ``AssetWatcher`` of the
``news_inbox_arrivals`` Asset. Every ``NEWSFLOW_WATCH_INTERVAL`` seconds it lists the inbox
(one ``lstat`` per entry, nothing read) and compares it with the previous look; when entries
appeared or changed and the inbox then stayed still for one look (a burst is taken whole; a
steady trickle of files still fires at least every ``max_wait`` seconds, for the files that
stayed still: a file that keeps changing is never reported while it does), it fires one
event. The event marks the Asset, and ``news_files`` (scheduled on its daily timetable *or*
that Asset) runs and takes the files that arrived: everything not yet ingested, skipping what
is unchanged since it was (``inbox_files``).

The watcher keeps no state that matters: on (re)start it fires once when the inbox is not
empty, so files that arrived while the triggerer was down are taken by that run, which costs
one listing when nothing is new. While a run works, events collapse into at most one queued
run (``max_active_runs=1``), so files arriving during a run are taken by the next one.

Writers should make a file appear whole: write it elsewhere (or as a hidden ``.name.tmp`` in
the inbox, which is never read) and rename it into place. A file written in place is taken
when its size and time have not changed for one look, and the run it starts leaves files
changed within the last second (``skip_being_written``) for the next; a writer that pauses for
longer than a look can still be read half-way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

log = logging.getLogger(__name__)


def _list(inbox: str) -> dict[str, tuple[int, int, int]]:
    from newsflow.sources.inbox import signatures

    return signatures(Path(inbox))


class InboxArrivalsTrigger(BaseEventTrigger):
    """Fires when files appear or change in ``inbox`` (see the module docstring)."""

    def __init__(self, inbox: str, interval: float = 2.0, max_wait: float = 10.0) -> None:
        super().__init__()
        self.inbox = inbox
        self.interval = interval
        self.max_wait = max_wait

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"inbox": self.inbox, "interval": self.interval, "max_wait": self.max_wait},
        )

    async def _look(self) -> dict[str, tuple[int, int, int]] | None:
        try:
            return await asyncio.to_thread(_list, self.inbox)
        except OSError as exc:  # the inbox is unreadable for now: say so, look again later
            log.warning("inbox %s cannot be listed: %s", self.inbox, exc)
            return None

    async def run(self) -> AsyncIterator[TriggerEvent]:
        known = await self._look() or {}
        fired = 0
        # on (re)start: whatever is there may have arrived while nobody watched
        pending: set[str] = set(known)
        first_change = time.monotonic() if pending else None
        changes: set[str] = set()
        while True:
            if pending and first_change is not None:
                # files still for one look; after max_wait of a steady trickle, those of them
                # that are (a file still being written waits: the run would read half of it)
                ready = pending - changes
                waited = time.monotonic() - first_change
                if ready and (ready == pending or waited >= self.max_wait):
                    fired += 1
                    payload = {
                        "inbox": self.inbox,
                        "files": len(ready),
                        "examples": sorted(ready)[:5],
                        "noticed_at": datetime.now(UTC).isoformat(),
                        "sequence": fired,
                    }
                    log.info("inbox %s: %d new or changed files", self.inbox, len(ready))
                    yield TriggerEvent(payload)
                    pending -= ready
                    first_change = time.monotonic() if pending else None
            await asyncio.sleep(self.interval)
            listing = await self._look()
            if listing is None:
                continue
            changes = {name for name, sig in listing.items() if known.get(name) != sig}
            known = listing
            if changes:
                pending |= changes
                if first_change is None:
                    first_change = time.monotonic()
