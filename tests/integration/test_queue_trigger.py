"""The queue's watcher (QueueBacklogTrigger.run) against a real Redis, driven with asyncio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest

from newsflow.sources import queue
from newsflow.streaming import queue as watcher
from newsflow.streaming.queue import CLASSPATH, QueueBacklogTrigger
from tests.queueing import Stream

QUIET = 1.5  # seconds of listening that must bring no event (the trigger looks every 0.05 s)
STOP_S = 10.0  # a cancelled trigger must end within this


class Listener:
    """The trigger's events, collected by a task, waited for with timeouts."""

    def __init__(self, trigger: QueueBacklogTrigger) -> None:
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.trigger = trigger
        self.running: Any = self.trigger.run()
        self.task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        events: AsyncIterator[Any] = self.running
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
        """Cancel the trigger as the triggerer does; fail, showing where it is, if it goes on."""
        self.task.cancel()
        done, _ = await asyncio.wait({self.task}, timeout=STOP_S)
        if not done:
            pytest.fail(
                f"the trigger runs on {STOP_S} s after its cancellation, at:\n{self.where()}"
            )
        await asyncio.gather(self.task, return_exceptions=True)

    def where(self) -> str:
        """The trigger's stack: its generator's frame and what that awaits, innermost last."""
        lines, frame_of = [], self.running
        while frame_of is not None:
            frame = getattr(frame_of, "ag_frame", None) or getattr(frame_of, "cr_frame", None)
            if frame is not None:
                lines.append(
                    f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
                )
            frame_of = getattr(frame_of, "ag_await", None) or getattr(frame_of, "cr_await", None)
        return "\n".join(lines)


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
    """asyncio.run without its final cancel-and-wait of leftover tasks: a trigger that ignores
    its cancellation has already failed the test in Listener.stop and must not hang it."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(coro, 60))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


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


@pytest.mark.parametrize("library", ["raises", "swallows"])
def test_a_cancellation_a_library_mishandles_still_ends_it(
    redis_stream: Stream, monkeypatch: pytest.MonkeyPatch, library: str
) -> None:
    """A library that turns the triggerer's cancellation into an exception (a read timeout firing
    with it) must not send the watcher round its retry loop, and one that catches it and
    returns as if nothing happened (Python 3.11's asyncio.wait_for, under which redis-py sends
    commands) must not keep it polling: either way its stop would wait forever."""
    entered = asyncio.Event()

    async def mishandling_read(*args: Any) -> None:
        entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            if library == "raises":
                raise TimeoutError("read timed out") from None
            return None

    monkeypatch.setattr(watcher, "backlog", mishandling_read)

    async def scenario() -> None:
        listener = Listener(trigger_for(redis_stream))
        await asyncio.wait_for(entered.wait(), 10)
        await listener.stop()
        assert listener.task.cancelled()

    run(scenario())


def test_a_client_that_cannot_close_does_not_hold_up_the_stop(
    redis_stream: Stream, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import redis.asyncio

    async def hanging_close(self: Any) -> None:
        await asyncio.sleep(30)

    monkeypatch.setattr(redis.asyncio.Redis, "aclose", hanging_close)
    monkeypatch.setattr(watcher, "CLOSE_TIMEOUT_S", 0.2)

    async def scenario() -> None:
        listener = Listener(trigger_for(redis_stream))
        assert await listener.quiet()  # it has read the (empty) backlog: its client is open
        started = time.monotonic()
        await listener.stop()
        assert time.monotonic() - started < 5

    with caplog.at_level("WARNING", logger="newsflow.streaming.queue"):
        run(scenario())
    assert "cannot close the Redis client" in caplog.text


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
