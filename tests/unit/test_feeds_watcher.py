"""When the feeds watcher fires (newsflow.streaming.feeds): its decision on each look, with the
clock under the test's control, and what the triggerer stores of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsflow.streaming import feeds as watcher

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(watcher.time, "monotonic", lambda: now[0])
    return now


def test_fires_once_per_due_state_spaced_by_the_gap_and_at_every_push(clock: list[float]) -> None:
    state = watcher._FireState(refire_s=60, due_gap_s=30)
    later = T0 + timedelta(minutes=3)
    assert state.decide(later, T0, []) is None  # not due yet
    first = state.decide(T0, T0, [])
    assert first is not None and first.payload["reason"] == "due"
    clock[0] += 5
    assert state.decide(T0, T0 + timedelta(seconds=5), []) is None  # the same due state
    pushed = state.decide(T0, T0 + timedelta(seconds=5), ["7", "7", "9"])
    assert pushed is not None and pushed.payload == {
        "reason": "push",
        "next_poll_at": T0.isoformat(),
        "feeds": ["7", "9"],
    }
    # another feed falls due right after: it waits for the gap, then fires
    other = T0 + timedelta(seconds=10)
    clock[0] += 10
    assert state.decide(other, other, []) is None
    clock[0] += 25
    assert state.decide(other, other, []) is not None
    # the same state, not polled (a run queued or failed): again only after refire_s
    clock[0] += 40
    assert state.decide(other, other, []) is None
    clock[0] += 25
    assert state.decide(other, other, []) is not None


def test_serialises_to_its_classpath_and_settings() -> None:
    trigger = watcher.FeedsDueTrigger(conn_id="news", interval_s=1.5)
    classpath, kwargs = trigger.serialize()
    assert classpath == "newsflow.streaming.feeds.FeedsDueTrigger"
    assert kwargs == {"conn_id": "news", "interval_s": 1.5, "refire_s": 60.0, "due_gap_s": 30.0}
    rebuilt = watcher.FeedsDueTrigger(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
