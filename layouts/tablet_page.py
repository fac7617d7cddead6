"""``/tablet``: leadership's read-only summary, from 768 to 1366 px wide.

The wall's own live tiles whose views say so (``tablet_order``: today's KPIs, the
e-map, the overdue cases; same ids, so the hub already builds them), laid out in one
responsive column instead of on the wall's grid; below, the key cameras as buttons:
a tap plays that camera's sub stream. Nothing here changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping

from dash import ALL, Dash, Input, Output, ctx, dcc, html
from dash.development.base_component import Component

from layouts.tile_frame import live_attrs
from layouts.wall_page import live_labels
from wall.config.tiles.base import TileConfig
from wall.control.views import Showing
from wall.html_attrs import attrs
from wall.tile_view import TileContext
from wall.tile_views import AnyTileView
from wall.ui.camera_box import camera_box, view_json

CAMERAS_SHOWN = 12


def tablet_tiles(ctx: TileContext, views: Mapping[str, AnyTileView]) -> list[TileConfig]:
    """The first tile of each type shown on the tablet, in the views' order."""
    first: dict[str, TileConfig] = {}
    for tile in ctx.config.tiles:
        if views[tile.type].tablet_order is not None:
            first.setdefault(tile.type, tile)
    return sorted(first.values(), key=lambda tile: views[tile.type].tablet_order or 0)


def tablet_cameras(ctx: TileContext) -> list[str]:
    """The first camera group (the key junctions), else the first cameras."""
    groups = ctx.config.cameras.groups
    if groups:
        return list(next(iter(groups.values())))[:CAMERAS_SHOWN]
    return [camera.id for camera in ctx.config.cameras.items[:CAMERAS_SHOWN]]


def _frame(tile: TileConfig, ctx: TileContext, view: AnyTileView) -> Component:
    return html.Section(
        [
            html.H2(tile.title or "", className="cw-tablet__title"),
            html.Div(view.render(tile, ctx), className="cw-tile__body"),
            html.Div(className="cw-tile__stale", role="status"),
        ],
        id=f"tile-{tile.id}",
        className=f"cw-tile cw-tablet__tile cw-tile--{view.name}",
        **attrs(data_tile_id=tile.id, data_tile_type=view.name),
        **live_attrs(view),
    )


def tablet_page(ctx: TileContext, views: Mapping[str, AnyTileView]) -> Component:
    names = ctx.config.camera_names()
    buttons = [
        html.Button(
            names.get(camera_id, camera_id),
            id={"tablet": "camera", "id": camera_id},
            className="cw-tablet__camera-button",
            **attrs(data_camera=camera_id),
        )
        for camera_id in tablet_cameras(ctx)
    ]
    return html.Div(
        [
            html.H1(ctx.config.wall.title, className="cw-tablet__heading"),
            *[_frame(tile, ctx, views[tile.type]) for tile in tablet_tiles(ctx, views)],
            html.Section(
                [
                    html.H2(ctx.translate("tablet.cameras"), className="cw-tablet__title"),
                    html.Div(buttons, className="cw-tablet__cameras"),
                    html.Div(id="tablet-player", className="cw-tablet__player"),
                    dcc.Store(id="tablet-shown"),
                ],
                className="cw-tablet__tile",
            ),
        ],
        id="wall",
        className="cw-tablet",
        **live_labels(ctx),
    )


def register_tablet_callbacks(app: Dash, tile_ctx: TileContext) -> None:
    names = tile_ctx.config.camera_names()

    @app.callback(
        Output("tablet-player", "children"),
        Input({"tablet": "camera", "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def _watch(_clicks: list[int | None]) -> Component:
        triggered = ctx.triggered_id
        camera_id = triggered["id"] if isinstance(triggered, dict) else None
        if camera_id not in names:
            return html.Div()
        shown = view_json(Showing((camera_id,), "sub"), names, "")
        relay = tile_ctx.config.relay.browser_url()
        return camera_box(shown, relay, tile_ctx.translate)

    # Bring the tapped camera into view: off screen, the player would not start it.
    app.clientside_callback(  # type: ignore[no-untyped-call]
        """function (children) {
            const player = document.getElementById("tablet-player");
            if (player && children) player.scrollIntoView({block: "center"});
            return Date.now();
        }""",
        Output("tablet-shown", "data"),
        Input("tablet-player", "children"),
        prevent_initial_call=True,
    )
