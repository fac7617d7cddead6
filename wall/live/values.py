"""Live values as plain JSON: what the hub diffs and what the screens receive."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np

REMOVED = None  # in a delta, a key whose value is null was removed


def plain(value: Any) -> Any:
    """Plain JSON types only: numpy scalars and arrays unwrapped, NaN and ±inf as null
    (JSON.parse refuses NaN), times as ISO text, tuples as lists."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return [plain(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def keyed_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``new`` that are new or changed, and null for the keys it dropped."""
    diff = {key: value for key, value in new.items() if old.get(key, REMOVED) != value}
    diff.update({key: REMOVED for key in old.keys() - new.keys()})
    return diff


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
