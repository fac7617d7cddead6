"""Where things sit on the wall: screens are numbered 1..N row-major; tiles are in screen units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wall.config.models import WallSpec
    from wall.config.tiles.base import TileConfig


@dataclass(frozen=True)
class Rect:
    """A rectangle in screen units (one screen is 1 × 1)."""

    x: int
    y: int
    w: int
    h: int

    def intersects(self, other: Rect) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


def screen_rect(wall: WallSpec, number: int) -> Rect:
    """The rectangle of screen ``number`` (1-based, row-major)."""
    if not 1 <= number <= wall.screen_count:
        raise ValueError(f"screen {number} is not on this wall (1..{wall.screen_count})")
    index = number - 1
    return Rect(x=index % wall.columns, y=index // wall.columns, w=1, h=1)


def tile_rect(tile: TileConfig) -> Rect:
    return Rect(x=tile.x, y=tile.y, w=tile.w, h=tile.h)


def tiles_on_screen(
    wall: WallSpec, tiles: list[TileConfig] | tuple[TileConfig, ...], number: int
) -> list[TileConfig]:
    """The tiles that show at least part of themselves on screen ``number``."""
    screen = screen_rect(wall, number)
    return [tile for tile in tiles if tile_rect(tile).intersects(screen)]


def percent_box(rect: Rect, wall: WallSpec) -> dict[str, str]:
    """CSS box of ``rect`` as percentages of the whole wall."""
    return {
        "left": f"{100 * rect.x / wall.columns:.6g}%",
        "top": f"{100 * rect.y / wall.rows:.6g}%",
        "width": f"{100 * rect.w / wall.columns:.6g}%",
        "height": f"{100 * rect.h / wall.rows:.6g}%",
    }
