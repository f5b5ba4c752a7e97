"""JSON for jsonb parameters: UTF-8 kept as is, anything else (dates, enums) as its string.

PostgreSQL's jsonb cannot hold the NUL character (``\\u0000``) and UTF-8 cannot encode a lone
surrogate, and both reach us in third-party data (JSONL escapes, feed fields): strings are
made encodable on the way out (:func:`newsflow.text.make_encodable`), so one odd string never
makes a whole batch fail to load.
"""

from __future__ import annotations

import json
from typing import Any

from newsflow.text import make_encodable


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return make_encodable(value)[0]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def as_json(value: Any) -> str:
    return json.dumps(_clean(value), ensure_ascii=False, default=str)
