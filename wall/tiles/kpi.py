"""The ``kpi`` tile's view: one or several big numbers, each with its change against
the period before.

The numbers come from the live hub (part ``values``: KPI key → value, text, change);
assets/tiles/kpi.js writes them into the cells this module lays out. Values are
formatted here, once per update, not in every screen.
"""

from __future__ import annotations

import numbers
from typing import Literal

import pandas as pd
from dash import html
from typing_extensions import TypedDict

from core.topics import CASES, KPI
from data_feeds.kpi_catalog import KPI_BY_KEY, Kpi, is_rate, kpi_label
from data_feeds.periods import current_window, previous_window
from wall.config.tiles.kpi import KpiTile
from wall.html_attrs import attrs
from wall.live.data import LiveData
from wall.tile_view import Strings, TileContext, TileView, keyed_part

# Its labels (wall/locales/*.json holds the ones several views share).
STRINGS: Strings = {
    "zh-CN": {
        "kpi.vs.today.same_time": "较昨日同时",
        "kpi.vs.today.full": "较昨日全天",
        "kpi.vs.other.same_time": "较上期同期",
        "kpi.vs.other.full": "较上期",
        "kpi.points": "个百分点",
        "kpi.no_value": "—",
    },
    "en": {
        "kpi.vs.today.same_time": "vs. yesterday, same time",
        "kpi.vs.today.full": "vs. all of yesterday",
        "kpi.vs.other.same_time": "vs. last period, same point",
        "kpi.vs.other.full": "vs. last period",
        "kpi.points": "pts",
        "kpi.no_value": "—",
    },
}


class KpiValueJson(TypedDict):
    """One KPI of the part ``values`` (keyed by KPI key), formatted once for all screens."""

    value: float | None
    text: str
    change: str
    dir: Literal["up", "down", "same", "none"]


KPI_TOPICS = frozenset({KPI, CASES})


def format_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    if is_rate(kpi):
        return f"{value * 100:.1f}%"
    if kpi.scale != 1.0:
        return f"{value:.1f}"
    return f"{round(value):d}"


Direction = Literal["up", "down", "same", "none"]


def format_change(
    kpi: Kpi, now: float | None, before: float | None, points: str
) -> tuple[str, Direction]:
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


def values(tile: KpiTile, data: LiveData) -> dict[str, KpiValueJson]:
    now = current_window(tile.period, data.now)
    summary = data.summary(*now)
    before_window = previous_window(tile.period, data.now, tile.compare)
    before = data.summary(*before_window) if before_window else None
    parts: dict[str, KpiValueJson] = {}
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


def _value(summary: pd.DataFrame, key: str) -> float | None:
    value: object = summary.at[key, "value"]
    if not isinstance(value, numbers.Real) or value != value:  # NaN: no denominator
        return None
    return float(value)


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


VIEW = TileView(
    tablet_order=1,
    schema=KpiTile,
    layout=layout,
    live=lambda tile: (keyed_part("values", KPI_TOPICS, values, KpiValueJson, first=True),),
    renderer="tiles/kpi.js",
    strings=STRINGS,
)
