"""``camera``: live video of 1, 4, 9 or 16 cameras, played from the relay over WHEP.

The player is browser code (assets/camera_player.js): it finds every camera cell,
negotiates WebRTC with the relay, shows 连接中 until the first frame and 信号中断
when frames stop, reconnects by itself and releases cells that are not visible. The
server only lays the cells out: sub streams in a multi-view, the main stream when
one camera fills the tile.
"""

from __future__ import annotations

import math
from typing import Literal

from dash import html
from pydantic import Field, field_validator

from wall.config.issues import Loc
from wall.html_attrs import attrs
from wall.tiles.base import TileConfig, TileContext, TileType

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

    def stream_name(self) -> str:
        if self.stream != "auto":
            return self.stream
        return "main" if len(self.cameras) == 1 else "sub"


def layout(tile: CameraTile, ctx: TileContext) -> html.Div:
    names = {camera.id: camera.name for camera in ctx.config.cameras.items}
    relay = ctx.config.relay
    side = math.isqrt(len(tile.cameras))
    cells = [
        html.Div(
            className="cw-camera__cell",
            **attrs(
                data_camera_id=camera_id, data_stream=tile.stream_name(), data_state="connecting"
            ),
            children=[
                html.Video(className="cw-camera__video", muted=True, autoPlay=True),
                html.Div(names.get(camera_id, camera_id), className="cw-camera__name"),
                html.Div(ctx.translate("camera.connecting"), className="cw-camera__state"),
            ],
        )
        for camera_id in tile.cameras
    ]
    return html.Div(
        className="cw-camera",
        style={"--side": str(side)},
        **attrs(
            data_relay=relay.browser_url(),
            data_label_connecting=ctx.translate("camera.connecting"),
            data_label_lost=ctx.translate("camera.lost"),
        ),
        children=cells,
    )


TILE_TYPE = TileType(
    name="camera",
    model=CameraTile,
    layout=layout,
    summary="Live video of 1, 4, 9 or 16 cameras from the WebRTC relay.",
)
