"""The offline basemap (``map.basemap``): a GeoJSON FeatureCollection whose features
each say which ``layer`` they draw on: ``grid`` (with a ``code``), ``road`` or
``water`` (with a ``name``). scripts/make_basemap.py writes the shipped one.

Read once per file version: the loader validates it, the map tile draws it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

BASEMAP_LAYERS: Final = ("grid", "road", "water")
GEOMETRIES: Final = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)


class BasemapError(ValueError):
    """The file is not a basemap; the message says why, in one line."""


def read_basemap(path: Path) -> dict[str, Any]:
    """The validated FeatureCollection at ``path`` (OSError if unreadable)."""
    stat = path.stat()
    return _read(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read(path: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
    try:
        collection = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise BasemapError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BasemapError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    check_basemap(collection)
    return collection  # type: ignore[no-any-return]


def check_basemap(collection: Any) -> None:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise BasemapError('not a GeoJSON FeatureCollection ("type": "FeatureCollection")')
    features = collection.get("features")
    if not isinstance(features, list):
        raise BasemapError('not a GeoJSON FeatureCollection (no "features" list)')
    for index, feature in enumerate(features):
        problem = _feature_problem(feature)
        if problem:
            raise BasemapError(f"feature {index}: {problem}")


def _feature_problem(feature: Any) -> str:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return 'not a GeoJSON Feature ("type": "Feature")'
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRIES:
        return "no geometry (Point, LineString, Polygon or their Multi- forms)"
    if not isinstance(geometry.get("coordinates"), list):
        return "geometry without coordinates"
    properties = feature.get("properties")
    layer = properties.get("layer") if isinstance(properties, dict) else None
    if layer not in BASEMAP_LAYERS:
        return f"property layer is {layer!r} (valid: {', '.join(BASEMAP_LAYERS)})"
    return ""


def basemap_layer(collection: dict[str, Any], *layers: str) -> dict[str, Any]:
    """The features of ``collection`` on any of ``layers``, as a FeatureCollection."""
    return {
        "type": "FeatureCollection",
        "features": [f for f in collection["features"] if f["properties"]["layer"] in layers],
    }
