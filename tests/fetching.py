"""One way to build a test fetcher: the real settings with fast, loopback-only test values."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from newsflow.fetch import Fetcher, SharedState
from newsflow.settings import Settings, get_settings

# Settings fields the tests change from the defaults (any other field can be overridden).
TEST_VALUES: dict[str, Any] = {
    "http_allowlist": ("127.0.0.1",),
    "host_min_interval": 0.0,
    "fetch_concurrency": 4,
    "max_document_bytes": 1_000_000,
    "fetch_connect_timeout": 1.0,
    "fetch_read_timeout": 1.0,
    "fetch_request_budget": 3.0,
    "fetch_backoff_base": 0.01,
    "fetch_backoff_max": 0.05,
    "fetch_retry_after_cap": 2.0,
    "user_agent": "newsflow-test/1.0",
}


def fetch_settings(**overrides: Any) -> Settings:
    """The environment's settings with :data:`TEST_VALUES` and ``overrides`` applied."""
    values = {**TEST_VALUES, **overrides}
    if "http_allowlist" in values:
        values["http_allowlist"] = tuple(values["http_allowlist"])
    return dataclasses.replace(get_settings(), **values)


def make_fetcher(
    *,
    shared: SharedState | None = None,
    sleep: Callable[[float], None] | None = None,
    **overrides: Any,
) -> Fetcher:
    """A :class:`Fetcher` on :func:`fetch_settings` (close it, or use ``with``)."""
    kwargs: dict[str, Any] = {"shared": shared}
    if sleep is not None:
        kwargs["sleep"] = sleep
    return Fetcher(fetch_settings(**overrides), **kwargs)
