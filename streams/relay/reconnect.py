"""When to try a failed camera again: quickly at first, then once a minute."""

from __future__ import annotations

from collections.abc import Callable

# Delay before reconnect attempt n (1-based): 1 s five times, then 5 s, 10 s, then 60 s.
FIRST_DELAYS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 10.0)
STEADY_DELAY = 60.0

ReconnectSchedule = Callable[[int], float]


def reconnect_delay(attempt: int) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (1 = the first retry)."""
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    if attempt <= len(FIRST_DELAYS):
        return FIRST_DELAYS[attempt - 1]
    return STEADY_DELAY
