"""Settings out of range are refused with a sentence naming the variable, not taken."""

from __future__ import annotations

import pytest

from newsflow.settings import get_settings


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        # Postgres reads lock_timeout 0 as "wait for ever"; a negative one raised in psycopg
        ("NEWSFLOW_LOCK_TIMEOUT", "0", "must be above 0"),
        ("NEWSFLOW_LOCK_TIMEOUT", "-1", "must be above 0"),
        # the inbox watcher listed the inbox thousands of times a second
        ("NEWSFLOW_WATCH_INTERVAL", "0", "must be above 0"),
        # a percentage for a share: the gate stopped checking quarantine
        ("NEWSFLOW_GATE_MAX_QUARANTINE_SHARE", "20", "a share between 0 and 1"),
        ("NEWSFLOW_RUN_ABANDON_AFTER", "-5", "must be above 0"),
        ("NEWSFLOW_CHUNK_DOCUMENTS", "0", "must be at least 1"),
        ("NEWSFLOW_GATE_MAX_FAILED", "-1", "must be at least 0"),
        ("NEWSFLOW_ROBOTS_TTL", "-3", "must not be negative"),
        ("NEWSFLOW_FETCH_READ_TIMEOUT", "nan", "a finite number"),
        ("NEWSFLOW_MAX_ATTEMPTS", "three", "must be an integer"),
    ],
)
def test_a_setting_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"{name} .*{says}"):
        get_settings()


def test_the_defaults_and_edge_values_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings()
    for name, value in (
        ("NEWSFLOW_GATE_MAX_QUARANTINE_SHARE", "1"),
        ("NEWSFLOW_PREPARE_PROCESSES", "0"),  # one per core
        ("NEWSFLOW_HOST_MIN_INTERVAL", "0"),
        ("NEWSFLOW_RUN_ABANDON_AFTER", "0.001"),
    ):
        monkeypatch.setenv(name, value)
    get_settings()
