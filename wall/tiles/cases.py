"""The ``cases`` tile's view: the latest open cases and the overdue ones, as a list
that rolls slowly when it is longer than the tile.

Two live parts, ``latest`` and ``overdue``: case id → one row, already in words
(time, category, address or else grid, status, how late), with its ``rank`` for the
order.
assets/tiles/cases.js draws them.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

import pandas as pd
from dash import html
from typing_extensions import TypedDict

from core.topics import CASES
from wall.config.tiles.cases import CasesTile
from wall.html_attrs import attrs
from wall.i18n import Translator
from wall.live.data import LiveData
from wall.tile_view import LivePart, Strings, TileContext, TileView, keyed_part
from wall.ui.labels import grid_label, short_duration, street_address

# Its labels (wall/locales/*.json holds the ones several views share).
STRINGS: Strings = {
    "zh-CN": {
        "cases.latest": "最新案件",
        "cases.overdue": "超期案件",
        "cases.empty": "暂无案件",
        "cases.overdue_by": "超期 {t}",
        "cases.due_in": "剩余 {t}",
    },
    "en": {
        "cases.latest": "Latest cases",
        "cases.overdue": "Overdue cases",
        "cases.empty": "No cases",
        "cases.overdue_by": "overdue {t}",
        "cases.due_in": "{t} left",
    },
}


class CaseRowJson(TypedDict):
    """One row of the parts ``latest`` and ``overdue`` (keyed by case id), in words."""

    rank: int
    time: str
    category: str
    grid: str
    address: str  # 地址 (schema v2): shown instead of the grid; "" when not known
    status: str
    urgent: bool
    overdue: bool
    finished: bool
    late: str


def case_row(case: pd.Series, rank: int, now: datetime, t: Translator, zone: tzinfo) -> CaseRowJson:
    deadline = case["deadline"]
    finished = case["status"] in ("closed", "cancelled")
    overdue = bool(pd.notna(deadline) and deadline < now and not finished)
    reported = case["reported_at"]
    row: CaseRowJson = {
        "rank": rank,
        "time": when(reported, now, zone),
        "category": _category(case, t),
        "grid": grid_label(str(case["grid"] or "")),
        "address": street_address(_text(case.get("address"))),
        "status": t(f"case_status.{case['status']}"),
        "urgent": case["priority"] == "urgent",
        "overdue": overdue,
        "finished": finished,
        "late": "",
    }
    if overdue:
        row["late"] = t("cases.overdue_by", t=short_duration(now - deadline, t))
    return row


def when(reported: pd.Timestamp, now: datetime, zone: tzinfo) -> str:
    """HH:MM today, MM-DD HH:MM on another day (a list spans several days)."""
    if pd.isna(reported):
        return ""
    local = reported.tz_convert(zone)
    if local.date() == pd.Timestamp(now).tz_convert(zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")


def _text(value: object) -> str:
    """A frame cell as text: None and NaN (a missing field) become ""."""
    return value if isinstance(value, str) else ""


def _category(case: pd.Series, t: Translator) -> str:
    if t.locale == "zh-CN" and case["category_name"]:
        return str(case["category_name"])
    major = str(case["category"] or "")[:2]
    return t(f"category.{case['kind']}-{major}")


def _open_cases(tile: CasesTile, data: LiveData) -> pd.DataFrame:
    cases = data.open_cases()
    if tile.grids is not None:
        cases = cases[cases["grid"].isin(tile.grids)]
    return cases


def latest(tile: CasesTile, data: LiveData) -> dict[str, CaseRowJson]:
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


def overdue(tile: CasesTile, data: LiveData) -> dict[str, CaseRowJson]:
    cases = _open_cases(tile, data)
    now = pd.Timestamp(data.now)
    late = cases[cases["deadline"].notna() & (cases["deadline"] < now)]
    late = late.sort_values("deadline").head(tile.limit)
    zone = data.reader.zone
    return {
        str(case_id): case_row(case, rank, now, data.translate, zone)
        for rank, (case_id, case) in enumerate(late.iterrows())
    }


def counts(tile: CasesTile, data: LiveData) -> dict[str, int]:
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


def live(tile: CasesTile) -> tuple[LivePart[CasesTile], ...]:
    topics = frozenset({CASES})
    parts = {"latest": keyed_part("latest", topics, latest, CaseRowJson),
             "overdue": keyed_part("overdue", topics, overdue, CaseRowJson)}  # fmt: skip
    shown = [parts[name] for name in ("latest", "overdue") if tile.show in (name, "both")]
    return (*shown, keyed_part("counts", topics, counts, int))


VIEW = TileView(
    tablet_order=3,
    schema=CasesTile,
    layout=layout,
    live=live,
    renderer="tiles/cases.js",
    strings=STRINGS,
)
