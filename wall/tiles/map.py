"""The ``map`` tile's view: the e-map of the county seat: open cases, officers with their trails,
cameras, responsibility grids and roads (docs/map.md).

Live parts: ``cases`` (case id → place, status, category, overdue…, and what its
popup shows: address, description, channel, photos), ``officers``
(officer id → place, status, trail; at most once a second), ``cameras`` (camera
id → online, offline or unknown) and, on every map, ``focus`` (``alarm`` → the
case of the alarm pop-up while there is one: the map flies to it and rings it).
Camera positions, grids and roads are static and sit in the layout.
assets/tiles/map.js turns the parts into the dash-leaflet layers' GeoJSON;
without a tile server the map draws the offline basemap (``map.basemap``) on the
dark background, so nothing leaves the hall.
"""

from __future__ import annotations

from typing import cast

from dash import html

from core.topics import CAMERAS, CASES, OFFICERS, WALL
from wall.config.tiles.map import CATEGORY_KEYS, MapTile
from wall.control.views import FocusJson
from wall.live.data import LiveData
from wall.tile_view import LivePart, Strings, TileContext, TileView, keyed_part
from wall.tiles._map_layout import map_layout
from wall.tiles._map_live import (
    CasePointJson,
    OfficerPointJson,
    alarm_focus,
    camera_statuses,
    case_points,
    officer_points,
    placed_officers,
)


def cases(tile: MapTile, data: LiveData) -> dict[str, CasePointJson]:
    names = {key: data.translate(f"category.{key}") for key in CATEGORY_KEYS}
    return case_points(
        data.open_cases(), data.now, names, tile.grids, tile.categories, tile.sources,
        minor_names=data.translate.locale == "zh-CN",
    )  # fmt: skip


# Its labels (wall/locales/*.json holds the ones several views share).
STRINGS: Strings = {
    "zh-CN": {
        "map.layer.cases": "案件",
        "map.layer.officers": "执法队员",
        "map.layer.cameras": "视频监控",
        "map.layer.grids": "责任网格",
        "map.layer.roads": "道路",
        "map.overdue": "超期",
        "map.camera_unknown": "未知",
        "map.popup.address": "地址",
        "map.popup.description": "问题描述",
        "map.popup.channel": "反映渠道",
        "map.popup.before": "处置前",
        "map.popup.after": "处置后",
        "map.glyph.event-01": "容",
        "map.glyph.event-02": "广",
        "map.glyph.event-03": "工",
        "map.glyph.event-04": "急",
        "map.glyph.event-05": "街",
        "map.glyph.event-06": "他",
        "map.glyph.component-01": "设",
        "map.glyph.component-02": "交",
        "map.glyph.component-03": "容",
        "map.glyph.component-04": "绿",
        "map.glyph.component-05": "房",
        "map.glyph.component-06": "他",
    },
    "en": {
        "map.layer.cases": "Cases",
        "map.layer.officers": "Officers",
        "map.layer.cameras": "Cameras",
        "map.layer.grids": "Grids",
        "map.layer.roads": "Roads",
        "map.overdue": "Overdue",
        "map.camera_unknown": "Unknown",
        "map.popup.address": "Address",
        "map.popup.description": "Description",
        "map.popup.channel": "Reported via",
        "map.popup.before": "Before",
        "map.popup.after": "After",
        "map.glyph.event-01": "A",
        "map.glyph.event-02": "Ad",
        "map.glyph.event-03": "C",
        "map.glyph.event-04": "E",
        "map.glyph.event-05": "S",
        "map.glyph.event-06": "O",
        "map.glyph.component-01": "U",
        "map.glyph.component-02": "R",
        "map.glyph.component-03": "A",
        "map.glyph.component-04": "G",
        "map.glyph.component-05": "B",
        "map.glyph.component-06": "O",
    },
}


def officers(tile: MapTile, data: LiveData) -> dict[str, OfficerPointJson]:
    placed = placed_officers(data.officers(), tile.grids)
    trails = data.trails(placed.index, tile.trail_points)
    return officer_points(placed, trails)


def cameras(tile: MapTile, data: LiveData) -> dict[str, str]:
    ids = [camera.id for camera in data.config.cameras.items]
    return camera_statuses(ids, data.cameras())


def focus(tile: MapTile, data: LiveData) -> dict[str, FocusJson]:
    """The alarm pop-up's case, while there is one (every map tile centres on it); else
    the case an operator highlighted from the console's case panel."""
    found: dict[str, FocusJson] = {
        key: cast(FocusJson, alarm) for key, alarm in alarm_focus(data.alarm()).items()
    }
    if not found:
        shown = data.highlight()
        if shown is not None:
            found["highlight"] = cast(FocusJson, shown)
    return found


def live(tile: MapTile) -> tuple[LivePart[MapTile], ...]:
    parts = {
        "cases": keyed_part("cases", frozenset({CASES}), cases, CasePointJson),
        "officers": keyed_part(
            "officers", frozenset({OFFICERS}), officers, OfficerPointJson, every_s=1.0
        ),
        "cameras": keyed_part("cameras", frozenset({CAMERAS}), cameras, str),
    }
    layers = tuple(part for name, part in parts.items() if name in tile.layers)
    return (*layers, keyed_part("focus", frozenset({WALL}), focus, FocusJson))


def layout(tile: MapTile, ctx: TileContext) -> html.Div:
    return map_layout(tile, ctx)


VIEW = TileView(
    schema=MapTile,
    layout=layout,
    live=live,
    renderer="tiles/map.js",
    strings=STRINGS,
    tablet_order=2,
)
