"""``chart``: one KPI as a plotly chart (the view: wall/tiles/chart.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from data_feeds.kpi_catalog import DUE_BASED, KPIS, RATES, KpiKey
from data_feeds.periods import Period
from wall.config.tiles.base import TileConfig

ChartKind = Literal["hourly", "category", "source", "grid", "gauge"]
CHART_KINDS: tuple[ChartKind, ...] = ("hourly", "category", "source", "grid", "gauge")


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
            needs = (
                "the cameras' state now"
                if kpi == "camera_online_rate"
                else ("应结案数 (cases due)")
            )
            raise ValueError(
                f"{kpi!r} has no hourly values: it needs {needs}, which is a state "
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
