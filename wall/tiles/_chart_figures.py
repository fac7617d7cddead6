"""The chart tile's figures: plotly figures as plain JSON, laid out for the tile's
native size (its screens' pixels), in the Okabe–Ito palette. Pure functions of the
KpiReader frames, so they are tested without Redis."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from data_feeds import catalog
from data_feeds.kpi_catalog import KPI_BY_KEY, Kpi, is_rate, kpi_label
from wall.config.tiles.chart import ChartTile
from wall.i18n import Translator

# Okabe & Ito (2008), "Color Universal Design": told apart with any colour vision.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
TODAY_COLOUR = OKABE_ITO["sky_blue"]
YESTERDAY_COLOUR = OKABE_ITO["orange"]
TARGET_COLOUR = OKABE_ITO["yellow"]
MET_COLOUR = OKABE_ITO["bluish_green"]
MISSED_COLOUR = OKABE_ITO["vermillion"]
TEXT = "#e8eef7"  # wall.css --text
MUTED = "#8ea3bf"  # wall.css --muted
GRID_LINES = "rgba(142, 163, 191, 0.22)"
FONT_FAMILY = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
    '"WenQuanYi Micro Hei", sans-serif'
)  # wall.css --font

# Native pixels (one pixel of a hall screen): read from 5 m.
FONT = 30
TICK_FONT = 28
TITLE_FONT = 32
MIN_FONT = 26
ROW_H = 48  # a horizontal bar's row: its 30 px label and room around it
MIN_ROWS = 6  # a category chart keeps room for this many bars, so one is not a slab


# ── figures ──────────────────────────────────────────────────────────────


def base_layout(title: str) -> dict[str, Any]:
    axis = {
        "gridcolor": GRID_LINES,
        "linecolor": GRID_LINES,
        "zerolinecolor": GRID_LINES,
        "tickfont": {"size": TICK_FONT, "color": TEXT},
        "automargin": True,
        "fixedrange": True,
    }
    return {
        "template": "none",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT_FAMILY, "size": FONT, "color": TEXT},
        "title": {
            "text": title,
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 6, "l": 8},
            "font": {"size": TITLE_FONT, "color": MUTED},
        },
        "margin": {"l": 16, "r": 32, "t": 64, "b": 16, "pad": 6},
        "showlegend": False,
        "bargap": 0.28,
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "uniformtext": {"minsize": MIN_FONT, "mode": "hide"},
    }


def _title(kpi: Kpi, period: str, translate: Translator) -> str:
    return f"{kpi_label(kpi, translate.locale)} · {translate(f'period.{period}')}"


def _shown(kpi: Kpi, value: Any) -> float | None:
    """A KPI value as plotted: rates in %, missing (NaN, no denominator) as None."""
    if value is None or pd.isna(value):
        return None
    return round(float(value) * (100 if is_rate(kpi) else 1), 6)


def _number_format(kpi: Kpi) -> str:
    if is_rate(kpi):
        return ".1f"
    return ".1f" if kpi.scale != 1.0 else ",d"


def _value_axis(kpi: Kpi, top: float) -> dict[str, Any]:
    """The value axis: rates 0–100 %; counts from 0 in whole steps of 1, 2 or 5 × 10ⁿ."""
    if is_rate(kpi):
        return {"range": [0, 105], "ticksuffix": "%", "dtick": 25}
    step, multipliers = 1.0, itertools.cycle((2.0, 2.5, 2.0))  # 1, 2, 5, 10, 20, 50…
    while top / step > 5:
        step *= next(multipliers)
    fmt = ",d" if kpi.scale == 1.0 else ",.0f"
    return {"range": [0, max(top, 1.0) * 1.15], "dtick": step, "tickformat": fmt}


def _empty(layout: dict[str, Any], translate: Translator) -> dict[str, Any]:
    layout["xaxis"]["visible"] = False
    layout["yaxis"]["visible"] = False
    layout["annotations"] = [
        {
            "text": translate("chart.no_data"),
            "showarrow": False,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "font": {"size": 40, "color": MUTED},
        }
    ]
    return layout


def _figure(data: Sequence[Any], layout: dict[str, Any]) -> dict[str, Any]:
    figure: dict[str, Any] = go.Figure(data=list(data), layout=layout).to_plotly_json()
    return figure


def _by_hour(frame: pd.DataFrame, key: str, kpi: Kpi) -> dict[int, float | None]:
    if key not in frame.columns:
        return {}
    hours = pd.DatetimeIndex(frame.index).hour
    return {int(hour): _shown(kpi, value) for hour, value in zip(hours, frame[key], strict=True)}


def hourly_figure(
    tile: ChartTile,
    today: pd.DataFrame,
    yesterday: pd.DataFrame,
    translate: Translator,
    size: tuple[int, int],
) -> dict[str, Any]:
    """Today's bars per local hour (so far) and yesterday's line, over 0–23 h.

    ``today`` and ``yesterday`` are ``KpiReader.hourly`` frames (a row per local hour).
    """
    key = tile.kpi_key
    kpi = KPI_BY_KEY[key]
    hours = list(range(24))
    now = _by_hour(today, key, kpi)
    before = _by_hour(yesterday, key, kpi)
    layout = base_layout(_title(kpi, "today", translate))
    width, _height = size
    layout["showlegend"] = True
    layout["legend"] = {
        "orientation": "h",
        "x": 1,
        "xanchor": "right",
        "y": 1,
        "yref": "container",
        "yanchor": "top",
        "font": {"size": FONT, "color": TEXT},
        "bgcolor": "rgba(0,0,0,0)",
    }
    layout["xaxis"].update(
        range=[-0.5, 23.5],
        dtick=1 if width >= 2400 else 2,
        ticksuffix=translate("chart.hour") if translate.locale == "zh-CN" else "",
        showgrid=False,
        title={"text": "" if translate.locale == "zh-CN" else translate("chart.hour")},
    )
    top = max((v for v in [*now.values(), *before.values()] if v is not None), default=0.0)
    layout["yaxis"].update(_value_axis(kpi, top))
    hover = f"%{{y:{_number_format(kpi)}}}"
    data = [
        go.Bar(
            name=translate("chart.today"),
            x=[hour for hour in hours if hour in now],
            y=[now[hour] for hour in hours if hour in now],
            marker={"color": TODAY_COLOUR},
            hovertemplate=hover,
        ),
        go.Scatter(
            name=translate("chart.yesterday"),
            x=hours,
            y=[before.get(hour) for hour in hours],
            mode="lines+markers",
            line={"color": YESTERDAY_COLOUR, "width": 6, "shape": "linear"},
            marker={"size": 12, "color": YESTERDAY_COLOUR},
            connectgaps=False,
            hovertemplate=hover,
        ),
    ]
    return _figure(data, layout)


def _label(translate: Translator, key: str, fallback: object) -> str:
    try:
        return translate(key)
    except KeyError:
        return str(fallback)


def _column(frame: pd.DataFrame, key: str) -> pd.Series:
    if key not in frame.columns:
        return pd.Series(dtype="float64")
    return pd.to_numeric(frame[key], errors="coerce").astype("float64")


def _ranked(values: pd.Series, kpi: Kpi) -> pd.Series:
    """Values worth a bar, largest first (ties by name): rates with a denominator,
    counts above zero."""
    values = values.dropna()
    if not is_rate(kpi):
        values = values[values > 0]
    ordered = sorted(values.items(), key=lambda item: (-float(item[1]), str(item[0])))
    return pd.Series([v for _, v in ordered], index=[k for k, _ in ordered], dtype="float64")


def _category_labels(codes: Sequence[object], translate: Translator) -> list[str]:
    """大类 names; a name both kinds have (zh: 市容环境) always says its kind: 市容环境(部件)."""
    majors = sorted({(c.kind, c.major) for c in catalog.CATEGORIES.values()})
    names = [_label(translate, f"category.{kind}-{major}", major) for kind, major in majors]
    shared = {name for name in names if names.count(name) > 1}
    labels = []
    for code in codes:
        name = _label(translate, f"category.{code}", code)
        kind = str(code).partition("-")[0]
        labels.append(
            f"{name}({_label(translate, f'kind.{kind}', kind)})" if name in shared else name
        )
    return labels


def _bars(kpi: Kpi, labels: list[str], values: list[float | None], horizontal: bool) -> go.Bar:
    fmt = _number_format(kpi)
    suffix = "%" if is_rate(kpi) else ""
    axis = "x" if horizontal else "y"
    return go.Bar(
        x=values if horizontal else labels,
        y=labels if horizontal else values,
        orientation="h" if horizontal else "v",
        marker={"color": TODAY_COLOUR},
        texttemplate=f"%{{{axis}:{fmt}}}{suffix}",
        textposition="outside",
        textfont={"size": FONT, "color": TEXT},
        cliponaxis=False,
        hovertemplate=f"%{{{axis}:{fmt}}}{suffix}",
    )


def _bar_layout(
    kpi: Kpi, period: str, translate: Translator, values: list[float | None], horizontal: bool
) -> dict[str, Any]:
    layout = base_layout(_title(kpi, period, translate))
    value_axis, label_axis = ("xaxis", "yaxis") if horizontal else ("yaxis", "xaxis")
    top = max((v for v in values if v is not None), default=0.0)
    layout[value_axis].update(_value_axis(kpi, top))
    # room for the value written beyond the longest bar
    stretch = 1.18 if is_rate(kpi) else (1.25 if horizontal else 1.15)
    layout[value_axis]["range"] = [0, (100 if is_rate(kpi) else max(top, 1.0)) * stretch]
    layout[label_axis].update(showgrid=False, ticks="")
    # the bars carry their values: no ticks on the value axis
    layout[value_axis].update(showticklabels=False, showgrid=False)
    return layout


def rows_that_fit(size: tuple[int, int]) -> int:
    """Horizontal bars whose labels (30 px) fit one above the other in a box of ``size``."""
    return max(1, (size[1] - 100) // ROW_H)


def _rows(layout: dict[str, Any], count: int, slots: int) -> None:
    """Bars top down in ``slots`` rows (at least ``count``): a bar keeps its thickness
    whether two or ten are shown."""
    layout["yaxis"]["range"] = [max(count, slots) - 0.5, -0.5]  # reversed: the largest on top


def category_figure(
    tile: ChartTile, by_category: pd.DataFrame, translate: Translator, size: tuple[int, int]
) -> dict[str, Any]:
    """Horizontal bars by 大类 (``KpiReader.by("category")``: index event-05…), largest on top."""
    kpi = KPI_BY_KEY[tile.kpi_key]
    ranked = _ranked(_column(by_category, tile.kpi_key), kpi).head(rows_that_fit(size))
    labels = _category_labels(list(ranked.index), translate)
    values = [_shown(kpi, v) for v in ranked]
    layout = _bar_layout(kpi, tile.period, translate, values, horizontal=True)
    if not values:
        return _figure([], _empty(layout, translate))
    _rows(layout, len(values), min(MIN_ROWS, rows_that_fit(size)))
    return _figure([_bars(kpi, labels, values, horizontal=True)], layout)


def source_figure(
    tile: ChartTile, by_source: pd.DataFrame, translate: Translator
) -> dict[str, Any]:
    """Bars by source, every source in the catalogue's order (so bars keep their place)."""
    kpi = KPI_BY_KEY[tile.kpi_key]
    column = _column(by_source, tile.kpi_key)
    known = list(catalog.SOURCE_NAMES)
    sources = known + [str(s) for s in column.index if s not in catalog.SOURCE_NAMES]
    missing = None if is_rate(kpi) else 0.0
    values = [_shown(kpi, column.get(s)) if s in column.index else missing for s in sources]
    labels = [_label(translate, f"source.{s}", s) for s in sources]
    layout = _bar_layout(kpi, tile.period, translate, values, horizontal=False)
    return _figure([_bars(kpi, labels, values, horizontal=False)], layout)


def grid_figure(
    tile: ChartTile, by_grid: pd.DataFrame, translate: Translator, size: tuple[int, int]
) -> dict[str, Any]:
    """The ``top`` grids (``KpiReader.by("grid")``), largest on top; no more than fit."""
    kpi = KPI_BY_KEY[tile.kpi_key]
    shown = min(tile.top, rows_that_fit(size))
    ranked = _ranked(_column(by_grid, tile.kpi_key), kpi).head(shown)
    labels = [str(grid) for grid in ranked.index]
    values = [_shown(kpi, v) for v in ranked]
    layout = _bar_layout(kpi, tile.period, translate, values, horizontal=True)
    if not values:
        return _figure([], _empty(layout, translate))
    _rows(layout, len(values), shown)
    return _figure([_bars(kpi, labels, values, horizontal=True)], layout)


def gauge_figure(
    tile: ChartTile, summary: pd.DataFrame, translate: Translator, size: tuple[int, int]
) -> dict[str, Any]:
    """The rate in % (``KpiReader.summary`` row) on a 0–100 gauge, the target as a line."""
    kpi = KPI_BY_KEY[tile.kpi_key]
    value = _shown(kpi, summary.at[tile.kpi_key, "value"])
    width, height = size
    number_size = int(max(MIN_FONT, min(height * 0.22, width * 0.13, 180)))
    target = None if tile.target is None else round(tile.target * 100, 6)
    colour = TODAY_COLOUR
    if target is not None and value is not None:
        colour = MET_COLOUR if value >= target else MISSED_COLOUR
    gauge: dict[str, Any] = {
        "shape": "angular",
        "axis": {
            "range": [0, 100],
            "ticksuffix": "%",
            "dtick": 25,
            "tickfont": {"size": TICK_FONT, "color": TEXT},
            "tickcolor": MUTED,
            "tickwidth": 3,
        },
        "bar": {"color": colour, "thickness": 0.7},
        "bgcolor": "rgba(142, 163, 191, 0.14)",
        "borderwidth": 0,
    }
    if target is not None:
        gauge["threshold"] = {
            "line": {"color": TARGET_COLOUR, "width": 10},
            "thickness": 1,
            "value": target,
        }
    layout = base_layout(_title(kpi, tile.period, translate))
    layout["margin"] = {"l": 100, "r": 100, "t": 80, "b": 30}  # room for "100%" at the ends
    annotations = []
    if target is not None:
        annotations.append(
            {
                "text": f"{translate('chart.target')} {target:.0f}%",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0,
                "yanchor": "top",
                "font": {"size": FONT, "color": TARGET_COLOUR},
            }
        )
    if value is None:
        annotations.append(
            {
                "text": "—",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.12,
                "font": {"size": number_size, "color": MUTED},
            }
        )
    layout["annotations"] = annotations
    if target is not None:
        layout["margin"]["b"] = 30 + FONT + 20
    indicator = go.Indicator(
        mode="gauge+number" if value is not None else "gauge",
        value=value,
        number={"suffix": "%", "valueformat": ".1f", "font": {"size": number_size, "color": TEXT}},
        gauge=gauge,
        domain={"x": [0, 1], "y": [0, 1]},
    )
    return _figure([indicator], layout)


# ── live part ────────────────────────────────────────────────────────────
