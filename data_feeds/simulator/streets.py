"""Street addresses (地址) for simulated cases, from the town's named places.

The places are the camera inventory's names and positions (``CitySettings.places``):
an intersection camera ("湘阴大道与解放路交叉口") says where two roads cross, and the
intersections that name a road say which way it runs (east–west or north–south).
Without places the simulator lays its own street grid, the county seat's roads,
evenly over the bounds. A case's address comes from the nearest intersection:

- within 50 m: its corner, ``湘阴县文星镇湘阴大道与解放路交叉口东北角``;
- along one of its roads (the one whose direction the point lies in, if known) and
  at most 300 m off that road's line: a house number, counted from the map's west or
  south edge, even on the north or east side, ``湘阴县文星镇解放路128号``, with
  ``附近`` or ``门前``, or with a landmark (a place that is no intersection) within
  100 m, ``湘阴县文星镇解放路128号（农贸市场东门旁）``;
- otherwise (out of town, or a road seen at one intersection only) the way from it,
  ``湘阴县文星镇白泥湖路与左公路交叉口往西北约1.5公里``.

Everything but the wording after a house number depends on the position alone.
"""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from data_feeds.simulator.settings import CitySettings, Place

TOWN: Final = "湘阴县文星镇"  # the county seat (湘阴县城) is the town of 文星镇
MAX_CHARS: Final = 200  # the schema's limit for an address
# The county seat's roads, as the camera inventory names them (scripts/make_camera_inventory.py).
EAST_WEST: Final = (
    "湘阴大道", "文星路", "太傅路", "洞庭大道", "凤凰路",
    "鹤龙湖路", "建设路", "城东路", "南湖路", "白泥湖路",
)  # fmt: skip
NORTH_SOUTH: Final = (
    "左公路", "仙姑路", "青山路", "金龙路", "工业大道",
    "解放路", "东湖路", "文庙路", "湘江路", "长康路",
)  # fmt: skip
CORNER_M: Final = 50.0  # this close to an intersection: its corner
SIDE_M: Final = 300.0  # at most this far off a road's line: a house number on it
LANDMARK_M: Final = 100.0  # a landmark this close is named after the house number
HOUSE_SPACING_M: Final = 25.0  # frontage per pair of house numbers (odd and even)
SUFFIXES: Final = ("", "附近", "门前")
METRES_PER_DEGREE: Final = 111_320.0
_JUNCTION: Final = re.compile(r"^(?P<a>[^与（()）]+)与(?P<b>[^与（()）]+)交叉口$")

Axis = Literal["ew", "ns"]


@dataclass(frozen=True)
class Junction:
    roads: tuple[str, str]
    lat: float
    lon: float


@dataclass(frozen=True)
class Streets:
    junctions: tuple[Junction, ...]
    roads: dict[str, Axis]  # the direction of each road seen at two or more intersections
    landmarks: tuple[Place, ...]  # the places that are no intersection, plain names only
    origin: tuple[float, float]  # (south, west): where house numbers start


@lru_cache(maxsize=16)
def streets_for(settings: CitySettings) -> Streets:
    (south, west), _ = settings.bounds
    return streets_from(settings.places or built_in_places(settings), (south, west))


def built_in_places(settings: CitySettings) -> tuple[Place, ...]:
    """The county seat's street grid spread over the bounds: 湘阴大道 in the south,
    左公路 in the west, as in the camera inventory."""
    (south, west), (north, east) = settings.bounds
    places = []
    for row, across in enumerate(EAST_WEST):
        lat = south + (row + 0.5) * (north - south) / len(EAST_WEST)
        for col, along in enumerate(NORTH_SOUTH):
            lon = west + (col + 0.5) * (east - west) / len(NORTH_SOUTH)
            places.append((f"{across}与{along}交叉口", lat, lon))
    return tuple(places)


def streets_from(places: tuple[Place, ...], origin: tuple[float, float]) -> Streets:
    junctions: list[Junction] = []
    landmarks: list[Place] = []
    seen: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for name, lat, lon in places:
        match = _JUNCTION.match(name.strip())
        if match is None:
            if not any(char in name for char in "（()）"):  # a road section is no landmark
                landmarks.append((name.strip(), lat, lon))
            continue
        roads = (match["a"].strip(), match["b"].strip())
        junctions.append(Junction(roads, lat, lon))
        for road in roads:
            seen[road].append((lat, lon))
    axes = {name: axis for name, at in seen.items() if (axis := _axis(at)) is not None}
    return Streets(tuple(junctions), axes, tuple(landmarks), origin)


def _axis(at: list[tuple[float, float]]) -> Axis | None:
    """A road runs along the axis its intersections spread over most (in metres)."""
    lats, lons = [lat for lat, _ in at], [lon for _, lon in at]
    north_m = (max(lats) - min(lats)) * METRES_PER_DEGREE
    east_m = (max(lons) - min(lons)) * METRES_PER_DEGREE * math.cos(math.radians(lats[0]))
    if max(north_m, east_m) < 1.0:
        return None  # seen at one place only
    return "ew" if east_m > north_m else "ns"


def address(streets: Streets, lat: float, lon: float, rng: random.Random) -> str:
    """A street address for a point; ``rng`` only picks a house number's suffix."""
    if not streets.junctions:
        return _near_landmark(streets, lat, lon) or TOWN
    junction = min(streets.junctions, key=lambda j: _distance(_offset(j.lat, j.lon, lat, lon)))
    north, east = _offset(junction.lat, junction.lon, lat, lon)
    a, b = junction.roads
    distance = math.hypot(north, east)
    if distance <= CORNER_M:
        corner = ("东" if east >= 0 else "西") + ("北" if north >= 0 else "南")
        return _clip(f"{TOWN}{a}与{b}交叉口{corner}角")
    axis: Axis = "ns" if abs(north) >= abs(east) else "ew"
    along = next((road for road in (a, b) if streets.roads.get(road) == axis), None)
    side = east if axis == "ns" else north  # off the road's line, across it
    if along is None or abs(side) > SIDE_M:
        return _clip(f"{TOWN}{a}与{b}交叉口往{_direction(north, east)}{_about(distance)}")
    number = _house_number(streets.origin, axis, lat, lon, side)
    landmark = _landmark(streets, lat, lon)
    tail = f"（{landmark}旁）" if landmark else rng.choice(SUFFIXES)
    return _clip(f"{TOWN}{along}{number}号{tail}")


def _near_landmark(streets: Streets, lat: float, lon: float) -> str | None:
    """Without intersections: the nearest landmark and the way from it."""
    if not streets.landmarks:
        return None
    name, at_lat, at_lon = min(
        streets.landmarks, key=lambda place: _distance(_offset(place[1], place[2], lat, lon))
    )
    north, east = _offset(at_lat, at_lon, lat, lon)
    distance = math.hypot(north, east)
    if distance <= CORNER_M:
        return _clip(f"{TOWN}{name}附近")
    return _clip(f"{TOWN}{name}往{_direction(north, east)}{_about(distance)}")


def _landmark(streets: Streets, lat: float, lon: float) -> str | None:
    near = [
        (_distance(_offset(at_lat, at_lon, lat, lon)), name)
        for name, at_lat, at_lon in streets.landmarks
    ]
    close = [item for item in near if item[0] <= LANDMARK_M]
    return min(close)[1] if close else None


def _house_number(
    origin: tuple[float, float], axis: Axis, lat: float, lon: float, side: float
) -> int:
    """Counted from the map's south (a north–south road) or west edge; even on the
    north or east side of the road."""
    south, west = origin
    if axis == "ns":
        along = (lat - south) * METRES_PER_DEGREE
    else:
        along = (lon - west) * METRES_PER_DEGREE * math.cos(math.radians(lat))
    pair = int(max(along, 0.0) // HOUSE_SPACING_M)
    return 2 * pair + (2 if side >= 0 else 1)


def _offset(from_lat: float, from_lon: float, lat: float, lon: float) -> tuple[float, float]:
    """Metres north and east of (from_lat, from_lon) to (lat, lon)."""
    north = (lat - from_lat) * METRES_PER_DEGREE
    east = (lon - from_lon) * METRES_PER_DEGREE * math.cos(math.radians(from_lat))
    return north, east


def _distance(offset: tuple[float, float]) -> float:
    return math.hypot(*offset)


def _direction(north: float, east: float) -> str:
    """One of the eight: 北, 东北, 东, …; a diagonal within 22.5° of 45°."""
    vertical = "北" if north >= 0 else "南"
    horizontal = "东" if east >= 0 else "西"
    if abs(north) > math.tan(math.radians(67.5)) * abs(east):
        return vertical
    if abs(east) > math.tan(math.radians(67.5)) * abs(north):
        return horizontal
    return horizontal + vertical


def _about(metres: float) -> str:
    if metres < 1000:
        return f"约{max(10, round(metres / 10) * 10)}米"
    return f"约{metres / 1000:.1f}公里"


def _clip(text: str) -> str:
    return text[:MAX_CHARS]
