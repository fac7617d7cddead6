"""The offline basemap and the camera points as dash-leaflet layers: drawn by the e-map
tile and by the console's camera map, which share them (and their styles in
assets/tiles/map.js, ``window.citywallMap.*``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import dash_leaflet as dl

from wall.config.basemap import BasemapError, basemap_layer, read_basemap
from wall.config.models import WallConfigBase

log = logging.getLogger(__name__)
GeoJson = dict[str, object]
EMPTY: Final[GeoJson] = {"type": "FeatureCollection", "features": []}


def js(name: str) -> dict[str, str]:
    """A function of assets/tiles/map.js, as dash-leaflet resolves function props."""
    return {"variable": f"citywallMap.{name}"}


def usable_basemap(path: str | None) -> dict[str, object] | None:
    """The offline basemap, or None (none configured, or unusable: logged)."""
    if path is None:
        return None
    try:
        return read_basemap(Path(path))
    except (OSError, BasemapError) as exc:  # checked at load; changed since
        log.warning("map: basemap %s unusable, drawing without it: %s", path, exc)
        return None


def water_and_roads(basemap: dict[str, object]) -> list[dl.GeoJSON]:
    """The river and the roads, under everything, not clickable."""
    return [
        dl.GeoJSON(data=basemap_layer(basemap, "water"), style=js("waterStyle"), interactive=False),
        dl.GeoJSON(data=basemap_layer(basemap, "road"), style=js("roadStyle"), interactive=False),
    ]


def camera_features(config: WallConfigBase) -> GeoJson:
    """Every camera of the inventory as a point; statuses arrive live (hideout)."""
    features = [
        {
            "type": "Feature",
            "properties": {"id": camera.id, "name": camera.name},
            "geometry": {"type": "Point", "coordinates": [camera.lon, camera.lat]},
        }
        for camera in config.cameras.items
    ]
    return {"type": "FeatureCollection", "features": features}
