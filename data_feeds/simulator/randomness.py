"""Seed-derived random generators and daytime-weighted sampling.

Every plan draws from its own ``random.Random`` seeded by (seed, what, period), never
from the global generator: a plan is then the same whoever asks for it and whenever,
which is what makes ``events_between`` independent of where a window starts.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

from data_feeds.simulator.timebase import SECOND, local

T = TypeVar("T")

# Relative activity per local hour (0..23). Cases are found while people are out:
# most between 8 and 20 h, few at night.
REPORT_HOURS: tuple[float, ...] = (
    0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 2.5, 3.0, 3.0, 2.8,
    1.6, 1.4, 2.2, 2.8, 2.8, 2.6, 2.2, 1.8, 1.4, 0.8, 0.4, 0.2,
)  # fmt: skip
# Officers report on their patrols: the day shift and the small evening shift.
PATROL_HOURS: tuple[float, ...] = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 3.0, 3.5, 3.5, 3.0,
    0.3, 0.2, 2.0, 3.5, 3.5, 3.0, 0.3, 0.3, 0.6, 0.6, 0.5, 0.2,
)  # fmt: skip
# The cameras catch what happens in front of shops: opening hours.
VIDEO_HOURS: tuple[float, ...] = (
    0.05, 0.0, 0.0, 0.0, 0.0, 0.05, 0.3, 1.5, 3.0, 3.2, 3.2, 3.0,
    2.4, 2.2, 2.8, 3.0, 3.0, 3.0, 2.6, 2.2, 1.6, 0.8, 0.3, 0.1,
)  # fmt: skip
# 12319 is answered round the clock, but the phone rings in the daytime.
CALL_HOURS: tuple[float, ...] = (
    0.2, 0.1, 0.1, 0.05, 0.05, 0.1, 0.4, 1.2, 2.6, 3.0, 3.0, 2.6,
    1.8, 1.6, 2.4, 2.8, 2.8, 2.6, 2.2, 2.0, 1.8, 1.2, 0.7, 0.4,
)  # fmt: skip
# Approvals are published by the office: working hours on weekdays.
OFFICE_HOURS: tuple[float, ...] = (
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0,
)  # fmt: skip


def rng_for(seed: int, *parts: str) -> random.Random:
    """A generator for one plan: the same (seed, parts) always gives the same numbers."""
    digest = hashlib.blake2b(repr((seed, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def stable_index(text: str, size: int) -> int:
    """A deterministic pick in ``range(size)`` from a string (``hash()`` is salted per run)."""
    digest = hashlib.blake2b(text.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % size


def sample_time(
    rng: random.Random,
    lo: int,
    hi: int,
    hours: Sequence[float],
    tz: ZoneInfo,
    weekdays_only: bool = False,
) -> int:
    """A whole second in ``[lo, hi)`` drawn with the local-hour weights (rejection sampling)."""
    top = max(hours)
    first, last = -(-lo // SECOND), -(-hi // SECOND)
    while True:
        ms = rng.randrange(first, last) * SECOND
        moment = local(ms, tz)
        if weekdays_only and moment.weekday() >= 5:
            continue
        if rng.random() * top < hours[moment.hour]:
            return ms


def weighted(rng: random.Random, table: Sequence[tuple[T, float]]) -> T:
    values = [value for value, _ in table]
    weights = [weight for _, weight in table]
    return rng.choices(values, weights)[0]


def uniform_ms(rng: random.Random, lo: int, hi: int) -> int:
    """A whole second between ``lo`` and ``hi`` milliseconds (inclusive)."""
    return rng.randint(lo // SECOND, hi // SECOND) * SECOND
