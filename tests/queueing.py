"""The Redis the queue tests use (127.0.0.1:6379, or NEWSFLOW_TEST_REDIS_URL): a unique
stream per test, deleted afterwards; the tests skip with one message when it is unreachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

REDIS_URL = os.environ.get("NEWSFLOW_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


@dataclass
class Stream:
    url: str
    name: str
    group: str
    client: Any  # redis.Redis

    def pending(self) -> int:
        return int(self.client.xpending(self.name, self.group)["pending"])


@pytest.fixture
def redis_stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stream]:
    """A fresh stream key, and the settings pointing the queue source at it."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=10)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        client.close()
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); the queue tests need it")
    name = f"nftest:{uuid.uuid4().hex[:12]}:articles"
    monkeypatch.setenv("NEWSFLOW_QUEUE_URL", REDIS_URL)
    monkeypatch.setenv("NEWSFLOW_QUEUE_STREAM", name)
    monkeypatch.setenv("NEWSFLOW_QUEUE_GROUP", "newsflow-test")
    try:
        yield Stream(REDIS_URL, name, "newsflow-test", client)
    finally:
        client.delete(name)
        client.close()
