"""The ``camera`` tile's view: live video of its cells, played from the relay over WHEP.

What the cells show is the wall state (wall/control): the config's cameras until an
operator changes them, a tour, or the alarm pop-up. The server works it out
(``wall.control.views.showing``) at page load and in the live part ``view``, which the
hub rebuilds on every ``wall`` update and at each tour step or alarm end; the
renderer (assets/tiles/camera.js) only swaps the cells it is told to show, and
assets/camera_player.js plays them.
"""

from __future__ import annotations

import logging

from dash import html

from core.outage import OUTAGE_ERRORS
from core.topics import WALL
from wall.config.tiles.camera import CameraTile
from wall.control.views import Showing, TileState, ahead, showing
from wall.live.data import LiveData
from wall.tile_view import TileContext, TileView, record_part
from wall.ui.camera_box import CameraViewJson, camera_box, next_change_ms, view_json

log = logging.getLogger(__name__)


def layout(tile: CameraTile, ctx: TileContext) -> html.Div:
    names = ctx.config.camera_names()
    shown, by = _showing_now(tile, ctx)
    view = view_json(shown, names, by)
    return camera_box(view, ctx.config.relay.browser_url(), ctx.translate)


def _showing_now(tile: CameraTile, ctx: TileContext) -> tuple[Showing, str]:
    """What the tile shows as the page loads (the live part follows it from there)."""
    config_view = Showing(tuple(tile.cameras), tile.stream_for(len(tile.cameras)))
    if ctx.control is None:
        return config_view, ""
    try:
        return ctx.control.showing(tile.id), ctx.control.view(tile.id).by
    except OUTAGE_ERRORS as exc:
        # Redis away: the config's cameras now; the live part brings the state back.
        log.warning("wall state unreadable (%s): tile %s shows its config cameras", exc, tile.id)
        return config_view, ""


def view(tile: CameraTile, data: LiveData) -> CameraViewJson:
    """Live part ``view``: what the cells show now, and when that changes by itself."""
    state = data.wall_views().get(tile.id) or TileState(tile.id, tuple(tile.cameras))
    alarm, now_ms = data.alarm(), data.wall_ms()
    shown = showing(state, alarm, tile.stream_for, now_ms)
    coming = ahead(state, alarm, tile.stream_for, now_ms)
    return view_json(shown, data.camera_names(), state.by, coming)


VIEW_PART = record_part(
    "view", frozenset({WALL}), view, CameraViewJson, expires=next_change_ms, first=True
)
VIEW = TileView(
    schema=CameraTile,
    layout=layout,
    live=lambda tile: (VIEW_PART,),
    renderer="tiles/camera.js",
    shows_staleness=False,  # its live part steers it; its content is video, not data
)
