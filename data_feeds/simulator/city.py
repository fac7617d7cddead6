"""The simulated city's fixed layout: responsibility grids (责任网格) and the officer roster."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from data_feeds.simulator.names import officer_name
from data_feeds.simulator.randomness import rng_for
from data_feeds.simulator.settings import CitySettings

COUNTY_CODE = "430624"  # 湘阴县's administrative division code
# Points are kept this fraction of a grid's size away from its edges, so that a
# rounded coordinate can never land on (or past) a neighbour's boundary.
INSET = 0.02
Vehicle = Literal["walk", "ebike"]


@dataclass(frozen=True)
class Box:
    south: float
    west: float
    north: float
    east: float

    def inset(self, fraction: float) -> Box:
        dlat, dlon = (self.north - self.south) * fraction, (self.east - self.west) * fraction
        return Box(self.south + dlat, self.west + dlon, self.north - dlat, self.east - dlon)

    def random_point(self, rng: random.Random) -> tuple[float, float]:
        inner = self.inset(INSET)
        return (
            round(rng.uniform(inner.south, inner.north), 6),
            round(rng.uniform(inner.west, inner.east), 6),
        )


@dataclass(frozen=True)
class Grid:
    code: str
    box: Box
    weight: float  # how busy: the centre of town more than the edges
    officers: tuple[str, ...]


@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    grid: str
    box: Box  # the grid's
    vehicle: Vehicle
    base: tuple[float, float]  # the grid's post, where an off-duty terminal last was


@dataclass(frozen=True)
class City:
    settings: CitySettings
    tz: ZoneInfo
    grids: tuple[Grid, ...]
    officers: tuple[Officer, ...]

    def pick_grid(self, rng: random.Random) -> Grid:
        return rng.choices(self.grids, [grid.weight for grid in self.grids])[0]


@lru_cache(maxsize=16)
def city_for(settings: CitySettings) -> City:
    boxes = _grid_boxes(settings)
    counts = _spread(settings.officers, len(boxes))
    rng = rng_for(settings.seed, "roster")
    grids: list[Grid] = []
    officers: list[Officer] = []
    for (code, box, weight), count in zip(boxes, counts, strict=True):
        ids = tuple(f"ZF-{len(officers) + n + 1:03d}" for n in range(count))
        grids.append(Grid(code, box, weight, ids))
        for officer_id in ids:
            vehicle: Vehicle = "ebike" if rng.random() < 0.4 else "walk"
            officers.append(
                Officer(officer_id, officer_name(rng), code, box, vehicle, box.random_point(rng))
            )
    return City(settings, settings.tz, tuple(grids), tuple(officers))


def grid_code(row: int, col: int) -> str:
    return f"{COUNTY_CODE}-{row:02d}{col:02d}"


def _grid_boxes(settings: CitySettings) -> list[tuple[str, Box, float]]:
    """Row 01 is the northernmost, column 01 the westernmost, as on the map."""
    (south, west), (north, east) = settings.bounds
    rows, cols = settings.grid_rows, settings.grid_cols
    dlat, dlon = (north - south) / rows, (east - west) / cols
    boxes = []
    for row in range(rows):
        for col in range(cols):
            top = north - row * dlat
            box = Box(top - dlat, west + col * dlon, top, west + (col + 1) * dlon)
            # distance of the grid's centre from the town centre, 0 (centre) .. ~0.7
            dy, dx = (row + 0.5) / rows - 0.5, (col + 0.5) / cols - 0.5
            boxes.append((grid_code(row + 1, col + 1), box, 1 / (1 + 6 * (dx * dx + dy * dy))))
    return boxes


def _spread(total: int, buckets: int) -> list[int]:
    """``total`` split as evenly as possible, the first buckets taking the remainder."""
    share, extra = divmod(total, buckets)
    return [share + (1 if index < extra else 0) for index in range(buckets)]


def metres_to_degrees(lat: float, north_m: float, east_m: float) -> tuple[float, float]:
    return north_m / 111_320, east_m / (111_320 * math.cos(math.radians(lat)))
