"""The inbox watcher (``newsflow.streaming.inbox``) driven as the triggerer drives it: an
async generator of events, on a real folder."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from newsflow.streaming.inbox import InboxArrivalsTrigger

INTERVAL = 0.05


def _drop(inbox: Path, name: str, text: str = "x") -> None:
    """Write elsewhere in the inbox (a hidden temporary name), then rename into place."""
    tmp = inbox / f".{name}.tmp"
    tmp.write_text(text)
    os.replace(tmp, inbox / name)


class Events:
    """The trigger's events as the triggerer consumes them: one task iterating ``run()``
    (cancelling a pending ``anext`` would close the generator), read with timeouts."""

    def __init__(self, trigger: InboxArrivalsTrigger) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.task = asyncio.create_task(self._pump(trigger.run()))

    async def _pump(self, events: AsyncIterator[Any]) -> None:
        async for event in events:
            await self.queue.put(event)

    async def next(self, timeout: float) -> Any | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def test_it_serialises_to_an_importable_class_with_its_arguments(tmp_path: Path) -> None:
    trigger = InboxArrivalsTrigger(str(tmp_path), interval=3.0, max_wait=7.0)
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    again = getattr(importlib.import_module(module), name)(**kwargs)
    assert again.serialize() == (classpath, kwargs)
    assert kwargs == {"inbox": str(tmp_path), "interval": 3.0, "max_wait": 7.0}


def test_an_arrival_fires_once_and_hidden_work_in_progress_does_not(tmp_path: Path) -> None:
    async def scenario() -> list[Any]:
        events = Events(InboxArrivalsTrigger(str(tmp_path), interval=INTERVAL))
        seen = []
        # an empty inbox says nothing
        assert await events.next(0.3) is None
        # a hidden file (a writer's work in progress) says nothing either
        (tmp_path / ".draft.txt.tmp").write_text("half")
        assert await events.next(0.3) is None
        # a file renamed in fires one event naming it
        _drop(tmp_path, "a.txt")
        seen.append(await events.next(2.0))
        # and nothing more while the inbox is still
        assert await events.next(0.3) is None
        # a burst is taken whole: one event for all of it
        for n in range(20):
            _drop(tmp_path, f"burst-{n:02}.txt")
        seen.append(await events.next(2.0))
        assert await events.next(0.3) is None
        # a file rewritten in place counts again; a date folder's files count
        (tmp_path / "a.txt").write_text("longer text")
        (tmp_path / "2026-11-30").mkdir()
        _drop(tmp_path / "2026-11-30", "b.html", "<p>b</p>")
        seen.append(await events.next(2.0))
        await events.close()
        return seen

    first, burst, rewrite = asyncio.run(scenario())
    assert first is not None and first.payload["files"] == 1
    assert first.payload["examples"] == ["a.txt"]
    assert burst is not None and burst.payload["files"] == 20
    assert rewrite is not None
    assert set(rewrite.payload["examples"]) == {"a.txt", "2026-11-30/b.html"}


def test_on_start_a_non_empty_inbox_fires_once(tmp_path: Path) -> None:
    """Files that arrived while no watcher ran are taken by the first run."""
    _drop(tmp_path, "waiting.txt")

    async def scenario() -> tuple[Any, Any]:
        events = Events(InboxArrivalsTrigger(str(tmp_path), interval=INTERVAL))
        first = await events.next(1.0)
        again = await events.next(0.3)
        await events.close()
        return first, again

    first, again = asyncio.run(scenario())
    assert first is not None and first.payload["files"] == 1
    assert again is None


def test_a_steady_trickle_still_fires_within_max_wait(tmp_path: Path) -> None:
    async def scenario() -> Any:
        trigger = InboxArrivalsTrigger(str(tmp_path), interval=INTERVAL, max_wait=0.5)
        events = Events(trigger)
        assert await events.next(0.2) is None

        async def trickle() -> None:
            for n in range(40):  # a new file at every look, for 2 s
                _drop(tmp_path, f"t-{n:02}.txt")
                await asyncio.sleep(INTERVAL)

        writer = asyncio.create_task(trickle())
        event = await events.next(1.5)
        writer.cancel()
        await events.close()
        return event

    event = asyncio.run(scenario())
    assert event is not None and 0 < event.payload["files"] < 40


def test_a_file_written_in_place_is_not_reported_until_it_is_still(tmp_path: Path) -> None:
    """A slow writer keeps changing one file past max_wait: the trickle rule fired for it and
    its run read half of it. It is reported once, after it stays still for one look."""

    async def scenario() -> list[Any]:
        trigger = InboxArrivalsTrigger(str(tmp_path), interval=INTERVAL, max_wait=0.3)
        events = Events(trigger)
        assert await events.next(0.2) is None
        path = tmp_path / "growing.txt"

        async def write() -> None:
            for n in range(100):  # appended 4 times a look for over 1 s, 4 times max_wait
                with path.open("a") as fh:
                    fh.write(f"paragraph {n}\n")
                await asyncio.sleep(INTERVAL / 4)

        writer = asyncio.create_task(write())
        during = await events.next(1.0)
        await writer
        after = await events.next(2.0)
        await events.close()
        return [during, after]

    during, after = asyncio.run(scenario())
    assert during is None
    assert after is not None and after.payload["examples"] == ["growing.txt"]


def test_a_missing_inbox_is_waited_for(tmp_path: Path) -> None:
    inbox = tmp_path / "later"

    async def scenario() -> Any:
        events = Events(InboxArrivalsTrigger(str(inbox), interval=INTERVAL))
        assert await events.next(0.2) is None
        inbox.mkdir()
        _drop(inbox, "a.txt")
        event = await events.next(2.0)
        await events.close()
        return event

    event = asyncio.run(scenario())
    assert event is not None and event.payload["examples"] == ["a.txt"]
