"""A live part as the hub sees it: bound to one tile, built from one ``LiveData``.

Tile views declare their parts typed (wall/tile_view.py ``LivePart``); the hub only
needs what is here, so it knows nothing of tiles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.topics import Topic

if TYPE_CHECKING:
    from wall.live.data import LiveData

PartValues = Mapping[str, object]
"""One live part's values: key → a JSON value (a case, an officer, a KPI, a figure)."""


@dataclass(frozen=True)
class BoundPart:
    """One part of one tile: rebuilt when one of ``topics`` changes, at most every
    ``every_s``, and again at the time ``expires`` reads from the values it built (a
    tour's next step, an alarm's end: what a screen shows changes with time alone)."""

    name: str
    topics: frozenset[Topic]
    build: Callable[[LiveData], PartValues]
    every_s: float = 0.0
    expires: Callable[[PartValues], int | None] | None = None
    # Read at a glance (a KPI's number, what a camera cell shows): built and pushed
    # before the charts and maps an update also changes, which take ~100 ms together.
    first: bool = False


@dataclass(frozen=True)
class LiveTile:
    """A tile that shows live data, and its parts."""

    tile_id: str
    parts: tuple[BoundPart, ...]
