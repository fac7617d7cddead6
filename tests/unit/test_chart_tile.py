"""The chart tile: its options are checked where they are written, and each figure
shows the right bars, values and labels for frames shaped like KpiReader's."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from dash import dcc

from data_feeds.kpi_catalog import KPIS
from tests.unit.config_cases import BASE
from wall.config import ConfigError, WallConfig, parse_config
from wall.config.tile_registry import schemas_in
from wall.config.tiles import chart, clock, text
from wall.config.tiles.chart import ChartTile
from wall.live.values import dumps, plain
from wall.tile_view import TileContext
from wall.tile_views import wall_translator
from wall.tiles._chart_figures import (
    MET_COLOUR,
    MIN_FONT,
    MISSED_COLOUR,
    TARGET_COLOUR,
    category_figure,
    gauge_figure,
    grid_figure,
    hourly_figure,
    source_figure,
)
from wall.tiles.chart import layout
from wall.ui.native import native_size

ZONE = ZoneInfo("Asia/Shanghai")
MIDNIGHT = datetime(2026, 3, 2, tzinfo=ZONE)
SIZE = (1868, 940)
ZH, EN = wall_translator("zh-CN"), wall_translator("en")
# BASE's tile types and this one: these tests do not depend on the other tile modules.
TYPES = schemas_in([clock, text, chart])


def config_with(tile_yaml: str, tmp_path: Path) -> WallConfig:
    """BASE (tests/unit/config_cases.py) with one more tile at x 3, y 0; its first line is 17."""
    text = BASE.replace("cameras:\n", tile_yaml + "cameras:\n", 1)
    return parse_config(text, "wall_config.yaml", tmp_path, environ={}, schemas=TYPES)


def chart_problems(options: str, tmp_path: Path) -> list[str]:
    tile = f"  - id: trend\n    type: chart\n    x: 3\n    y: 0\n{options}"
    with pytest.raises(ConfigError) as raised:
        config_with(tile, tmp_path)
    return [str(issue) for issue in raised.value.issues]


def tile(**options: Any) -> ChartTile:
    return ChartTile.model_validate({"type": "chart", "id": "c", "x": 0, "y": 0, **options})


# ── options ──────────────────────────────────────────────────────────────


def test_an_unknown_chart_lists_the_valid_ones(tmp_path: Path) -> None:
    assert chart_problems("    chart: pie\n", tmp_path) == [
        "wall_config.yaml:21: tiles -> 2 -> chart: input should be 'hourly', 'category', "
        "'source', 'grid' or 'gauge' (got 'pie')"
    ]


def test_a_gauge_of_a_count_is_refused_at_its_kpi_line(tmp_path: Path) -> None:
    problems = chart_problems("    chart: gauge\n    kpi: dispatched\n", tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(
        "wall_config.yaml:22: tiles -> 2 -> kpi: a gauge shows a rate, not "
        "'dispatched' (rates: closure_rate, ontime_closure_rate, two_hour_rate,"
    )


@pytest.mark.parametrize("kpi", ["closure_rate", "ontime_closure_rate", "due"])
def test_hourly_refuses_the_kpis_that_need_cases_due(kpi: str, tmp_path: Path) -> None:
    problems = chart_problems(f"    chart: hourly\n    kpi: {kpi}\n", tmp_path)
    assert problems == [
        f"wall_config.yaml:22: tiles -> 2 -> kpi: '{kpi}' has no hourly values: it "
        "needs 应结案数 (cases due), which is a state of the present; chart it by category, "
        "source or grid, or as a gauge"
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("    chart: hourly\n    period: month\n", "period: an hourly chart shows today"),
        ("    chart: source\n    target: 0.9\n", "target: target applies to gauge charts"),
        ("    chart: category\n    top: 5\n", "top: top applies to grid charts only"),
        ("    chart: gauge\n    target: 90\n", "target: input should be less than or equal to 1"),
        ("    chart: grid\n    top: 0\n", "top: input should be greater than or equal to 1"),
    ],
)
def test_options_that_would_do_nothing_or_wrong_are_refused(
    options: str, expected: str, tmp_path: Path
) -> None:
    (problem,) = chart_problems(options, tmp_path)
    assert problem.startswith(f"wall_config.yaml:22: tiles -> 2 -> {expected}")


def test_every_chart_parses_with_its_defaults(tmp_path: Path) -> None:
    tiles = "".join(
        f"  - {{id: c-{chart}, type: chart, chart: {chart}, x: {3 + i % 3}, y: {1 + i // 3}}}\n"
        for i, chart in enumerate(["hourly", "category", "source", "grid", "gauge"])
    )
    config = config_with(tiles, tmp_path)
    charts = {t.id: t for t in config.tiles if isinstance(t, ChartTile)}
    assert [charts[f"c-{c}"].kpi_key for c in ("hourly", "category", "gauge")] == [
        "dispatched",
        "dispatched",
        "two_hour_rate",
    ]
    assert charts["c-grid"].top == 10
    assert {t.period for t in charts.values()} == {"today"}


def test_the_tile_lists_every_kpi_the_kpi_tile_knows() -> None:
    schema = ChartTile.model_json_schema()["properties"]["kpi"]["anyOf"][0]
    assert schema["enum"] == [kpi.key for kpi in KPIS]


# ── figures ──────────────────────────────────────────────────────────────


def hourly_frame(day: datetime, values: dict[str, list[float]]) -> pd.DataFrame:
    """Like KpiReader.hourly: a row per local hour from ``day``'s midnight."""
    hours = len(next(iter(values.values())))
    index = pd.DatetimeIndex([day + timedelta(hours=h) for h in range(hours)], name="hour")
    return pd.DataFrame(values, index=index)


def by_frame(dimension: str, rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Like KpiReader.by: one row per value of the dimension, a name, one column per KPI."""
    frame = pd.DataFrame(rows).T.sort_index()
    frame.index.name = dimension
    frame.insert(0, "name", [f"name of {code}" for code in frame.index])
    return frame


def summary_frame(values: dict[str, float]) -> pd.DataFrame:
    """Like KpiReader.summary: one row per KPI, with its value."""
    rows = [(k.key, k.zh, k.en, values.get(k.key, 0.0)) for k in KPIS]
    return pd.DataFrame(rows, columns=["kpi", "zh", "en", "value"]).set_index("kpi")


def fonts(node: Any) -> Iterator[float]:
    """Every font size in a figure."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("font", "tickfont", "textfont") and "size" in value:
                yield value["size"]
            yield from fonts(value)
    elif isinstance(node, list):
        for item in node:
            yield from fonts(item)


def as_sent(figure: dict[str, Any]) -> dict[str, Any]:
    """What the hub sends: plain JSON, NaN as null."""
    loaded: dict[str, Any] = json.loads(dumps(plain(figure)))
    return loaded


def test_hourly_bars_today_by_hour_and_yesterday_as_a_line() -> None:
    today = hourly_frame(MIDNIGHT, {"dispatched": [3, 0, 5, 7]})  # now is 03:xx
    yesterday = hourly_frame(MIDNIGHT - timedelta(days=1), {"dispatched": list(range(24))})
    figure = as_sent(hourly_figure(tile(chart="hourly"), today, yesterday, ZH, SIZE))
    bars, line = figure["data"]
    assert (bars["type"], bars["name"]) == ("bar", "今日")
    assert bars["x"] == [0, 1, 2, 3]  # the hours to come have no bar yet
    assert bars["y"] == [3, 0, 5, 7]
    assert (line["type"], line["name"], line["x"]) == ("scatter", "昨日", list(range(24)))
    assert line["y"] == list(range(24))
    assert figure["layout"]["xaxis"]["range"] == [-0.5, 23.5]
    assert figure["layout"]["xaxis"]["ticksuffix"] == "时"
    assert figure["layout"]["title"]["text"] == "派遣案件数 · 今日"
    assert min(fonts(figure)) >= MIN_FONT


def test_hourly_rates_are_in_percent_and_an_hour_without_cases_has_no_value() -> None:
    today = hourly_frame(MIDNIGHT, {"two_hour_rate": [0.5, math.nan, 1.0]})
    yesterday = hourly_frame(MIDNIGHT - timedelta(days=1), {"two_hour_rate": [0.25] * 24})
    figure = as_sent(hourly_figure(tile(chart="hourly", kpi="two_hour_rate"), today, yesterday,
                                   EN, SIZE))  # fmt: skip
    bars, line = figure["data"]
    assert bars["y"] == [50, None, 100]
    assert line["y"] == [25] * 24
    assert [bars["name"], line["name"]] == ["Today", "Yesterday"]
    assert figure["layout"]["yaxis"]["ticksuffix"] == "%"
    assert figure["layout"]["title"]["text"] == "Solved within 2 h · Today"


def test_category_bars_by_major_category_largest_on_top() -> None:
    by_category = by_frame(
        "category",
        {
            "event-05": {"dispatched": 7, "closure_rate": 0.5},
            "event-01": {"dispatched": 2, "closure_rate": math.nan},
            "event-03": {"dispatched": 0, "closure_rate": 1.0},
            "component-01": {"dispatched": 4, "closure_rate": 0.0},
        },
    )
    figure = as_sent(category_figure(tile(chart="category"), by_category, ZH, SIZE))
    (bars,) = figure["data"]
    assert bars["orientation"] == "h"
    assert bars["y"] == ["街面秩序", "公用设施", "市容环境(事件)"]  # 施工管理 had none
    assert bars["x"] == [7, 4, 2]
    assert figure["layout"]["yaxis"]["range"] == [5.5, -0.5]  # room for 6 bars, from the top

    en = as_sent(category_figure(tile(chart="category", kpi="closure_rate"), by_category, EN, SIZE))
    (bars,) = en["data"]
    assert bars["y"] == ["Construction", "Street order", "Utilities"]  # no rate without cases due
    assert bars["x"] == [100, 50, 0]
    assert en["layout"]["title"]["text"] == "Closure rate · Today"


def test_a_category_name_both_kinds_use_always_says_its_kind() -> None:
    by_category = by_frame(
        "category", {"event-01": {"reported": 3}, "component-03": {"reported": 1}}
    )
    chart = tile(chart="category", kpi="reported")
    (bars,) = category_figure(chart, by_category, ZH, SIZE)["data"]
    assert list(bars["y"]) == ["市容环境(事件)", "市容环境(部件)"]
    (alone,) = category_figure(chart, by_category.loc[["component-03"]], ZH, SIZE)["data"]
    assert list(alone["y"]) == ["市容环境(部件)"]
    (en,) = category_figure(chart, by_category, EN, SIZE)["data"]
    assert list(en["y"]) == ["Appearance", "Appearance facilities"]  # distinct in English


def test_source_bars_keep_every_source_in_place() -> None:
    by_source = by_frame("source", {"video": {"dispatched": 4}, "hotline": {"dispatched": 9}})
    figure = as_sent(source_figure(tile(chart="source", period="month"), by_source, ZH))
    (bars,) = figure["data"]
    assert bars["x"] == ["12319热线", "巡查上报", "视频抓拍", "微信", "上级交办"]
    assert bars["y"] == [9, 0, 4, 0, 0]
    assert figure["layout"]["title"]["text"] == "派遣案件数 · 本月"
    (en_bars,) = source_figure(tile(chart="source"), by_source, EN)["data"]
    assert list(en_bars["x"]) == ["12319 hotline", "Patrol", "Video capture", "WeChat",
                                  "Referral"]  # fmt: skip


def test_grid_shows_the_top_grids() -> None:
    rows = {f"430624-01{n:02d}": {"closed": float(n)} for n in range(1, 16)}
    figure = as_sent(grid_figure(tile(chart="grid", kpi="closed", top=3), by_frame("grid", rows),
                                 ZH, SIZE))  # fmt: skip
    (bars,) = figure["data"]
    assert bars["y"] == ["430624-0115", "430624-0114", "430624-0113"]
    assert bars["x"] == [15, 14, 13]


def test_grid_shows_no_more_bars_than_their_labels_fit() -> None:
    rows = {f"430624-{n:04d}": {"reported": float(n)} for n in range(1, 41)}
    chart = tile(chart="grid", kpi="reported", top=30)
    (one_screen,) = grid_figure(chart, by_frame("grid", rows), ZH, SIZE)["data"]
    (two_screens,) = grid_figure(chart, by_frame("grid", rows), ZH, (1868, 2020))["data"]
    assert len(one_screen["y"]) == (940 - 100) // 48 == 17  # 48 px a row: 30 px labels apart
    assert len(two_screens["y"]) == 30


def test_no_data_says_so() -> None:
    figure = as_sent(grid_figure(tile(chart="grid"), by_frame("grid", {}), EN, SIZE))
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == EN("chart.no_data")


@pytest.mark.parametrize(("rate", "colour"), [(0.93, MET_COLOUR), (0.85, MISSED_COLOUR)])
def test_gauge_shows_the_rate_in_percent_against_its_target(rate: float, colour: str) -> None:
    summary = summary_frame({"closure_rate": rate})
    chart = tile(chart="gauge", kpi="closure_rate", target=0.9)
    figure = as_sent(gauge_figure(chart, summary, ZH, SIZE))
    (gauge,) = figure["data"]
    assert gauge["type"] == "indicator"
    assert gauge["value"] == pytest.approx(rate * 100)
    assert gauge["number"]["suffix"] == "%"
    assert gauge["gauge"]["threshold"]["value"] == pytest.approx(90)
    assert gauge["gauge"]["threshold"]["line"]["color"] == TARGET_COLOUR
    assert gauge["gauge"]["bar"]["color"] == colour
    assert figure["layout"]["annotations"][0]["text"] == "目标 90%"
    assert figure["layout"]["title"]["text"] == "结案率 · 今日"
    assert min(fonts(figure)) >= MIN_FONT


def test_a_gauge_without_a_denominator_shows_a_dash_not_zero() -> None:
    figure = as_sent(gauge_figure(tile(chart="gauge"), summary_frame({"two_hour_rate": math.nan}),
                                  EN, SIZE))  # fmt: skip
    (gauge,) = figure["data"]
    assert "value" not in gauge or gauge["value"] is None
    assert gauge["mode"] == "gauge"
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["—"]


# ── layout ───────────────────────────────────────────────────────────────


def test_native_size_is_the_tiles_screens_less_frame_and_title(tmp_path: Path) -> None:
    config = config_with("", tmp_path)
    assert native_size(tile(chart="gauge", w=2, h=1), config.wall) == (2 * 1920 - 52, 1080 - 40)
    titled = native_size(tile(chart="gauge", title="结案率"), config.wall)
    assert titled[0] == 1920 - 52
    assert 800 < titled[1] < 1080 - 40 - 52  # the title bar is at least its 52 px type


def test_layout_holds_a_static_graph_with_a_pattern_matching_id(tmp_path: Path) -> None:
    config = config_with("", tmp_path)
    div = layout(tile(chart="hourly", w=2), TileContext(config=config, translate=ZH))
    canvas = div.children
    graph = canvas.children
    assert isinstance(graph, dcc.Graph)
    props: Any = graph  # dash components' props are attributes its stubs do not declare
    assert props.id == {"tile": "chart", "id": "c"}
    assert props.config == {"staticPlot": True, "displayModeBar": False}
    assert props.responsive is True
    assert canvas.style == {"width": f"{2 * 1920 - 52}px", "height": f"{1080 - 40}px"}
