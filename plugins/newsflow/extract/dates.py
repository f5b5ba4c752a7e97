"""Dates as documents state them (ISO 8601, RFC 2822), always returned in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_datetime(value: str) -> datetime:
    """Parse ISO 8601 (``2024-12-07``, ``2024-12-07T09:30:00Z`` ...) or RFC 2822.

    A value without a timezone is taken to be UTC. The result is always UTC.
    Raises ValueError if the value is neither.
    """
    raw = value.strip()
    if not raw:
        raise ValueError("empty date")
    iso = raw
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)  # +0100 -> +01:00
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        raise ValueError(f"not an ISO 8601 or RFC 2822 date: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
