"""``cases``: the latest and the overdue cases (the view: wall/tiles/cases.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wall.config.tiles.base import TileConfig


class CasesTile(TileConfig):
    """A list of cases: the latest reported and the overdue."""

    type: Literal["cases"] = Field(description="Tile type.")
    show: Literal["latest", "overdue", "both"] = Field(
        default="both", description="Which lists: latest open cases, overdue ones, or both."
    )
    limit: int = Field(default=12, ge=1, le=50, description="Cases per list at most.")
    grids: list[str] | None = Field(
        default=None, description="Only cases in these responsibility grids (codes)."
    )
    scroll_seconds: int = Field(
        default=30, ge=5, le=600, description="Seconds per slow roll when a list overflows."
    )
