"""A tile's body in native pixels (pixels of a hall screen): what canvas-like tiles
(charts, the e-map) lay themselves out at, before CSS scales them to the page."""

from __future__ import annotations

from typing import Final

from wall.config.sections import WallSpec
from wall.config.tiles.base import TileConfig

# What wall.css puts around a tile's body: padding 18/24 and a 2 px border; the
# title bar is a 52 px line, 10 px under it, a 2 px rule and 14 px of margin.
FRAME_W: Final = 2 * 24 + 2 * 2
FRAME_H: Final = 2 * 18 + 2 * 2
TITLE_BAR_H: Final = round(52 * 1.45) + 10 + 2 + 14


def native_size(tile: TileConfig, wall: WallSpec) -> tuple[int, int]:
    """The tile's body: its screens less the frame and, when it has one, the title bar."""
    width = tile.w * wall.screen.width - FRAME_W
    height = tile.h * wall.screen.height - FRAME_H - (TITLE_BAR_H if tile.title else 0)
    return width, height
