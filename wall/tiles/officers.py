"""``officers``: the patrol roster: how many officers are patrolling, handling a case,
idle or offline, in total and per responsibility grid.

Live parts: ``totals`` (status → count, plus on duty) and ``grids`` (grid → counts
and its label). Officers' statuses arrive with their terminals' events, positions
many times a minute, so the roster is rebuilt at most once a second.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from dash import html
from pydantic import Field

from data_feeds.catalog import OFFICER_STATUS_NAMES
from wall.html_attrs import attrs
from wall.live.data import LiveData
from wall.tiles.base import LivePart, TileConfig, TileContext, TileType
from wall.tiles.cases import grid_label

STATUSES = tuple(OFFICER_STATUS_NAMES)  # patrolling, handling, idle, offline


class OfficersTile(TileConfig):
    """The roster by status, and by grid."""

    type: Literal["officers"] = Field(description="Tile type.")
    grids: list[str] | None = Field(
        default=None, description="Only these responsibility grids (codes); default all."
    )
    by_grid: bool = Field(default=True, description="Show the table by grid under the totals.")
    sort: Literal["grid", "on_duty"] = Field(
        default="grid", description="Order of the grid table: by code, or most on duty first."
    )


def roster(officers: pd.DataFrame, grids: list[str] | None) -> pd.DataFrame:
    """Counts per grid (rows) and status (columns), with ``on_duty`` = all but offline."""
    if grids is not None:
        officers = officers[officers["grid"].isin(grids)]
    table = pd.crosstab(officers["grid"], officers["status"])
    table = table.reindex(columns=list(STATUSES), fill_value=0)
    table["on_duty"] = table[[s for s in STATUSES if s != "offline"]].sum(axis=1)
    return table


def totals(tile: OfficersTile, data: LiveData) -> dict[str, Any]:
    table = roster(data.officers(), tile.grids)
    return {column: int(table[column].sum()) for column in table.columns}


def by_grid(tile: OfficersTile, data: LiveData) -> dict[str, Any]:
    table = roster(data.officers(), tile.grids)
    if tile.sort == "on_duty":
        table = table.sort_values(["on_duty"], ascending=False, kind="stable")
    rows = {}
    for rank, (grid, row) in enumerate(table.iterrows()):
        counts = {column: int(row[column]) for column in table.columns}
        rows[str(grid)] = {"rank": rank, "label": grid_label(str(grid)), **counts}
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
    children: list[Any] = [summary]
    if tile.by_grid:
        head = html.Div(
            [html.Span(t("officers.grid")), *[html.Span(labels[c]) for c in columns]],
            className="cw-officers__row cw-officers__row--head",
        )
        children.append(
            html.Div([head, html.Div(className="cw-officers__rows")], className="cw-officers__grid")
        )
    return html.Div(children, className="cw-officers", **attrs(data_columns=",".join(columns)))


def live(tile: OfficersTile) -> tuple[LivePart, ...]:
    topics = frozenset({"officers"})
    parts = [LivePart("totals", topics, totals, every_s=1.0)]
    if tile.by_grid:
        parts.append(LivePart("grids", topics, by_grid, every_s=1.0))
    return tuple(parts)


TILE_TYPE = TileType(
    name="officers",
    model=OfficersTile,
    layout=layout,
    live=live,
    summary="The patrol roster: officers patrolling, handling, idle, offline; per grid.",
)
