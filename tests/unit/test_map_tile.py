"""The map tile: its config, its live parts as pure functions of the live frames,
its layout, and the offline basemap (file, loader, generator)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dash.development.base_component import Component

from data_feeds import catalog
from testkit.citywall import ROOT
from tests.unit.config_cases import BASE
from wall.config import ConfigError, WallConfig, parse_config
from wall.config.tiles.map import CATEGORY_KEYS, MAP_LAYERS, MapTile
from wall.control import Alarm
from wall.tile_view import TileContext
from wall.tile_views import wall_translator
from wall.tiles._map_live import (
    alarm_focus,
    camera_statuses,
    case_points,
    officer_points,
    placed_officers,
)
from wall.tiles.map import layout, live

NOW = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
MAP_TILE = "  - id: emap\n    type: map\n    x: 3\n    y: 0\n    w: 2\n    h: 2\n"


def config(tile_lines: str = "", map_lines: str = "", directory: Path | None = None) -> WallConfig:
    text = BASE.replace("cameras:\n", MAP_TILE + tile_lines + "cameras:\n", 1) + map_lines
    return parse_config(text, "wall_config.yaml", directory or ROOT, environ={})


def config_error(tile_lines: str = "", map_lines: str = "", directory: Path | None = None) -> str:
    with pytest.raises(ConfigError) as raised:
        config(tile_lines, map_lines, directory)
    return "\n".join(str(issue) for issue in raised.value.issues)


def the_map(wall: WallConfig) -> MapTile:
    tile = next(tile for tile in wall.tiles if tile.id == "emap")
    assert isinstance(tile, MapTile)
    return tile


# ── config ─────────────────────────────────────────────────────────────
def test_defaults_draw_every_layer_from_the_walls_view() -> None:
    tile = the_map(config())
    assert tile.layers == list(MAP_LAYERS) == ["cases", "officers", "cameras", "grids", "roads"]
    assert (tile.grids, tile.categories, tile.sources, tile.center, tile.zoom) == (None,) * 5
    assert tile.cluster is True
    assert tile.trail_points == 10


def test_options_are_read() -> None:
    tile = the_map(
        config(
            "    layers: [cases, grids]\n    grids: [430624-0101]\n"
            "    categories: [event-05, component-01]\n    sources: [video, hotline]\n"
            "    center: [28.7, 112.9]\n    zoom: 15.5\n    cluster: false\n    trail_points: 20\n"
        )
    )
    assert tile.layers == ["cases", "grids"]
    assert tile.categories == ["event-05", "component-01"]
    assert tile.sources == ["video", "hotline"]
    assert (tile.center, tile.zoom, tile.cluster, tile.trail_points) == (
        (28.7, 112.9),
        15.5,
        False,
        20,
    )


def test_an_unknown_layer_lists_the_valid_ones() -> None:
    message = config_error("    layers: [cases, buses]\n")
    assert message.startswith("wall_config.yaml:")
    assert "tiles -> 2 -> layers -> 1" in message
    assert "'cases', 'officers', 'cameras', 'grids' or 'roads'" in message
    assert "'buses'" in message


@pytest.mark.parametrize(
    ("lines", "where", "expected"),
    [
        ("    categories: [event-07]\n", "categories -> 0", "'component-06'"),
        ("    sources: [radio]\n", "sources -> 0", "'referral'"),
        ("    trail_points: 21\n", "trail_points", "less than or equal to 20"),
        ("    trail_points: 0\n", "trail_points", "greater than or equal to 1"),
        ("    layers: []\n", "layers", "at least 1 item"),
        ("    center: [95, 112.9]\n", "center -> 0", "less than or equal to 90"),
        ("    zoom: 25\n", "zoom", "less than or equal to 20"),
        ("    colour: red\n", "colour", "valid keys: categories, center, cluster"),
    ],
)
def test_bad_options_are_reported_at_their_key(lines: str, where: str, expected: str) -> None:
    message = config_error(lines)
    assert f"tiles -> 2 -> {where}: " in message
    assert expected in message


def test_category_keys_are_the_catalogs_majors() -> None:
    majors = {f"{c.kind}-{c.major}" for c in catalog.CATEGORIES.values()}
    assert set(CATEGORY_KEYS) == majors


# ── live parts ─────────────────────────────────────────────────────────
def case_frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """Open cases as KpiReader.open_cases() returns them."""
    defaults: dict[str, Any] = {
        "status": "dispatched", "kind": "event", "category": "0503", "category_name": "乱挂乱晒",
        "major_name": "街面秩序", "source": "patrol", "priority": "normal",
        "grid": "430624-0101", "lat": 28.69, "lon": 112.89, "dept": None,
        "deadline": NOW + timedelta(hours=1), "reported_at": NOW - timedelta(hours=1),
    }  # fmt: skip
    frame = pd.DataFrame([{**defaults, **row} for row in rows]).set_index("case_id")
    for column in ("deadline", "reported_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


NAMES_ZH = {key: wall_translator("zh-CN")(f"category.{key}") for key in CATEGORY_KEYS}
NAMES_EN = {key: wall_translator("en")(f"category.{key}") for key in CATEGORY_KEYS}


def test_a_case_becomes_its_marker() -> None:
    cases = case_frame({"case_id": "C1", "priority": "urgent", "source": "video"})
    assert case_points(cases, NOW, NAMES_ZH) == {
        "C1": {
            "lat": 28.69, "lon": 112.89, "status": "dispatched", "kind": "event",
            "cat": "event-05", "name": "街面秩序", "priority": "urgent", "overdue": False,
            "grid": "430624-0101", "source": "video", "category": "街面秩序",
            "address": "", "description": "", "channel": "", "photos_before": [],
            "photos_after": [],
        }
    }  # fmt: skip


PHOTO = "https://szcg.example.gov.cn/p/C1-1.jpg"


def test_a_cases_details_go_to_its_popup() -> None:
    """Schema v2 details as KpiReader reads them (photo lists as JSON arrays); a v1
    case has none (None, or NaN once pandas has seen a column of them)."""
    cases = case_frame(
        {"case_id": "C1", "address": "长安路12号", "description": "井盖缺失 <b>危险</b>",
         "channel": "wechat", "photos_before": f'["{PHOTO}"]', "photos_after": "not json"},
        {"case_id": "OLD", "address": float("nan"), "photos_before": None},
    )  # fmt: skip
    points = case_points(cases, NOW, NAMES_ZH, minor_names=True)
    c1 = points["C1"]
    assert (c1["address"], c1["description"], c1["channel"]) == (
        "长安路12号", "井盖缺失 <b>危险</b>", "wechat",
    )  # fmt: skip
    assert (c1["photos_before"], c1["photos_after"]) == ([PHOTO], [])
    assert c1["category"] == "乱挂乱晒"  # the 小类 on a zh-CN wall
    old = points["OLD"]
    assert (old["address"], old["description"], old["photos_before"]) == ("", "", [])
    english = case_points(cases, NOW, NAMES_EN)["C1"]
    assert (english["category"], english["name"]) == ("Street order", "Street order")


def test_category_names_follow_the_walls_language() -> None:
    cases = case_frame(
        {"case_id": "C1"}, {"case_id": "C2", "kind": "component", "category": "0402"}
    )
    assert {k: v["name"] for k, v in case_points(cases, NOW, NAMES_EN).items()} == {
        "C1": "Street order",
        "C2": "Greenery",
    }
    assert case_points(cases, NOW, NAMES_ZH)["C2"]["name"] == "园林绿化"


def test_overdue_means_the_deadline_is_before_the_data_clock() -> None:
    cases = case_frame(
        {"case_id": "late", "deadline": NOW - timedelta(seconds=1)},
        {"case_id": "due-now", "deadline": NOW},
        {"case_id": "early", "deadline": NOW + timedelta(minutes=1)},
        {"case_id": "no-deadline", "status": "reported", "deadline": None},
    )
    overdue = {key: value["overdue"] for key, value in case_points(cases, NOW, NAMES_ZH).items()}
    assert overdue == {"late": True, "due-now": False, "early": False, "no-deadline": False}


def test_filters_keep_only_the_cases_asked_for() -> None:
    cases = case_frame(
        {"case_id": "a"},
        {"case_id": "b", "grid": "430624-0202"},
        {"case_id": "c", "kind": "component", "category": "0101"},
        {"case_id": "d", "source": "hotline"},
        {"case_id": "e", "category": "0101", "source": "video", "grid": "430624-0202"},
    )
    assert set(case_points(cases, NOW, NAMES_ZH, grids=["430624-0202"])) == {"b", "e"}
    assert set(case_points(cases, NOW, NAMES_ZH, categories=["component-01"])) == {"c"}
    assert set(case_points(cases, NOW, NAMES_ZH, categories=["event-01"])) == {"e"}
    assert set(case_points(cases, NOW, NAMES_ZH, sources=["hotline", "video"])) == {"d", "e"}
    both = case_points(cases, NOW, NAMES_ZH, grids=["430624-0202"], sources=["patrol"])
    assert set(both) == {"b"}
    assert set(case_points(cases, NOW, NAMES_ZH)) == {"a", "b", "c", "d", "e"}


def test_cases_without_a_place_are_left_off_and_an_empty_frame_gives_nothing() -> None:
    cases = case_frame({"case_id": "here"}, {"case_id": "nowhere", "lat": None, "lon": None})
    assert set(case_points(cases, NOW, NAMES_ZH)) == {"here"}
    assert case_points(cases.iloc[0:0], NOW, NAMES_ZH) == {}


def officer_frame() -> pd.DataFrame:
    """Officers as KpiReader.officers() returns them."""
    rows = {
        "ZF-001": {"name": "李明", "grid": "430624-0101", "status": "patrolling",
                   "lat": 28.69, "lon": 112.89, "seen": 1},
        "ZF-002": {"name": None, "grid": "430624-0202", "status": "handling",
                   "lat": 28.70, "lon": 112.90, "seen": 2},
        "ZF-003": {"name": "王芳", "grid": "430624-0101", "status": "idle",
                   "lat": None, "lon": None, "seen": None},
    }  # fmt: skip
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "officer_id"
    return frame


def test_officers_with_a_place_get_their_trail_oldest_first() -> None:
    placed = placed_officers(officer_frame())
    assert list(placed.index) == ["ZF-001", "ZF-002"]  # ZF-003 has no position yet
    trails = {"ZF-001": [[28.68, 112.88], [28.685, 112.885], [28.69, 112.89]]}
    points = officer_points(placed, trails)
    assert points["ZF-001"] == {
        "lat": 28.69, "lon": 112.89, "status": "patrolling", "name": "李明",
        "trail": [[28.68, 112.88], [28.685, 112.885], [28.69, 112.89]],
    }  # fmt: skip
    # No trail read yet: a trail of one point, where the officer is; no name: "".
    assert points["ZF-002"]["trail"] == [[28.70, 112.90]]
    assert points["ZF-002"]["name"] == ""


def test_officers_are_filtered_by_grid() -> None:
    assert list(placed_officers(officer_frame(), ["430624-0202"]).index) == ["ZF-002"]
    assert list(placed_officers(officer_frame(), ["430624-0909"]).index) == []


def test_cameras_the_relay_never_reported_are_unknown() -> None:
    reported = pd.DataFrame(
        [{"camera_id": "XY-001", "status": "online", "reason": None, "t": 1},
         {"camera_id": "XY-002", "status": "offline", "reason": "power", "t": 2},
         {"camera_id": "XY-999", "status": "online", "reason": None, "t": 3}]
    ).set_index("camera_id")  # fmt: skip
    statuses = camera_statuses(["XY-001", "XY-002", "XY-003"], reported)
    assert statuses == {"XY-001": "online", "XY-002": "offline", "XY-003": "unknown"}
    empty = pd.DataFrame(columns=["camera_id", "status", "reason", "t"]).set_index("camera_id")
    assert camera_statuses(["XY-001"], empty) == {"XY-001": "unknown"}


def test_live_parts_follow_the_layers() -> None:
    parts = {part.name: part for part in live(the_map(config()))}
    assert set(parts) == {"cases", "officers", "cameras", "focus"}
    assert parts["focus"].topics == {"wall"}
    assert parts["cases"].topics == {"cases"}
    assert parts["officers"].topics == {"officers"}
    assert parts["officers"].every_s == 1.0
    assert parts["cameras"].topics == {"cameras"}
    only = live(the_map(config("    layers: [officers, roads]\n")))
    assert [part.name for part in only] == ["officers", "focus"]
    # Every map centres on the alarm pop-up's case, whatever it draws.
    assert [part.name for part in live(the_map(config("    layers: [grids, roads]\n")))] == [
        "focus"
    ]


def test_the_focus_part_is_the_alarm_case_while_there_is_one() -> None:
    assert alarm_focus(None) == {}
    alarm = Alarm(case_id="C-1", reason="video", tile_id="alarm", lat=28.69, lon=112.89,
                  started_ms=1_000, until_ms=61_000, camera_id="XY-001", distance_m=12.5,
                  category="违章停车", grid="430624-0101")  # fmt: skip
    assert alarm_focus(alarm) == {"alarm": alarm.as_json()}
    focus = alarm_focus(alarm)["alarm"]
    assert (focus["case_id"], focus["lat"], focus["lon"], focus["until_ms"]) == (
        "C-1", 28.69, 112.89, 61_000,
    )  # fmt: skip
    assert (focus["reason"], focus["camera_id"]) == ("video", "XY-001")
    none_near = Alarm("C-2", "urgent", "alarm", 28.7, 112.9, 1_000, 61_000)
    assert alarm_focus(none_near)["alarm"]["camera_id"] is None


# ── layout ─────────────────────────────────────────────────────────────
def components(root: Component) -> list[Component]:
    found = [root]
    children = getattr(root, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if isinstance(child, Component):
            found += components(child)
    return found


def rendered(wall: WallConfig) -> tuple[list[Component], dict[str, Component]]:
    ctx = TileContext(config=wall, translate=wall_translator(wall.wall.locale))
    every = components(layout(the_map(wall), ctx))
    layers = {c.id["layer"]: c for c in every if isinstance(getattr(c, "id", None), dict)}
    return every, layers


BASEMAP_LINE = "  basemap: basemap.geojson\n"


def test_offline_layout_draws_the_basemap_and_no_tile_layer() -> None:
    every, layers = rendered(config(map_lines=BASEMAP_LINE))
    assert set(layers) == {
        "view",
        "water",
        "roads",
        "grids",
        "trails",
        "officers",
        "cameras",
        "cases",
        "focus",
    }
    assert layers["view"].id == {"tile": "map", "id": "emap", "layer": "view"}
    assert not [c for c in every if type(c).__name__ == "TileLayer"]
    grids = layers["grids"].data["features"]
    assert len(grids) == 30
    assert {f["properties"]["layer"] for f in grids} == {"grid"}
    assert {f["properties"]["name"] for f in layers["roads"].data["features"]} >= {
        "湘阴大道",
        "左公路",
    }
    assert layers["cases"].cluster is True
    assert layers["cases"].pointToLayer == {"variable": "citywallMap.casePoint"}
    assert layers["cases"].hideout["glyphs"]["event-05"] == "街"
    # What a case's popup says around the case's own text (map.js reads data-popup).
    popup = json.loads(every[0].to_plotly_json()["props"]["data-popup"])
    assert (
        popup["statuses"]["dispatched"] == "派遣" and popup["channels"]["12319"] == "12319热线电话"
    )
    assert (popup["address"], popup["description"], popup["before"], popup["after"]) == (
        "地址", "问题描述", "处置前", "处置后",
    )  # fmt: skip
    cameras = layers["cameras"].data["features"]
    assert [f["properties"]["id"] for f in cameras] == ["XY-001"]
    assert cameras[0]["geometry"]["coordinates"] == [112.89, 28.69]
    assert layers["view"].attributionControl is False
    assert not [c for c in every if type(c).__name__ == "AttributionControl"]


def test_the_map_fits_its_cameras_and_grids_to_the_tile_centred() -> None:
    """The shipped county seat on the shipped 2×2 e-map: every camera and grid corner
    is inside the map's native box, the data spans its height (the binding side: the
    data is squarer than the tile) and sits in the middle, not to one side."""
    from wall.config import load_config
    from wall.geo_fit import project, world_px
    from wall.tiles._map_layout import data_points, initial_view
    from wall.ui.native import native_size

    wall = load_config(ROOT / "wall_config.yaml")
    tile = the_map_of(wall)
    ctx = TileContext(config=wall, translate=wall_translator("zh-CN"))
    (lat, lon), zoom = initial_view(tile, ctx)
    width, height = native_size(tile, wall.wall)
    scale = world_px(zoom)
    cx, cy = project(lat, lon)
    xs, ys = zip(*[project(*p) for p in data_points(tile, ctx)], strict=True)
    left, right = (min(xs) - cx) * scale + width / 2, (max(xs) - cx) * scale + width / 2
    top, bottom = (min(ys) - cy) * scale + height / 2, (max(ys) - cy) * scale + height / 2
    assert 0 < left < right < width and 0 < top < bottom < height
    assert abs(left - (width - right)) < 1  # centred
    assert abs(top - 32) < 1 and abs(height - bottom - 32) < 1  # touches, less the padding
    assert len(data_points(tile, ctx)) > 347  # cameras and grid corners


def the_map_of(wall: WallConfig) -> MapTile:
    return next(tile for tile in wall.tiles if isinstance(tile, MapTile))


def test_a_tile_server_replaces_the_roads_and_the_tile_picks_its_view() -> None:
    tiles = "  tiles: http://gis.hall.local/{z}/{x}/{y}.png\n  attribution: 县自然资源局\n"
    wall = config(
        "    center: [28.7, 112.9]\n    zoom: 16\n    grids: [430624-0101]\n    cluster: false\n",
        BASEMAP_LINE + tiles,
    )
    every, layers = rendered(wall)
    (tile_layer,) = [c for c in every if type(c).__name__ == "TileLayer"]
    assert tile_layer.url == "http://gis.hall.local/{z}/{x}/{y}.png"
    assert tile_layer.attribution == "县自然资源局"
    (attribution,) = [c for c in every if type(c).__name__ == "AttributionControl"]
    assert attribution.prefix == "Leaflet"  # plain text: no link, no flag
    assert "roads" not in layers and "water" not in layers
    assert layers["grids"].hideout == {"selected": ["430624-0101"]}
    assert (layers["view"].center, layers["view"].zoom) == ([28.7, 112.9], 16)
    assert layers["cases"].cluster is False
    # Where map.js flies back to once the alarm's case is gone; the ring's layer.
    root = every[0]
    assert (root.__dict__["data-center"], root.__dict__["data-zoom"]) == ("28.7,112.9", "16")
    assert layers["focus"].pointToLayer == {"variable": "citywallMap.focusPoint"}


def test_without_basemap_or_tiles_the_area_served_is_outlined() -> None:
    every, layers = rendered(config("    layers: [cases, grids, roads]\n"))
    assert set(layers) == {"view", "cases", "focus"}
    (outline,) = [c for c in every if type(c).__name__ == "Rectangle"]
    assert outline.bounds == [[28.64, 112.83], [28.74, 112.95]]


def test_the_legend_names_each_status_in_the_walls_language() -> None:
    every, _ = rendered(config("    layers: [cases, cameras]\n"))
    words = [c.children[1] for c in every if getattr(c, "className", "") == "cw-map-legend__item"]
    assert words == ["受理", "立案", "派遣", "处置", "核查", "返工", "超期", "在线", "离线", "未知"]


# ── the offline basemap ────────────────────────────────────────────────
def test_the_basemap_path_is_resolved_against_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "town.geojson").write_text(
        (ROOT / "basemap.geojson").read_text("utf-8"), encoding="utf-8"
    )
    wall = config(map_lines="  basemap: maps/town.geojson\n", directory=tmp_path)
    assert wall.map.basemap == str((tmp_path / "maps" / "town.geojson").resolve())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read basemap 'town.geojson': No such file or directory"),
        ("{not json", "basemap 'town.geojson': not JSON: Expecting property name"),
        ('{"type": "Feature"}', "basemap 'town.geojson': not a GeoJSON FeatureCollection"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
            '{"layer": "rail"}, "geometry": {"type": "LineString", "coordinates": [[1, 2]]}}]}',
            "basemap 'town.geojson': feature 0: property layer is 'rail' "
            "(valid: grid, road, water)",
        ),
    ],
)
def test_a_bad_basemap_is_a_config_error_at_its_key(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    if content is not None:
        (tmp_path / "town.geojson").write_text(content, encoding="utf-8")
    message = config_error(map_lines="  basemap: town.geojson\n", directory=tmp_path)
    line = BASE.count("\n") + MAP_TILE.count("\n") + 1  # the basemap line, appended last
    assert message.startswith(f"wall_config.yaml:{line}: map -> basemap: {expected}")


def test_the_basemap_is_what_the_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_basemap.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout == (ROOT / "basemap.geojson").read_text(encoding="utf-8")
    features = json.loads(result.stdout)["features"]
    layers = [f["properties"]["layer"] for f in features]
    assert layers.count("water") == 1
    assert layers.count("grid") == 30  # the simulator's 5 × 6 grids
    assert layers.count("road") == 20  # ten east-west and ten north-south roads
    codes = sorted(f["properties"]["code"] for f in features if f["properties"]["layer"] == "grid")
    assert codes[0] == "430624-0101" and codes[-1] == "430624-0506"


def test_a_map_of_grids_and_roads_has_no_legend_and_only_the_alarm_focus() -> None:
    wall = config("    layers: [grids, roads]\n", BASEMAP_LINE)
    every, layers = rendered(wall)
    assert set(layers) == {"view", "water", "roads", "grids", "focus"}
    assert not [c for c in every if getattr(c, "className", "") == "cw-map-legend"]
