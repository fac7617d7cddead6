"""The ``chart`` tile's view: one KPI as a plotly chart: today by hour against
yesterday, by 大类, by source, the top grids, or a rate's gauge against its target.

The figure is built here, once per update, by the live hub (part ``figure``) and laid
out for the tile's *native* size (its screens' pixels): fonts of 26–32 px read from
5 m. assets/tiles/chart.js hands it to the ``dcc.Graph`` and scales the graph's box,
which is sized in native pixels, by ``citywallLive.scale()``: the /wall overview
shows exactly what the hall's screens show, smaller. Colours are Okabe–Ito.
"""

from __future__ import annotations

import json
from typing import Any

from dash import dcc, html
from typing_extensions import TypedDict

from core.topics import CASES, KPI
from data_feeds.periods import current_window, previous_window
from wall.config.tiles.chart import ChartTile
from wall.html_attrs import attrs
from wall.live.data import LiveData
from wall.tile_view import Strings, TileContext, TileView, record_part
from wall.tiles._chart_figures import (
    base_layout,
    category_figure,
    gauge_figure,
    grid_figure,
    hourly_figure,
    source_figure,
)
from wall.ui.native import native_size

# Its labels (wall/locales/*.json holds the ones several views share).
STRINGS: Strings = {
    "zh-CN": {
        "chart.today": "今日",
        "chart.yesterday": "昨日",
        "chart.target": "目标",
        "chart.hour": "时",
        "chart.no_data": "暂无数据",
    },
    "en": {
        "chart.today": "Today",
        "chart.yesterday": "Yesterday",
        "chart.target": "Target",
        "chart.hour": "h",
        "chart.no_data": "No data yet",
    },
}


class FigureJson(TypedDict):
    """The part ``figure``: the plotly figure as plain JSON, for the tile's native size.
    Its inside is plotly's format (data, layout), read by plotly, not by us."""

    figure: dict[str, object]


def figure(tile: ChartTile, data: LiveData) -> FigureJson:
    """Live part ``figure``: the plotly figure as plain JSON."""
    return {"figure": _figure(tile, data)}


def _figure(tile: ChartTile, data: LiveData) -> dict[str, Any]:
    size = native_size(tile, data.config.wall)
    translate = data.translate
    if tile.chart == "hourly":
        today = current_window("today", data.now)
        yesterday = previous_window("today", data.now, "full")
        assert yesterday is not None  # "full" always has a period before
        keys = [tile.kpi_key]
        return hourly_figure(
            tile, data.hourly(*today, keys), data.hourly(*yesterday, keys), translate, size
        )
    window = current_window(tile.period, data.now)
    if tile.chart == "gauge":
        return gauge_figure(tile, data.summary(*window), translate, size)
    if tile.chart == "category":
        return category_figure(tile, data.by("category", *window), translate, size)
    if tile.chart == "source":
        return source_figure(tile, data.by("source", *window), translate)
    return grid_figure(tile, data.by("grid", *window), translate, size)


def graph_id(tile: ChartTile) -> dict[str, str]:
    return {"tile": "chart", "id": tile.id}


def layout(tile: ChartTile, ctx: TileContext) -> html.Div:
    width, height = native_size(tile, ctx.config.wall)
    blank = base_layout("")
    blank["xaxis"]["visible"] = blank["yaxis"]["visible"] = False
    return html.Div(
        className="cw-chart",
        # chart.js sends the figure to the graph by this id: spelled here only.
        **attrs(
            data_chart=tile.chart, data_kpi=tile.kpi_key, data_graph_id=json.dumps(graph_id(tile))
        ),
        children=html.Div(
            className="cw-chart__canvas",
            # Native pixels; chart.js fits it to the tile body and scales it.
            style={"width": f"{width}px", "height": f"{height}px"},
            children=dcc.Graph(
                id=graph_id(tile),
                className="cw-chart__graph",
                figure={"data": [], "layout": blank},
                config={"staticPlot": True, "displayModeBar": False},
                responsive=True,
                style={"width": "100%", "height": "100%"},
            ),
        ),
    )


VIEW = TileView(
    schema=ChartTile,
    layout=layout,
    live=lambda tile: (record_part("figure", frozenset({KPI, CASES}), figure, FigureJson),),
    renderer="tiles/chart.js",
    strings=STRINGS,
)
