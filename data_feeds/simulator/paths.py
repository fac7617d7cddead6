"""An officer's patrol path: legs of straight walking or riding that bounce off the edges
of the grid like a billiard ball, with a new heading every few minutes.

Each duty has its own generator, so a position is computed from the duty alone,
without replaying anything before it; the same time always gives the same point.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from data_feeds.simulator.city import INSET, Box, Vehicle, metres_to_degrees
from data_feeds.simulator.randomness import rng_for
from data_feeds.simulator.timebase import MINUTE

# metres per second
_SPEEDS: dict[Vehicle, tuple[float, float]] = {"walk": (0.7, 1.4), "ebike": (2.5, 5.5)}
_STOPPED = 0.25  # share of legs spent standing: talking to a shopkeeper, taking evidence


@dataclass(frozen=True)
class Leg:
    start: int  # ms
    lat: float
    lon: float
    vlat: float  # degrees per ms
    vlon: float


@dataclass(frozen=True)
class Path:
    box: Box
    legs: tuple[Leg, ...]
    starts: tuple[int, ...]

    def at(self, ms: int) -> tuple[float, float]:
        leg = self.legs[max(0, bisect_right(self.starts, ms) - 1)]
        elapsed = ms - leg.start
        lat = _fold(leg.lat + leg.vlat * elapsed, self.box.south, self.box.north)
        lon = _fold(leg.lon + leg.vlon * elapsed, self.box.west, self.box.east)
        return round(lat, 6), round(lon, 6)


def path_rng(seed: int, officer_id: str, duty_key: str) -> random.Random:
    return rng_for(seed, "path", officer_id, duty_key)


def start_point(box: Box, rng: random.Random) -> tuple[float, float]:
    """Where a duty starts (its check-in): the first draw of the duty's generator."""
    return box.random_point(rng)


@lru_cache(maxsize=4096)
def patrol_path(
    seed: int, officer_id: str, duty_key: str, box: Box, vehicle: Vehicle, start: int, end: int
) -> Path:
    rng = path_rng(seed, officer_id, duty_key)
    lat, lon = start_point(box, rng)
    inner = box.inset(INSET)
    legs: list[Leg] = []
    ms = start
    while ms < end:
        length = rng.randint(4 * MINUTE, 15 * MINUTE)
        vlat, vlon = _velocity(rng, vehicle, lat)
        legs.append(Leg(ms, lat, lon, vlat, vlon))
        lat = _fold(lat + vlat * length, inner.south, inner.north)
        lon = _fold(lon + vlon * length, inner.west, inner.east)
        ms += length
    return Path(inner, tuple(legs), tuple(leg.start for leg in legs))


def _velocity(rng: random.Random, vehicle: Vehicle, lat: float) -> tuple[float, float]:
    if rng.random() < _STOPPED:
        return 0.0, 0.0
    speed = rng.uniform(*_SPEEDS[vehicle]) / 1000  # metres per ms
    heading = rng.uniform(0, 2 * math.pi)
    return metres_to_degrees(lat, speed * math.cos(heading), speed * math.sin(heading))


def _fold(x: float, lo: float, hi: float) -> float:
    """Reflect ``x`` back into ``[lo, hi]`` as often as it overshoots (a bounce)."""
    width = hi - lo
    offset = (x - lo) % (2 * width)
    return min(hi, max(lo, lo + (offset if offset <= width else 2 * width - offset)))
