"""``chart``: one KPI as a plotly chart: today by hour against yesterday, by 大类, by
source, the top grids, or a rate's gauge against its target.

The figure is built here, once per update, by the live hub (part ``figure``) and laid
out for the tile's *native* size (its screens' pixels): fonts of 26–32 px read from
5 m. assets/tiles/chart.js hands it to the ``dcc.Graph`` and scales the graph's box,
which is sized in native pixels, by ``citywallLive.scale()``: the /wall overview
shows exactly what the hall's screens show, smaller. Colours are Okabe–Ito.
"""

from __future__ import annotations

from typing import Any, Literal

from dash import dcc, html
from pydantic import Field, ValidationInfo, field_validator

from data_feeds.kpis import KPIS
from wall.html_attrs import attrs
from wall.live.data import LiveData
from wall.live.periods import Period, current_window, previous_window
from wall.tiles._chart_figures import (
    DUE_BASED,
    MET_COLOUR,
    MIN_FONT,
    MISSED_COLOUR,
    RATES,
    TARGET_COLOUR,
    base_layout,
    category_figure,
    gauge_figure,
    grid_figure,
    hourly_figure,
    native_size,
    source_figure,
)
from wall.tiles.base import LivePart, TileConfig, TileContext, TileType
from wall.tiles.kpi import KPI_TOPICS, KpiKey

__all__ = [
    "MET_COLOUR", "MIN_FONT", "MISSED_COLOUR", "TARGET_COLOUR", "ChartTile", "category_figure",
    "gauge_figure", "grid_figure", "hourly_figure", "layout", "native_size", "source_figure",
]  # fmt: skip

ChartKind = Literal["hourly", "category", "source", "grid", "gauge"]
CHART_KINDS: tuple[ChartKind, ...] = ("hourly", "category", "source", "grid", "gauge")


# KPIs that need 应结案数 (open past deadline: a state of the present, not of an hour).
class ChartTile(TileConfig):
    """A plotly chart of one KPI: by hour, by 大类, by source, top grids, or a gauge."""

    type: Literal["chart"] = Field(description="Tile type.")
    chart: ChartKind = Field(
        description="hourly: today's bars by hour with yesterday's line; category: bars by "
        "大类; source: bars by source; grid: the top grids; gauge: a rate against its target."
    )
    kpi: KpiKey | None = Field(
        default=None,
        description="The KPI shown (see docs/kpis.md); default dispatched, for a gauge "
        "two_hour_rate. A gauge needs a rate; hourly refuses due, closure_rate and "
        "ontime_closure_rate (they need 应结案数, which has no hours).",
    )
    period: Period = Field(
        default="today",
        description="Counted over: today, last_24h, month or half_year. hourly always shows "
        "today against yesterday.",
    )
    top: int = Field(
        default=10, ge=1, le=30, description="grid only: how many grids, largest first."
    )
    target: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="gauge only: the target as a fraction (0.9 = 90 %), drawn as a line.",
    )

    @field_validator("kpi")
    @classmethod
    def _kpi_fits_chart(cls, kpi: str | None, info: ValidationInfo) -> str | None:
        chart = info.data.get("chart")
        if kpi is None or chart is None:
            return kpi
        if chart == "gauge" and kpi not in RATES:
            rates = ", ".join(k.key for k in KPIS if k.key in RATES)
            raise ValueError(f"a gauge shows a rate, not {kpi!r} (rates: {rates})")
        if chart == "hourly" and kpi in DUE_BASED:
            raise ValueError(
                f"{kpi!r} has no hourly values: it needs 应结案数 (cases due), which is a state "
                f"of the present; chart it by category, source or grid, or as a gauge"
            )
        return kpi

    @field_validator("period")
    @classmethod
    def _hourly_is_today(cls, period: str, info: ValidationInfo) -> str:
        if info.data.get("chart") == "hourly" and period != "today":
            raise ValueError("an hourly chart shows today against yesterday: omit period")
        return period

    @field_validator("top")
    @classmethod
    def _top_for_grid(cls, top: int, info: ValidationInfo) -> int:
        chart = info.data.get("chart")
        if chart is not None and chart != "grid":
            raise ValueError(f"top applies to grid charts only, not to {chart}")
        return top

    @field_validator("target")
    @classmethod
    def _target_for_gauge(cls, target: float | None, info: ValidationInfo) -> float | None:
        chart = info.data.get("chart")
        if target is not None and chart is not None and chart != "gauge":
            raise ValueError(f"target applies to gauge charts only, not to {chart}")
        return target

    @property
    def kpi_key(self) -> str:
        if self.kpi is not None:
            return self.kpi
        return "two_hour_rate" if self.chart == "gauge" else "dispatched"


def figure(tile: ChartTile, data: LiveData) -> dict[str, Any]:
    """Live part ``figure``: the plotly figure as plain JSON."""
    size = native_size(tile, data.config.wall)
    translate = data.translate
    if tile.chart == "hourly":
        today = current_window("today", data.now)
        yesterday = previous_window("today", data.now, "full")
        assert yesterday is not None  # "full" always has a period before
        keys = [tile.kpi_key]
        return {
            "figure": hourly_figure(
                tile, data.hourly(*today, keys), data.hourly(*yesterday, keys), translate, size
            )
        }
    window = current_window(tile.period, data.now)
    if tile.chart == "gauge":
        return {"figure": gauge_figure(tile, data.summary(*window), translate, size)}
    if tile.chart == "category":
        return {"figure": category_figure(tile, data.by("category", *window), translate, size)}
    if tile.chart == "source":
        return {"figure": source_figure(tile, data.by("source", *window), translate)}
    return {"figure": grid_figure(tile, data.by("grid", *window), translate, size)}


def graph_id(tile: ChartTile) -> dict[str, str]:
    return {"tile": "chart", "id": tile.id}


def layout(tile: ChartTile, ctx: TileContext) -> html.Div:
    width, height = native_size(tile, ctx.config.wall)
    blank = base_layout("")
    blank["xaxis"]["visible"] = blank["yaxis"]["visible"] = False
    return html.Div(
        className="cw-chart",
        **attrs(data_chart=tile.chart, data_kpi=tile.kpi_key),
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


def live(tile: ChartTile) -> tuple[LivePart, ...]:
    return (LivePart("figure", KPI_TOPICS, figure),)


TILE_TYPE = TileType(
    name="chart",
    model=ChartTile,
    layout=layout,
    live=live,
    summary="A KPI as a chart: by hour against yesterday, by 大类, by source, top grids, gauge.",
)
