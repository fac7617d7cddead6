"""``camera``: live video of 1, 4, 9 or 16 cameras, played from the relay over WHEP.

The player is browser code (assets/camera_player.js): it finds every camera cell,
negotiates WebRTC with the relay, shows 连接中 until the first frame and 信号中断
when frames stop, reconnects by itself and releases cells that are not visible.

Which cameras the cells show is the wall state (wall/control): the config's cameras
until an operator changes them, a tour, or the alarm pop-up. The server lays out the
cells as the state is when the page loads; the live part ``view`` then pushes every
change, and assets/tiles/camera.js swaps the cells (and turns tours) in the browser.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Literal

from dash import html
from pydantic import Field, field_validator

from core.outage import OUTAGE_ERRORS
from wall.config.issues import Loc
from wall.control.views import Alarm, TileView
from wall.html_attrs import attrs
from wall.live.data import LiveData
from wall.tiles.base import LivePart, Parts, TileConfig, TileContext, TileType

log = logging.getLogger(__name__)
GRID_SIZES = (1, 4, 9, 16)


class CameraTile(TileConfig):
    """Live cameras in a square grid."""

    type: Literal["camera"] = Field(description="Tile type.")
    cameras: list[str] = Field(
        description="Camera ids from the inventory: 1, 4, 9 or 16 of them (the grid's cells)."
    )
    stream: Literal["auto", "main", "sub"] = Field(
        default="auto", description="auto: main for one camera, sub streams in a multi-view."
    )

    @field_validator("cameras")
    @classmethod
    def _square(cls, cameras: list[str]) -> list[str]:
        if len(cameras) not in GRID_SIZES:
            raise ValueError(f"give 1, 4, 9 or 16 cameras, not {len(cameras)}")
        return cameras

    def camera_refs(self) -> list[tuple[Loc, str]]:
        return [(("cameras", index), camera) for index, camera in enumerate(self.cameras)]

    def stream_name(self, cells: int | None = None) -> str:
        if self.stream != "auto":
            return self.stream
        return "main" if (cells or len(self.cameras)) == 1 else "sub"


def layout(tile: CameraTile, ctx: TileContext) -> html.Div:
    names = {camera.id: camera.name for camera in ctx.config.cameras.items}
    cameras, alarm = _showing_now(tile, ctx)
    stream = tile.stream_name(1) if alarm else tile.stream_name(len(cameras))
    cells = [
        _cell(camera_id, names.get(camera_id, camera_id), stream, ctx) for camera_id in cameras
    ]
    return html.Div(
        className="cw-camera",
        style={"--side": str(math.isqrt(len(cameras)))},
        **attrs(
            data_relay=ctx.config.relay.browser_url(),
            data_label_connecting=ctx.translate("camera.connecting"),
            data_label_lost=ctx.translate("camera.lost"),
            data_stream_mode=tile.stream,
            data_label_urgent=ctx.translate("alarm.urgent"),
            data_label_video=ctx.translate("alarm.video"),
            data_label_no_camera=ctx.translate("alarm.no_camera"),
            data_label_distance=ctx.translate("alarm.distance", m="{m}"),
            data_label_tour=ctx.translate("tour.label"),
        ),
        children=cells,
    )


def _cell(camera_id: str, name: str, stream: str, ctx: TileContext) -> html.Div:
    # assets/tiles/camera.js builds the same cell when the state changes: keep in step.
    return html.Div(
        className="cw-camera__cell",
        **attrs(data_camera_id=camera_id, data_stream=stream, data_state="connecting"),
        children=[
            html.Video(className="cw-camera__video", muted=True, autoPlay=True),
            html.Div(name, className="cw-camera__name"),
            html.Div(ctx.translate("camera.connecting"), className="cw-camera__state"),
        ],
    )


def _showing_now(tile: CameraTile, ctx: TileContext) -> tuple[tuple[str, ...], bool]:
    """The cameras the tile shows at page load, and whether the alarm has it."""
    if ctx.control is None:
        return tuple(tile.cameras), False
    try:
        alarm = ctx.control.alarm()
        if alarm is not None and alarm.tile_id == tile.id and alarm.camera_id:
            return (alarm.camera_id,), True
        view = ctx.control.views().get(tile.id)  # None: a tile of no wall (the tablet's)
        cameras = view.showing(ctx.control.now_ms()) if view else tuple(tile.cameras)
        return cameras, False
    except OUTAGE_ERRORS as exc:
        # Redis away: the config's cameras now; the live part brings the state back.
        log.warning("wall state unreadable (%s): tile %s shows its config cameras", exc, tile.id)
        return tuple(tile.cameras), False


def _view_part(tile: CameraTile, data: LiveData) -> Parts:
    view = data.wall_views().get(tile.id) or TileView(tile.id, tuple(tile.cameras))
    alarm = data.alarm()
    if alarm is not None and alarm.tile_id != tile.id:
        alarm = None
    shown = set(view.cameras) | set(view.tour.cameras if view.tour else ())
    if alarm is not None and alarm.camera_id:
        shown.add(alarm.camera_id)
    names = {camera.id: camera.name for camera in data.config.cameras.items if camera.id in shown}
    part: Parts = {
        "cells": list(view.cameras),
        "stream": tile.stream_name(len(view.cameras)),
        "names": names,
        "by": view.by,
    }
    if view.tour is not None:
        part["tour"] = view.tour.as_json()
    if alarm is not None:
        part["alarm"] = _alarm_json(alarm, data)
    return part


def _alarm_json(alarm: Alarm, data: LiveData) -> dict[str, Any]:
    return {
        "case_id": alarm.case_id,
        "reason": alarm.reason,
        "camera_id": alarm.camera_id,
        "distance_m": alarm.distance_m,
        "category": alarm.category,
        "grid": alarm.grid,
        "until_ms": alarm.until_ms,
    }


def live_parts(tile: CameraTile) -> tuple[LivePart, ...]:
    return (LivePart("view", frozenset({"wall"}), _view_part),)


TILE_TYPE = TileType(
    name="camera",
    model=CameraTile,
    layout=layout,
    summary="Live video of 1, 4, 9 or 16 cameras from the WebRTC relay.",
    live=live_parts,
    shows_staleness=False,
)
