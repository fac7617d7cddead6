"""``camera``: live video of 1, 4, 9 or 16 cameras (the view: wall/tiles/camera.py)."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, field_validator

from wall.config.issues import Loc
from wall.config.tiles.base import TileConfig

GRID_SIZES: Final = (1, 4, 9, 16)  # square multi-views: 1×1, 2×2, 3×3, 4×4
StreamChoice = Literal["auto", "main", "sub"]


class CameraTile(TileConfig):
    """Live cameras in a square grid."""

    type: Literal["camera"] = Field(description="Tile type.")
    cameras: list[str] = Field(
        description="Camera ids from the inventory: 1, 4, 9 or 16 of them (the grid's cells)."
    )
    stream: StreamChoice = Field(
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

    def camera_cells(self) -> tuple[str, ...]:
        return tuple(self.cameras)

    def stream_for(self, cells: int) -> str:
        return self.stream if self.stream != "auto" else super().stream_for(cells)
