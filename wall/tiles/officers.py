"""The ``officers`` tile's view: the patrol roster: how many officers are patrolling,
handling a case, idle or offline, in total and per responsibility grid.

Live parts: ``totals`` (status → count, plus on duty) and ``grids`` (grid → counts
and its label). Officers' statuses arrive with their terminals' events, positions
many times a minute, so the roster is rebuilt at most once a second.
"""

from __future__ import annotations

import pandas as pd
from dash import html
from dash.development.base_component import Component
from typing_extensions import TypedDict

from core.topics import OFFICERS
from data_feeds.catalog import OFFICER_STATUS_NAMES
from wall.config.tiles.officers import OfficersTile
from wall.html_attrs import attrs
from wall.live.data import LiveData
from wall.tile_view import LivePart, Strings, TileContext, TileView, keyed_part
from wall.ui.labels import grid_label

# Its labels (wall/locales/*.json holds the ones several views share).
STRINGS: Strings = {
    "zh-CN": {
        "officers.grid": "责任网格",
        "officers.total": "合计",
        "officers.online": "在岗",
    },
    "en": {
        "officers.grid": "Grid",
        "officers.total": "Total",
        "officers.online": "On duty",
    },
}


class GridRowJson(TypedDict):
    """One grid of the part ``grids`` (keyed by grid code): its counts per status."""

    rank: int
    label: str
    on_duty: int
    patrolling: int
    handling: int
    idle: int
    offline: int


STATUSES = tuple(OFFICER_STATUS_NAMES)  # patrolling, handling, idle, offline


def roster(officers: pd.DataFrame, grids: list[str] | None) -> pd.DataFrame:
    """Counts per grid (rows) and status (columns), with ``on_duty`` = all but offline."""
    if grids is not None:
        officers = officers[officers["grid"].isin(grids)]
    table = pd.crosstab(officers["grid"], officers["status"])
    table = table.reindex(columns=list(STATUSES), fill_value=0)
    table["on_duty"] = table[[s for s in STATUSES if s != "offline"]].sum(axis=1)
    return table


def totals(tile: OfficersTile, data: LiveData) -> dict[str, int]:
    table = roster(data.officers(), tile.grids)
    return {column: int(table[column].sum()) for column in table.columns}


def by_grid(tile: OfficersTile, data: LiveData) -> dict[str, GridRowJson]:
    table = roster(data.officers(), tile.grids)
    if tile.sort == "on_duty":
        table = table.sort_values(["on_duty"], ascending=False, kind="stable")
    rows: dict[str, GridRowJson] = {}
    for rank, (grid, row) in enumerate(table.iterrows()):
        count = {column: int(row[column]) for column in table.columns}
        rows[str(grid)] = {
            "rank": rank, "label": grid_label(str(grid)), "on_duty": count["on_duty"],
            "patrolling": count["patrolling"], "handling": count["handling"],
            "idle": count["idle"], "offline": count["offline"],
        }  # fmt: skip
    return rows


def layout(tile: OfficersTile, ctx: TileContext) -> html.Div:
    t = ctx.translate
    columns = ["on_duty", *STATUSES]
    labels = {"on_duty": t("officers.online"), **{s: t(f"officer_status.{s}") for s in STATUSES}}
    summary = html.Div(
        className="cw-officers__totals",
        children=[
            html.Div(
                [
                    html.Div(labels[c], className="cw-officers__label"),
                    html.Div("—", className="cw-officers__count"),
                ],
                className=f"cw-officers__total cw-officers__total--{c}",
                **attrs(data_status=c),
            )
            for c in columns
        ],
    )
    children: list[Component] = [summary]
    if tile.by_grid:
        head = html.Div(
            [html.Span(t("officers.grid")), *[html.Span(labels[c]) for c in columns]],
            className="cw-officers__row cw-officers__row--head",
        )
        children.append(
            html.Div([head, html.Div(className="cw-officers__rows")], className="cw-officers__grid")
        )
    return html.Div(children, className="cw-officers", **attrs(data_columns=",".join(columns)))


def live(tile: OfficersTile) -> tuple[LivePart[OfficersTile], ...]:
    topics = frozenset({OFFICERS})
    parts = [keyed_part("totals", topics, totals, int, every_s=1.0)]
    if tile.by_grid:
        parts.append(keyed_part("grids", topics, by_grid, GridRowJson, every_s=1.0))
    return tuple(parts)


VIEW = TileView(
    schema=OfficersTile, layout=layout, live=live, renderer="tiles/officers.js", strings=STRINGS
)
