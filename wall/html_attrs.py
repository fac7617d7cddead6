"""data-* and aria-* attributes for Dash html components, which accept any of them
but whose type hints cannot say so."""

from __future__ import annotations

from typing import Any


def attrs(**values: str) -> dict[str, Any]:
    """``attrs(data_tile_id="clock", aria_hidden="true")`` → ``{"data-tile-id": ..., ...}``."""
    return {key.replace("_", "-"): value for key, value in values.items()}
