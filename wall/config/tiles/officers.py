"""``officers``: the patrol roster by status and grid (the view: wall/tiles/officers.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wall.config.tiles.base import TileConfig


class OfficersTile(TileConfig):
    """The roster by status, and by grid."""

    type: Literal["officers"] = Field(description="Tile type.")
    grids: list[str] | None = Field(
        default=None, description="Only these responsibility grids (codes); default all."
    )
    by_grid: bool = Field(default=True, description="Show the table by grid under the totals.")
    sort: Literal["grid", "on_duty"] = Field(
        default="grid", description="Order of the grid table: by code, or most on duty first."
    )
