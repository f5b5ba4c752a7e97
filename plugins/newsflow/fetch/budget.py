"""One wall-clock budget per request, enforced on every socket operation.

httpx's timeouts bound each socket read, not a whole response: a server that sends the status
line and then one header byte every few seconds never trips a 20 s read timeout and can hold a
worker for as long as it likes. The budget is set around one exchange (connect, request,
headers, body) in the calling thread; the streams handed out by the guarded network backend
(:mod:`newsflow.fetch.guard`) shorten every read, write and connect to what is left of it, and
raise a timeout once it is spent. It lives in a thread-local because connections are pooled
and shared by the fetcher's threads, while a budget belongs to one request in one thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore

_local = threading.local()


@contextmanager
def request_budget(seconds: float) -> Iterator[float]:
    """Run one exchange within ``seconds`` of wall clock; yields the deadline (monotonic)."""
    previous = getattr(_local, "deadline", None)
    deadline = time.monotonic() + max(0.0, seconds)
    _local.deadline = deadline
    try:
        yield deadline
    finally:
        _local.deadline = previous


def remaining() -> float | None:
    """Seconds left in the current thread's request budget (None outside one)."""
    deadline = getattr(_local, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


def bounded(timeout: float | None, exc: type[Exception]) -> float | None:
    """``timeout`` shortened to the budget left; raises ``exc`` when it is spent."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise exc("request budget spent")
    return left if timeout is None else min(timeout, left)


class BudgetStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.start_tls(
            ssl_context, server_hostname, bounded(timeout, httpcore.ConnectTimeout)
        )
        return BudgetStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)
