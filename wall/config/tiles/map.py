"""``map``: the e-map of the county seat (the view: wall/tiles/map.py, docs/map.md)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from data_feeds.catalog import CaseSource
from wall.config.tiles.base import TileConfig

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
        default=None,
        description="Centre as [lat, lon]; default: the centre that fits the tile's cameras "
        "and grids to its size (map.center when there is nothing to fit).",
    )
    zoom: float | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Zoom level (fractions allowed, e.g. 14.5); default: the largest that "
        "shows all the tile's cameras and grids (map.zoom when there is nothing to fit).",
    )
    cluster: bool = Field(
        default=True, description="Group nearby cases into one numbered marker until zoomed in."
    )
    trail_points: int = Field(
        default=10, ge=1, le=20, description="Last positions drawn as each officer's trail."
    )
