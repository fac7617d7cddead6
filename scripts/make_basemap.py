"""Write basemap.geojson: the offline vector basemap of the simulated county seat.

Deterministic: the same file every run. Three kinds of feature, each with a
``layer`` property the map tile styles by:

- ``grid``: the simulator's responsibility grids (责任网格), one polygon each, with
  its ``code`` (430624-RRCC), from ``data_feeds.simulator.city`` and the map bounds
  of wall_config.yaml;
- ``road``: one line per road named in cameras.csv, through the intersections
  ("湘阴大道与左公路交叉口") whose cameras name it, with its ``name``;
- ``water``: the Xiang river (湘江) along the west edge of the map.

    python scripts/make_basemap.py > basemap.geojson
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data_feeds.simulator.city import city_for  # noqa: E402
from data_feeds.simulator.settings import CitySettings  # noqa: E402

INTERSECTION = re.compile(r"^(?P<a>.+?)与(?P<b>.+?)交叉口$")
Point = tuple[float, float]  # (lat, lon)


def _round(value: float) -> float:
    return round(value, 6)


def _ring(points: list[Point]) -> list[list[float]]:
    """A closed GeoJSON ring ([lon, lat] pairs) through ``points``."""
    ring = [[_round(lon), _round(lat)] for lat, lon in points]
    return [*ring, ring[0]]


def grid_features(bounds: tuple[Point, Point]) -> list[dict[str, Any]]:
    city = city_for(CitySettings(bounds=bounds, camera_ids=()))
    features = []
    for grid in city.grids:
        box = grid.box
        corners = [(box.south, box.west), (box.south, box.east),
                   (box.north, box.east), (box.north, box.west)]  # fmt: skip
        features.append(_feature({"layer": "grid", "code": grid.code}, "Polygon", [_ring(corners)]))
    return features


def road_features(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Each road named by at least two intersection cameras, as a line along them."""
    points: dict[str, set[Point]] = defaultdict(set)
    for row in rows:
        match = INTERSECTION.match(row["name"])
        if match is None:
            continue  # a spot or a road section: its position says nothing about the road's line
        place = (float(row["lat"]), float(row["lon"]))
        points[match["a"]].add(place)
        points[match["b"]].add(place)
    features = []
    for name in sorted(points, key=lambda road: _first_seen(rows, road)):
        along = sorted(points[name])
        if len(along) < 2:
            continue
        lats, lons = [p[0] for p in along], [p[1] for p in along]
        # A road runs along the axis its intersections spread over most (in metres).
        east_west = (max(lons) - min(lons)) * math.cos(math.radians(lats[0])) > max(lats) - min(
            lats
        )
        along.sort(key=lambda p: (p[1], p[0]) if east_west else (p[0], p[1]))
        line = [[_round(lon), _round(lat)] for lat, lon in along]
        features.append(_feature({"layer": "road", "name": name}, "LineString", line))
    return features


def _first_seen(rows: list[dict[str, str]], road: str) -> int:
    return next(index for index, row in enumerate(rows) if road in row["name"])


def river_feature(bounds: tuple[Point, Point]) -> dict[str, Any]:
    """湘江 along the west edge: a band ~1 km wide that bends gently, south to north."""
    (south, west), (north, _east) = bounds
    steps = 12
    width = 0.011  # degrees of longitude, about 1 km at this latitude
    bank: list[Point] = []
    for step in range(steps + 1):
        lat = south + (north - south) * step / steps
        bend = 0.004 * math.sin(step / steps * math.pi * 1.5)
        bank.append((lat, west + 0.004 + bend))
    east_bank = [(lat, lon + width) for lat, lon in reversed(bank)]
    return _feature({"layer": "water", "name": "湘江"}, "Polygon", [_ring(bank + east_bank)])


def _feature(properties: dict[str, str], kind: str, coordinates: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def basemap(config_path: Path) -> dict[str, Any]:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    (south, west), (north, east) = config["map"]["bounds"]
    bounds = ((float(south), float(west)), (float(north), float(east)))
    inventory = config_path.parent / config.get("cameras", {}).get("inventory", "cameras.csv")
    with inventory.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    features = [river_feature(bounds), *grid_features(bounds), *road_features(rows)]
    return {"type": "FeatureCollection", "features": features}


def dump(collection: dict[str, Any]) -> str:
    """One feature per line: a change to one grid or road is a one-line diff."""
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    sys.stdout.write(dump(basemap(ROOT / "wall_config.yaml")))


if __name__ == "__main__":
    main()
