"""``map``: the e-map of the county seat: open cases, officers with their trails,
cameras, responsibility grids and roads (docs/map.md).

Live parts: ``cases`` (case id → place, status, category, overdue…), ``officers``
(officer id → place, status, trail; at most once a second), ``cameras`` (camera
id → online, offline or unknown) and, on every map, ``focus`` (``alarm`` → the
case of the alarm pop-up while there is one: the map flies to it and rings it).
Camera positions, grids and roads are static and sit in the layout.
assets/tiles/map.js turns the parts into the dash-leaflet layers' GeoJSON;
without a tile server the map draws the offline basemap (``map.basemap``) on the
dark background, so nothing leaves the hall.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from dash import html
from pydantic import Field

from data_feeds.catalog import CaseSource
from wall.live.data import LiveData
from wall.tiles._map_layout import map_layout
from wall.tiles._map_live import (
    alarm_focus,
    camera_statuses,
    case_points,
    officer_points,
    placed_officers,
)
from wall.tiles.base import LivePart, TileConfig, TileContext, TileType

MapLayer = Literal["cases", "officers", "cameras", "grids", "roads"]
MAP_LAYERS: tuple[MapLayer, ...] = get_args(MapLayer)
CategoryKey = Literal[
    "event-01", "event-02", "event-03", "event-04", "event-05", "event-06",
    "component-01", "component-02", "component-03", "component-04", "component-05", "component-06",
]  # fmt: skip
# Kept in step with data_feeds.catalog's 大类 (a unit test checks).
CATEGORY_KEYS: tuple[str, ...] = get_args(CategoryKey)
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class MapTile(TileConfig):
    """The e-map: cases, officers, cameras, grids and roads of the county seat."""

    type: Literal["map"] = Field(description="Tile type.")
    layers: list[MapLayer] = Field(
        default_factory=lambda: list(MAP_LAYERS),
        min_length=1,
        description="What to draw: cases, officers, cameras, grids, roads (default all). "
        "roads is the offline basemap's roads and river, drawn when there is no tile server.",
    )
    grids: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Only cases and officers in these responsibility grids (codes), "
        "whose outlines are highlighted; default all.",
    )
    categories: list[CategoryKey] | None = Field(
        default=None,
        min_length=1,
        description="Only cases of these 大类, as kind-major (event-05 is 街面秩序); default all.",
    )
    sources: list[CaseSource] | None = Field(
        default=None,
        min_length=1,
        description="Only cases found this way: hotline, patrol, video, wechat, referral; "
        "default all.",
    )
    center: tuple[Latitude, Longitude] | None = Field(
        default=None, description="Centre as [lat, lon]; default the wall's map.center."
    )
    zoom: float | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Zoom level (fractions allowed, e.g. 14.5); default the wall's map.zoom.",
    )
    cluster: bool = Field(
        default=True, description="Group nearby cases into one numbered marker until zoomed in."
    )
    trail_points: int = Field(
        default=10, ge=1, le=20, description="Last positions drawn as each officer's trail."
    )


def cases(tile: MapTile, data: LiveData) -> dict[str, Any]:
    names = {key: data.translate(f"category.{key}") for key in CATEGORY_KEYS}
    return case_points(
        data.open_cases(), data.now, names, tile.grids, tile.categories, tile.sources
    )


def officers(tile: MapTile, data: LiveData) -> dict[str, Any]:
    placed = placed_officers(data.officers(), tile.grids)
    trails = data.trails(placed.index, tile.trail_points)
    return officer_points(placed, trails)


def cameras(tile: MapTile, data: LiveData) -> dict[str, Any]:
    ids = [camera.id for camera in data.config.cameras.items]
    return camera_statuses(ids, data.cameras())


def focus(tile: MapTile, data: LiveData) -> dict[str, Any]:
    """The alarm pop-up's case, while there is one (every map tile centres on it)."""
    return alarm_focus(data.alarm())


def live(tile: MapTile) -> tuple[LivePart, ...]:
    parts = {
        "cases": LivePart("cases", frozenset({"cases"}), cases),
        "officers": LivePart("officers", frozenset({"officers"}), officers, every_s=1.0),
        "cameras": LivePart("cameras", frozenset({"cameras"}), cameras),
    }
    layers = tuple(part for name, part in parts.items() if name in tile.layers)
    return (*layers, LivePart("focus", frozenset({"wall"}), focus))


def layout(tile: MapTile, ctx: TileContext) -> html.Div:
    return map_layout(tile, ctx)


TILE_TYPE = TileType(
    name="map",
    model=MapTile,
    layout=layout,
    live=live,
    summary="The e-map: open cases (overdue ones pulse), officers and their trails, "
    "cameras, grids and roads; offline basemap by default.",
)
