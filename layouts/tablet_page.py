"""``/tablet``: leadership's read-only summary, from 768 to 1366 px wide.

Today's KPIs, the e-map and the overdue cases are the wall's own live tiles (same
ids: the hub already builds them), laid out in one responsive column instead of on
the wall's grid; below, the key cameras as buttons: a tap plays that camera's sub
stream. Nothing here changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping

from dash import ALL, Dash, Input, Output, ctx, dcc, html
from dash.development.base_component import Component

from layouts.wall_page import live_labels
from wall.html_attrs import attrs
from wall.tiles.base import TileConfig, TileContext, TileType
from wall.tiles.camera import CameraTile
from wall.tiles.camera import layout as camera_layout

TABLET_TYPES = ("kpi", "map", "cases")  # in this order, the first tile of each type
CAMERAS_SHOWN = 12


def tablet_tiles(ctx: TileContext) -> list[TileConfig]:
    tiles = []
    for kind in TABLET_TYPES:
        found = next((tile for tile in ctx.config.tiles if tile.type == kind), None)
        if found is not None:
            tiles.append(found)
    return tiles


def tablet_cameras(ctx: TileContext) -> list[str]:
    """The first camera group (the key junctions), else the first cameras."""
    groups = ctx.config.cameras.groups
    if groups:
        return list(next(iter(groups.values())))[:CAMERAS_SHOWN]
    return [camera.id for camera in ctx.config.cameras.items[:CAMERAS_SHOWN]]


def _frame(tile: TileConfig, ctx: TileContext, types: Mapping[str, TileType]) -> Component:
    tile_type = types[tile.type]
    return html.Section(
        [
            html.H2(tile.title or "", className="cw-tablet__title"),
            html.Div(tile_type.layout(tile, ctx), className="cw-tile__body"),
            html.Div(className="cw-tile__stale", role="status"),
        ],
        id=f"tile-{tile.id}",
        className=f"cw-tile cw-tablet__tile cw-tile--{tile.type}",
        **attrs(data_tile_id=tile.id, data_tile_type=tile.type, data_live="1"),
    )


def tablet_page(ctx: TileContext, types: Mapping[str, TileType]) -> Component:
    names = {camera.id: camera.name for camera in ctx.config.cameras.items}
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
            *[_frame(tile, ctx, types) for tile in tablet_tiles(ctx)],
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
    @app.callback(
        Output("tablet-player", "children"),
        Input({"tablet": "camera", "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def _watch(_clicks: list[int | None]) -> Component:
        triggered = ctx.triggered_id
        camera_id = triggered["id"] if isinstance(triggered, dict) else None
        if camera_id not in tile_ctx.config.camera_ids():
            return html.Div()
        tile = CameraTile(type="camera", id="tablet-camera", x=0, y=0, cameras=[camera_id],
                          stream="sub")  # fmt: skip
        return camera_layout(tile, tile_ctx)

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
