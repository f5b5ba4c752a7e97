"""JSON for jsonb parameters: UTF-8 kept as is, anything else (dates, enums) as its string."""

from __future__ import annotations

import json
from typing import Any


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
