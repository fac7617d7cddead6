"""``kpi``: one or several big numbers, each with its change against the period before.

The numbers come from the live hub (part ``values``: KPI key → value, text, change);
assets/tiles/kpi.js writes them into the cells this module lays out. Values are
formatted here, once per update, not in every screen.
"""

from __future__ import annotations

from typing import Any, Literal

from dash import html
from pydantic import Field

from data_feeds.kpis import KPI_BY_KEY, Kpi
from wall.html_attrs import attrs
from wall.live.data import LiveData
from wall.live.periods import Compare, Period, current_window, previous_window
from wall.tiles.base import LivePart, TileConfig, TileContext, TileType

KpiKey = Literal[
    "reported", "filed", "dispatched", "video_captures", "hotline_calls",
    "approvals_published", "closed", "due", "closure_rate", "ontime_closure_rate",
    "two_hour_rate", "timely_dispatch_rate", "rework_rate", "mean_handle_minutes", "checkins",
]  # fmt: skip
# Kept in step with data_feeds.kpis.KPIS (a unit test checks).
KPI_TOPICS = frozenset({"kpi", "cases"})


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


def is_rate(kpi: Kpi) -> bool:
    return kpi.denominator is not None and kpi.scale == 1.0


def format_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    if is_rate(kpi):
        return f"{value * 100:.1f}%"
    if kpi.scale != 1.0:
        return f"{value:.1f}"
    return f"{round(value):d}"


def format_change(
    kpi: Kpi, now: float | None, before: float | None, points: str
) -> tuple[str, str]:
    """(text, direction) of the change; direction is up, down, same or none."""
    if now is None or before is None:
        return "", "none"
    change = (now - before) * (100 if is_rate(kpi) else 1)
    size = abs(change)
    if is_rate(kpi) or kpi.scale != 1.0:
        shown = f"{size:.1f}"
        if shown == "0.0":
            return "0", "same"
    else:
        shown = f"{round(size):d}"
        if shown == "0":
            return "0", "same"
    unit = f" {points}" if is_rate(kpi) else ""
    return f"{'▲' if change > 0 else '▼'} {shown}{unit}", "up" if change > 0 else "down"


def values(tile: KpiTile, data: LiveData) -> dict[str, Any]:
    now = current_window(tile.period, data.now)
    summary = data.summary(*now)
    before_window = previous_window(tile.period, data.now, tile.compare)
    before = data.summary(*before_window) if before_window else None
    parts: dict[str, Any] = {}
    for key in tile.kpis:
        kpi = KPI_BY_KEY[key]
        value = _value(summary, key)
        previous = _value(before, key) if before is not None else None
        change, direction = format_change(kpi, value, previous, data.translate("kpi.points"))
        parts[key] = {
            "value": value,
            "text": format_value(kpi, value),
            "change": change,
            "dir": direction,
        }
    return parts


def _value(summary: Any, key: str) -> float | None:
    value = summary.at[key, "value"]
    return None if value is None or value != value else float(value)  # NaN: no denominator


def kpi_label(kpi: Kpi, locale: str) -> str:
    return kpi.zh if locale == "zh-CN" else kpi.en


def compare_label(tile: KpiTile, ctx: TileContext) -> str:
    if tile.compare == "none":
        return ""
    scope = "today" if tile.period == "today" else "other"
    return ctx.translate(f"kpi.vs.{scope}.{tile.compare}")


def layout(tile: KpiTile, ctx: TileContext) -> html.Div:
    locale = ctx.translate.locale
    cells = [
        html.Div(
            className="cw-kpi__cell",
            **attrs(data_kpi=key, data_dir="none"),
            children=[
                html.Div(kpi_label(KPI_BY_KEY[key], locale), className="cw-kpi__label"),
                html.Div("—", className="cw-kpi__value"),
                html.Div(className="cw-kpi__change"),
            ],
        )
        for key in tile.kpis
    ]
    header = f"{ctx.translate(f'period.{tile.period}')} {compare_label(tile, ctx)}".strip()
    return html.Div(
        className="cw-kpi",
        style={"--kpi-columns": str(tile.columns or len(tile.kpis))},
        children=[html.Div(header, className="cw-kpi__period"), *cells],
    )


def live(tile: KpiTile) -> tuple[LivePart, ...]:
    return (LivePart("values", KPI_TOPICS, values),)


TILE_TYPE = TileType(
    name="kpi",
    model=KpiTile,
    layout=layout,
    live=live,
    summary="Big numbers (cases dispatched, hotline calls, 2-hour rate…) with their change.",
)
