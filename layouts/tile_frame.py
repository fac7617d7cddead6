"""The frame every tile sits in: positioned on the wall, with an optional title bar."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import html
from dash.development.base_component import Component

from wall.config.tiles.base import TileConfig
from wall.geometry import percent_box, tile_rect
from wall.html_attrs import attrs
from wall.tile_view import TileContext
from wall.tile_views import AnyTileView


def tile_frame(tile: TileConfig, ctx: TileContext, views: Mapping[str, AnyTileView]) -> Component:
    view = views[tile.type]
    children: list[Component] = []
    if tile.title:
        children.append(html.Div(tile.title, className="cw-tile__title"))
    children.append(html.Div(view.render(tile, ctx), className="cw-tile__body"))
    live = bool(view.parts(tile))
    if live and view.shows_staleness:
        # Filled by assets/live.js while the data is not live: "数据中断 · 12 s".
        children.append(html.Div(className="cw-tile__stale", role="status"))
    return html.Div(
        children,
        id=f"tile-{tile.id}",
        className=f"cw-tile cw-tile--{view.name}",
        style=percent_box(tile_rect(tile), ctx.config.wall),
        **attrs(data_tile_id=tile.id, data_tile_type=view.name),
        **(live_attrs(view) if live else {}),
    )


def live_attrs(view: AnyTileView) -> dict[str, Any]:
    """What assets/live.js looks for: a live element, which renderer draws it, and
    whether it greys out when the data is not live."""
    marks = attrs(data_live="1", data_renderer=view.name)
    if not view.shows_staleness:
        marks.update(attrs(data_live_quiet="1"))
    return marks
