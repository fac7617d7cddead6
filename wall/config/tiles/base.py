"""What every tile's config shares. A tile type's schema is a subclass of ``TileConfig``
with ``type: Literal["<name>"]`` and its own described fields, in a module of this
package (or of a ``citywall.tile_schemas`` entry point); the registry finds it.

Pure data: nothing here knows how a tile is drawn (that is its view, wall/tiles/).
"""

from __future__ import annotations

from pydantic import Field

from wall.config.base import StrictModel
from wall.config.issues import Loc

TILE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class TileConfig(StrictModel):
    """Fields common to every tile. Subclasses add ``type: Literal[...]`` and their options."""

    type: str = Field(description="Tile type; each type adds its own options.")
    id: str = Field(
        pattern=TILE_ID_PATTERN,
        description="Unique tile id (lower-case letters, digits, - and _); used in URLs and logs.",
    )
    title: str | None = Field(
        default=None, description="Caption shown in the tile's title bar; omit for no title bar."
    )
    x: int = Field(ge=0, description="Left edge, in screens from the wall's left (0-based).")
    y: int = Field(ge=0, description="Top edge, in screens from the wall's top (0-based).")
    w: int = Field(default=1, ge=1, description="Width in screens.")
    h: int = Field(default=1, ge=1, description="Height in screens.")

    def camera_refs(self) -> list[tuple[Loc, str]]:
        """Camera ids this tile names, each with its path inside the tile (for cross-checks)."""
        return []

    def camera_cells(self) -> tuple[str, ...] | None:
        """The cameras of its cells when the tile holds cameras (operators switch them,
        tours turn them, the alarm takes them over), else None."""
        return None

    def stream_for(self, cells: int) -> str:
        """Which stream of its cameras a tile holding ``cells`` cameras plays."""
        return "main" if cells == 1 else "sub"
