"""The frame every tile sits in: positioned on the wall, with an optional title bar."""

from __future__ import annotations

from collections.abc import Mapping

from dash import html
from dash.development.base_component import Component

from wall.geometry import percent_box, tile_rect
from wall.html_attrs import attrs
from wall.tiles.base import TileConfig, TileContext, TileType


def tile_frame(tile: TileConfig, ctx: TileContext, types: Mapping[str, TileType]) -> Component:
    tile_type = types[tile.type]
    children: list[Component] = []
    if tile.title:
        children.append(html.Div(tile.title, className="cw-tile__title"))
    children.append(html.Div(tile_type.layout(tile, ctx), className="cw-tile__body"))
    live = tile_type.live is not None and bool(tile_type.live(tile))
    if live and tile_type.shows_staleness:
        # Filled by assets/live.js while the data is not live: "数据中断 · 12 s".
        children.append(html.Div(className="cw-tile__stale", role="status"))
    extra = attrs(data_live="1") if live else {}
    if live and not tile_type.shows_staleness:
        extra.update(attrs(data_live_quiet="1"))
    return html.Div(
        children,
        id=f"tile-{tile.id}",
        className=f"cw-tile cw-tile--{tile_type.name}",
        style=percent_box(tile_rect(tile), ctx.config.wall),
        **attrs(data_tile_id=tile.id, data_tile_type=tile_type.name),
        **extra,
    )
