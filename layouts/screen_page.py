"""``/wall/screen/<n>``: one physical screen at native size, for one PC per screen.

The whole wall is laid out ``columns × rows`` viewports large and shifted so that
screen n fills the window; only the tiles that touch screen n are rendered, so a
tile spanning several screens shows exactly its part here.
"""

from __future__ import annotations

from collections.abc import Mapping

from dash import html
from dash.development.base_component import Component

from layouts.tile_frame import tile_frame
from layouts.wall_page import live_labels, wall_style
from wall.geometry import screen_rect, tiles_on_screen
from wall.html_attrs import attrs
from wall.tile_view import TileContext
from wall.tile_views import AnyTileView


def screen_page(ctx: TileContext, views: Mapping[str, AnyTileView], number: int) -> Component:
    wall = ctx.config.wall
    screen = screen_rect(wall, number)
    tiles = tiles_on_screen(wall, list(ctx.config.tiles), number)
    return html.Div(
        html.Div(
            [tile_frame(tile, ctx, views) for tile in tiles],
            id="wall",
            className="cw-wall cw-wall--screen",
            style={**wall_style(ctx), "--col": str(screen.x), "--row": str(screen.y)},
            **attrs(data_screen=str(number)),
            **live_labels(ctx),
        ),
        className="cw-stage cw-stage--screen",
    )
