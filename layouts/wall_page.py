"""``/wall``: every screen of the wall, scaled to the browser window, aspect kept.

Sizes inside the wall are in "native pixels" (``--u``, one pixel of a physical
screen), so a tile's text is as large on the scaled overview as the hall's
screens make it, proportionally, and never grows with a tile's span.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import html
from dash.development.base_component import Component

from layouts.tile_frame import tile_frame
from wall.geometry import percent_box, screen_rect
from wall.html_attrs import attrs
from wall.tile_view import TileContext
from wall.tile_views import AnyTileView


def live_labels(ctx: TileContext) -> dict[str, Any]:
    """The stale badge's words, read by assets/live.js from the wall element."""
    t = ctx.translate
    return attrs(
        data_label_stale=t("live.stale"),
        data_label_no_data=t("live.unconfigured"),
        # templates: assets/live.js fills in {n}
        data_age_seconds=t("live.age_seconds", n="{n}"),
        data_age_minutes=t("live.age_minutes", n="{n}"),
        data_age_hours=t("live.age_hours", n="{n}"),
    )


def wall_style(ctx: TileContext) -> dict[str, str]:
    wall = ctx.config.wall
    return {
        "--cols": str(wall.columns),
        "--rows": str(wall.rows),
        "--screen-h": str(wall.screen.height),
        "--aspect": f"{wall.columns * wall.screen.width} / {wall.rows * wall.screen.height}",
    }


def screen_outlines(ctx: TileContext) -> list[Component]:
    """The physical screens' edges (bezels) over the tiles, numbered 1..N row-major."""
    wall = ctx.config.wall
    return [
        html.Div(
            html.Span(ctx.translate("screen.label", n=n), className="cw-screen__label"),
            className="cw-screen",
            style=percent_box(screen_rect(wall, n), wall),
            **attrs(data_screen=str(n)),
        )
        for n in range(1, wall.screen_count + 1)
    ]


def wall_page(ctx: TileContext, views: Mapping[str, AnyTileView]) -> Component:
    wall = ctx.config.wall
    tiles = [tile_frame(tile, ctx, views) for tile in ctx.config.tiles]
    width, height = wall.columns * wall.screen.width, wall.rows * wall.screen.height
    return html.Div(
        html.Div(
            [*tiles, *screen_outlines(ctx)],
            id="wall",
            className="cw-wall",
            style={**wall_style(ctx), "--ratio": f"{width / height:.6f}"},
            **live_labels(ctx),
        ),
        className="cw-stage cw-stage--wall",
    )
