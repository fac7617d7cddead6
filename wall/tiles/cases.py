"""``cases``: the latest open cases and the overdue ones, as a list that rolls slowly
when it is longer than the tile.

Two live parts, ``latest`` and ``overdue``: case id → one row, already in words
(time, category, grid, status, how late), with its ``rank`` for the order.
assets/tiles/cases.js draws them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import pandas as pd
from dash import html
from pydantic import Field

from wall.html_attrs import attrs
from wall.i18n import Translator
from wall.live.data import LiveData
from wall.tiles.base import LivePart, TileConfig, TileContext, TileType


class CasesTile(TileConfig):
    """A list of cases: the latest reported and the overdue."""

    type: Literal["cases"] = Field(description="Tile type.")
    show: Literal["latest", "overdue", "both"] = Field(
        default="both", description="Which lists: latest open cases, overdue ones, or both."
    )
    limit: int = Field(default=12, ge=1, le=50, description="Cases per list at most.")
    grids: list[str] | None = Field(
        default=None, description="Only cases in these responsibility grids (codes)."
    )
    scroll_seconds: int = Field(
        default=30, ge=5, le=600, description="Seconds per slow roll when a list overflows."
    )


def short_duration(delta: timedelta, translate: Translator) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return translate("duration.minutes", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return translate("duration.hours", h=hours, m=minutes)
    return translate("duration.days", d=hours // 24)


def case_row(case: pd.Series, rank: int, now: datetime, t: Translator, zone: Any) -> dict[str, Any]:
    deadline = case["deadline"]
    finished = case["status"] in ("closed", "cancelled")
    overdue = bool(pd.notna(deadline) and deadline < now and not finished)
    reported = case["reported_at"]
    row: dict[str, Any] = {
        "rank": rank,
        "time": reported.tz_convert(zone).strftime("%H:%M") if pd.notna(reported) else "",
        "category": _category(case, t),
        "grid": grid_label(str(case["grid"] or "")),
        "status": t(f"case_status.{case['status']}"),
        "urgent": case["priority"] == "urgent",
        "overdue": overdue,
        "finished": finished,
        "late": "",
    }
    if overdue:
        row["late"] = t("cases.overdue_by", t=short_duration(now - deadline, t))
    return row


def _category(case: pd.Series, t: Translator) -> str:
    if t.locale == "zh-CN" and case["category_name"]:
        return str(case["category_name"])
    major = str(case["category"] or "")[:2]
    return t(f"category.{case['kind']}-{major}")


def grid_label(code: str) -> str:
    """4306240010203 (a 13-digit CJ/T 213 style code) → 02-03, row and column in the town."""
    if len(code) == 13 and code.isdigit():
        return f"{code[-4:-2]}-{code[-2:]}"
    return code


def _open_cases(tile: CasesTile, data: LiveData) -> pd.DataFrame:
    cases = data.open_cases()
    if tile.grids is not None:
        cases = cases[cases["grid"].isin(tile.grids)]
    return cases


def latest(tile: CasesTile, data: LiveData) -> dict[str, Any]:
    """The latest reported cases, open or finished (most close within hours)."""
    # With a grid filter, read deeper so the list still fills from the grids shown.
    cases = data.recent_cases(tile.limit if tile.grids is None else tile.limit * 10)
    if tile.grids is not None:
        cases = cases[cases["grid"].isin(tile.grids)]
    cases = cases.head(tile.limit)
    now = pd.Timestamp(data.now)
    zone = data.reader.zone
    return {
        str(case_id): case_row(case, rank, now, data.translate, zone)
        for rank, (case_id, case) in enumerate(cases.iterrows())
    }


def overdue(tile: CasesTile, data: LiveData) -> dict[str, Any]:
    cases = _open_cases(tile, data)
    now = pd.Timestamp(data.now)
    late = cases[cases["deadline"].notna() & (cases["deadline"] < now)]
    late = late.sort_values("deadline").head(tile.limit)
    zone = data.reader.zone
    return {
        str(case_id): case_row(case, rank, now, data.translate, zone)
        for rank, (case_id, case) in enumerate(late.iterrows())
    }


def counts(tile: CasesTile, data: LiveData) -> dict[str, Any]:
    """How many cases are overdue (the list shows at most ``limit``)."""
    cases = _open_cases(tile, data)
    late = cases["deadline"].notna() & (cases["deadline"] < pd.Timestamp(data.now))
    return {"overdue": int(late.sum())}


def layout(tile: CasesTile, ctx: TileContext) -> html.Div:
    lists = ["latest", "overdue"] if tile.show == "both" else [tile.show]
    return html.Div(
        className="cw-cases",
        style={"--roll-seconds": f"{tile.scroll_seconds}s"},
        children=[
            html.Section(
                className=f"cw-cases__section cw-cases__section--{name}",
                **attrs(data_list=name, data_empty=ctx.translate("cases.empty")),
                children=[
                    html.Div(
                        [ctx.translate(f"cases.{name}"), html.Span(className="cw-cases__count")],
                        className="cw-cases__heading",
                    ),
                    html.Div(html.Div(className="cw-cases__rows"), className="cw-cases__window"),
                ],
            )
            for name in lists
        ],
    )


def live(tile: CasesTile) -> tuple[LivePart, ...]:
    topics = frozenset({"cases"})
    parts = {"latest": LivePart("latest", topics, latest),
             "overdue": LivePart("overdue", topics, overdue)}  # fmt: skip
    shown = [parts[name] for name in ("latest", "overdue") if tile.show in (name, "both")]
    return (*shown, LivePart("counts", topics, counts))


TILE_TYPE = TileType(
    name="cases",
    model=CasesTile,
    layout=layout,
    live=live,
    summary="The latest open cases and the overdue ones, in a slowly rolling list.",
)
