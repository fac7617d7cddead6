"""``kpi``: big numbers with their change (the view: wall/tiles/kpi.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from data_feeds.kpi_catalog import KpiKey
from data_feeds.periods import Compare, Period
from wall.config.tiles.base import TileConfig


class KpiTile(TileConfig):
    """Big numbers: today's cases dispatched, hotline calls, the 2-hour rate…"""

    type: Literal["kpi"] = Field(description="Tile type.")
    kpis: list[KpiKey] = Field(
        min_length=1, max_length=8, description="The KPIs to show, in order (see docs/kpis.md)."
    )
    period: Period = Field(
        default="today", description="Counted over: today, last_24h, month or half_year."
    )
    compare: Compare = Field(
        default="same_time",
        description="Change against the period before, up to the same time (same_time), "
        "all of it (full), or none.",
    )
    columns: int | None = Field(
        default=None, ge=1, le=8, description="Cells per row; default all in one row."
    )
