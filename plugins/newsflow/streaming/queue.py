"""The queue's watcher: fires when the Redis stream holds messages the consumer group has not
taken, or taken and left unacknowledged for longer than the claim idle time.

:class:`QueueBacklogTrigger` runs in the triggerer as the ``AssetWatcher`` of the
``news_queue_messages`` Asset (``dags/news_queue.py``). Every ``NEWSFLOW_WATCH_INTERVAL``
seconds it reads the group's backlog (``XINFO STREAM``/``XINFO GROUPS``: the lag, or the last
delivered id against the last generated one; ``XPENDING`` with ``IDLE``: entries that a dead
run left) and fires when there is one. It does not fire again for the same backlog (a run is
presumably taking it) until the backlog changes or ``quiet_s`` seconds have passed. It only
reads: the run decides what to take. Redis being down is logged and retried with backoff,
never raised (a watcher that dies stops the DAG's event-driven runs).

The Redis URL is read in the triggerer (``NEWSFLOW_QUEUE_URL``) unless given, so no password
lands in the serialised DAG.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from newsflow.settings import get_settings

log = logging.getLogger(__name__)

CLASSPATH = "newsflow.streaming.queue.QueueBacklogTrigger"
BACKOFF_MAX_S = 60.0
PENDING_SAMPLE = 100  # idle pending entries looked at per check (a count, not the whole list)
CLOSE_TIMEOUT_S = 5.0  # closing the client never holds up the triggerer's cancellation

# (last delivered id, last generated id, unread, idle pending ids): what changes when
# messages arrive, are taken, or are abandoned.
Backlog = tuple[str, str, int, tuple[str, ...]]


def _id(value: str) -> tuple[int, int]:
    millis, _, seq = value.partition("-")
    return int(millis or 0), int(seq or 0)


async def backlog(client: Any, stream: str, group: str, claim_idle_s: float) -> Backlog | None:
    """The group's backlog on the stream (None: nothing to take). ``client`` is a
    ``redis.asyncio.Redis`` with ``decode_responses=True``."""
    import redis.exceptions

    try:
        info = await client.xinfo_stream(stream)
    except redis.exceptions.ResponseError as exc:
        if "no such key" in str(exc).lower():
            return None
        raise
    generated = str(info["last-generated-id"])
    mine = [g for g in await client.xinfo_groups(stream) if g["name"] == group]
    if not mine:  # the first run creates the group at the stream's start
        return ("0-0", generated, int(info["length"]), ()) if info["length"] else None
    delivered = str(mine[0]["last-delivered-id"])
    lag = mine[0].get("lag")
    unread = int(lag) if lag is not None else int(_id(delivered) < _id(generated))
    idle: tuple[str, ...] = ()
    if int(mine[0]["pending"]):
        rows = await client.xpending_range(
            stream, group, min="-", max="+", count=PENDING_SAMPLE, idle=int(claim_idle_s * 1000)
        )
        idle = tuple(str(row["message_id"]) for row in rows)
    if not unread and not idle:
        return None
    return delivered, generated, unread, idle


class QueueBacklogTrigger(BaseEventTrigger):
    """Fires while the queue holds work for newsflow (see the module's doc)."""

    def __init__(
        self,
        stream: str,
        group: str,
        claim_idle_s: float,
        interval_s: float,
        quiet_s: float = 60.0,
        url: str | None = None,
    ) -> None:
        super().__init__()
        self.stream = stream
        self.group = group
        self.claim_idle_s = float(claim_idle_s)
        self.interval_s = float(interval_s)
        self.quiet_s = float(quiet_s)
        self.url = url

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "stream": self.stream,
            "group": self.group,
            "claim_idle_s": self.claim_idle_s,
            "interval_s": self.interval_s,
            "quiet_s": self.quiet_s,
        }
        if self.url is not None:
            kwargs["url"] = self.url
        return CLASSPATH, kwargs

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # imported in a thread: a first import takes most of a second, which must not
        # block the triggerer's event loop (nor the parsing of the DAG file)
        aioredis: Any = await asyncio.to_thread(importlib.import_module, "redis.asyncio")
        url = self.url or get_settings().queue_url
        if not url:
            log.warning("no NEWSFLOW_QUEUE_URL in the triggerer: the queue watcher stays idle")
            while True:
                await asyncio.sleep(3600)
        client: Any = None
        fired: Backlog | None = None
        fired_at = 0.0
        backoff = self.interval_s
        try:
            while True:
                if _cancelling():
                    # a library swallowed the triggerer's cancellation: Python 3.11's
                    # asyncio.wait_for, which redis-py sends each command under, returns the
                    # result when the command completes as the cancellation arrives. The
                    # request still stands: end here rather than poll on
                    raise asyncio.CancelledError
                try:
                    if client is None:
                        client = aioredis.Redis.from_url(
                            url, decode_responses=True, socket_timeout=10, socket_connect_timeout=5
                        )
                    state = await backlog(client, self.stream, self.group, self.claim_idle_s)
                except Exception as exc:  # Redis down or odd: never end the watcher
                    if _cancelling():
                        # the triggerer cancelled us and a library turned that into an error
                        # (a timeout firing with the cancellation): end, or the stop waits forever
                        raise asyncio.CancelledError from exc
                    log.warning(
                        "queue %s: cannot read the backlog (%s: %s); again in %.1f s",
                        self.stream,
                        type(exc).__name__,
                        exc,
                        backoff,
                    )
                    await _close(client)
                    client = None
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX_S)
                    continue
                backoff = self.interval_s
                now = time.monotonic()
                if state is not None and (state != fired or now - fired_at >= self.quiet_s):
                    fired, fired_at = state, now
                    delivered, generated, unread, idle = state
                    log.info(
                        "queue %s: %d new, %d abandoned messages", self.stream, unread, len(idle)
                    )
                    yield TriggerEvent(
                        {
                            "stream": self.stream,
                            "unread": unread,
                            "reclaimable": len(idle),
                            "last_generated_id": generated,
                            "last_delivered_id": delivered,
                        }
                    )
                elif state is None:
                    fired = None
                await asyncio.sleep(self.interval_s)
        finally:
            await _close(client)


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _close(client: Any) -> None:
    """Close the client within CLOSE_TIMEOUT_S; a client that cannot close is logged and left."""
    if client is None:
        return
    try:
        await asyncio.wait_for(client.aclose(), CLOSE_TIMEOUT_S)
    except Exception as exc:
        log.warning(
            "cannot close the Redis client (%s: %s); left to the GC", type(exc).__name__, exc
        )
