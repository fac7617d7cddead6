"""What every tile type shares: its config base, its render context, its registry entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field

from wall.config.base import StrictModel
from wall.config.issues import Loc

if TYPE_CHECKING:
    from dash import Dash

    from wall.config.models import WallConfig
    from wall.control import WallControl
    from wall.i18n import Translator
    from wall.live.data import LiveData

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


@dataclass(frozen=True)
class TileContext:
    """What a tile's layout may read: the validated config and the wall's language."""

    config: WallConfig
    translate: Translator
    control: WallControl | None = None  # the wall state in Redis, when there is one


Parts = dict[str, Any]
"""One live part of a tile: key → JSON value (a case, an officer, a KPI, a figure)."""


@dataclass(frozen=True)
class LivePart:
    """Live data a tile shows, rebuilt by the web tier's hub when one of ``topics``
    changes (topics of ``citywall:updates``: cases, kpi, officers, cameras), and at
    least every refresh period (deadlines and "today" move with time alone).

    ``build(tile, data)`` returns key → value; the hub sends only the keys that
    changed since the last build, so one moved officer costs one entry, not 300.
    """

    name: str
    topics: frozenset[str]
    build: Callable[[Any, LiveData], Parts]
    every_s: float = 0.0  # at most this often (e.g. officer positions: 1 s)


@dataclass(frozen=True)
class TileType:
    """One tile type: declared by its module as ``TILE_TYPE`` and found by the registry."""

    name: str
    model: type[TileConfig]
    layout: Callable[[Any, TileContext], Any]
    register_callbacks: Callable[[Dash], None] | None = None
    summary: str = ""
    live: Callable[[Any], tuple[LivePart, ...]] | None = None  # the tile's live parts
    shows_staleness: bool = True  # False: live parts steer it, but its content is not data
