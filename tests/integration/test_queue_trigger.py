"""The queue's watcher (QueueBacklogTrigger.run) against a real Redis, driven with asyncio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest

from newsflow.sources import queue
from newsflow.streaming.queue import CLASSPATH, QueueBacklogTrigger
from tests.queueing import Stream

QUIET = 1.5  # seconds of listening that must bring no event (the trigger looks every 0.05 s)


class Listener:
    """The trigger's events, collected by a task, waited for with timeouts."""

    def __init__(self, trigger: QueueBacklogTrigger) -> None:
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.trigger = trigger
        self.task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        events: AsyncIterator[Any] = self.trigger.run()
        async for event in events:
            await self.events.put(event.payload)

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def quiet(self) -> bool:
        try:
            await asyncio.wait_for(self.events.get(), QUIET)
        except TimeoutError:
            return True
        return False

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def trigger_for(stream: Stream, **kw: Any) -> QueueBacklogTrigger:
    args: dict[str, Any] = {
        "stream": stream.name,
        "group": stream.group,
        "claim_idle_s": 300.0,
        "interval_s": 0.05,
        "quiet_s": 60.0,
        "url": stream.url,
    }
    return QueueBacklogTrigger(**{**args, **kw})


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 60))


def test_serializes_to_its_importable_classpath(redis_stream: Stream) -> None:
    trigger = trigger_for(redis_stream)
    path, kwargs = trigger.serialize()
    assert path == CLASSPATH == "newsflow.streaming.queue.QueueBacklogTrigger"
    assert QueueBacklogTrigger(**kwargs).serialize() == (path, kwargs)


def test_fires_on_backlog_and_stays_quiet_once_acknowledged(redis_stream: Stream) -> None:
    client, name, group = redis_stream.client, redis_stream.name, redis_stream.group

    async def scenario() -> None:
        listener = Listener(trigger_for(redis_stream))
        try:
            assert await listener.quiet()  # no stream yet: nothing to do
            queue.push(client, name, {"text": "one"})
            queue.push(client, name, {"text": "two"})
            event = await listener.next()
            assert event["stream"] == name and event["unread"] == 2
            assert await listener.quiet()  # the same backlog: not again

            taken = queue.take(client, name, group, "c1", batch=10, claim_idle_s=300)
            assert len(taken) == 2
            client.xack(name, group, *[m.entry_id for m in taken])
            assert await listener.quiet()  # all taken and acknowledged

            queue.push(client, name, {"text": "three"})
            event = await listener.next()
            assert event["unread"] == 1
        finally:
            await listener.stop()

    run(scenario())


def test_fires_for_messages_left_unacknowledged(redis_stream: Stream) -> None:
    client, name, group = redis_stream.client, redis_stream.name, redis_stream.group
    queue.push(client, name, {"text": "taken by a run that died"})
    assert len(queue.take(client, name, group, "dead", batch=10, claim_idle_s=300)) == 1

    async def scenario() -> None:
        listener = Listener(trigger_for(redis_stream, claim_idle_s=0.5))
        try:
            event = await listener.next()
            assert event["unread"] == 0 and event["reclaimable"] == 1
            again = queue.take(client, name, group, "next", batch=10, claim_idle_s=0.5)
            assert len(again) == 1
            client.xack(name, group, again[0].entry_id)
            assert await listener.quiet()
        finally:
            await listener.stop()

    run(scenario())


def test_the_same_backlog_fires_again_after_the_quiet_time(redis_stream: Stream) -> None:
    queue.push(redis_stream.client, redis_stream.name, {"text": "nobody takes it"})

    async def scenario() -> None:
        listener = Listener(trigger_for(redis_stream, quiet_s=0.3))
        try:
            first = await listener.next()
            second = await listener.next()
            assert first == second
        finally:
            await listener.stop()

    run(scenario())


def test_redis_down_is_retried_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    trigger = QueueBacklogTrigger(
        stream="nftest:down",
        group="g",
        claim_idle_s=300,
        interval_s=0.05,
        url="redis://127.0.0.1:1/0",  # nothing listens there
    )

    async def scenario() -> None:
        listener = Listener(trigger)
        deadline = time.monotonic() + 10
        while "cannot read the backlog" not in caplog.text and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not listener.task.done()
        await listener.stop()

    with caplog.at_level("WARNING", logger="newsflow.streaming.queue"):
        run(scenario())
    assert "cannot read the backlog" in caplog.text
