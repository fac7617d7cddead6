"""What a tile type's *view* is: how the web tier draws a tile whose config its schema
(wall/config/tiles/) validated. A view module of ``wall.tiles`` declares ``VIEW = TileView(...)``:

- ``layout(tile, ctx)``: the tile's Dash components at page load;
- ``live(tile)``: its live parts, each with the shape of its values (a TypedDict),
  built by the hub and pushed to the screens (wall/live);
- ``renderer``: its browser half, ``assets/<renderer>``, which registers
  ``window.citywallRenderers[<type>]`` to draw the pushed parts;
- ``strings``: its labels per locale; ``register_callbacks`` for Dash callbacks;
- flags: ``shows_staleness`` (its content is data, so it greys out when the data is
  not live), ``tablet_order`` (shown on /tablet, in this order).

The registry (wall/tile_views.py) finds views; pages only use ``render`` and
``parts``, never a tile module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from core.topics import Topic
from wall.config.tile_registry import type_name
from wall.config.tiles.base import TileConfig
from wall.live.parts import BoundPart, PartValues

if TYPE_CHECKING:
    from dash import Dash
    from dash.development.base_component import Component

    from wall.config.models import WallConfigBase
    from wall.control import WallControl
    from wall.i18n import Translator
    from wall.live.data import LiveData

TileT = TypeVar("TileT", bound=TileConfig)
ItemT = TypeVar("ItemT")
RecordT = TypeVar("RecordT", bound=Mapping[str, object])
Strings = Mapping[str, Mapping[str, str]]  # locale -> key -> text


@dataclass(frozen=True)
class TileContext:
    """What a tile's layout may read: the validated config and the wall's language."""

    config: WallConfigBase
    translate: Translator
    control: WallControl | None = None  # the wall state in Redis, when there is one


@dataclass(frozen=True)
class LivePart(Generic[TileT]):
    """Live data a tile shows. ``keyed``: key → a value of ``shape`` (one moved officer
    costs one entry); else one record of ``shape`` whose fields are diffed. Make them
    with ``keyed_part`` and ``record_part``, which tie the builder to its shape."""

    name: str
    topics: frozenset[Topic]
    build: Callable[[TileT, LiveData], PartValues]
    shape: type[object]
    keyed: bool = True
    every_s: float = 0.0  # at most this often (e.g. officer positions: 1 s)
    expires: Callable[[PartValues], int | None] | None = None
    first: bool = False  # built and pushed before the others (see BoundPart)

    def bind(self, tile: TileT) -> BoundPart:
        build = self.build
        return BoundPart(self.name, self.topics, lambda data: build(tile, data),
                         self.every_s, self.expires, self.first)  # fmt: skip


def keyed_part(
    name: str,
    topics: frozenset[Topic],
    build: Callable[[TileT, LiveData], Mapping[str, ItemT]],
    item: type[ItemT],
    every_s: float = 0.0,
    first: bool = False,
) -> LivePart[TileT]:
    """A part of key → ``item`` values (cases by id, KPIs by key)."""
    return LivePart(name, topics, build, item, keyed=True, every_s=every_s, first=first)


def record_part(
    name: str,
    topics: frozenset[Topic],
    build: Callable[[TileT, LiveData], RecordT],
    shape: type[RecordT],
    expires: Callable[[RecordT], int | None] | None = None,
    first: bool = False,
) -> LivePart[TileT]:
    """A part that is one record of ``shape`` (a camera tile's view, a chart's figure)."""
    erased = None
    if expires is not None:
        typed_expires = expires

        def erased(values: PartValues) -> int | None:
            return typed_expires(cast(RecordT, values))

    return LivePart(name, topics, build, shape, keyed=False, expires=erased, first=first)


@dataclass(frozen=True)
class TileView(Generic[TileT]):
    """One tile type's view; ``schema`` is the config model it draws."""

    schema: type[TileT]
    layout: Callable[[TileT, TileContext], Component]
    live: Callable[[TileT], Sequence[LivePart[TileT]]] | None = None
    renderer: str | None = None  # under assets/, e.g. "tiles/kpi.js"
    strings: Strings = field(default_factory=dict)
    register_callbacks: Callable[[Dash], None] | None = None
    shows_staleness: bool = True  # False: live parts steer it, its content is not data
    tablet_order: int | None = None  # on /tablet, in this order (None: not shown)

    @property
    def name(self) -> str:
        name = type_name(self.schema)
        if name is None:
            raise TypeError(f"{self.schema.__name__} declares no literal type")
        return name

    def own(self, tile: TileConfig) -> TileT:
        """``tile`` as this view's schema (the registry pairs them by type name)."""
        if not isinstance(tile, self.schema):
            raise TypeError(f"tile {tile.id!r} is a {type(tile).__name__}, not {self.name}")
        return tile

    def render(self, tile: TileConfig, ctx: TileContext) -> Component:
        return self.layout(self.own(tile), ctx)

    def parts(self, tile: TileConfig) -> tuple[BoundPart, ...]:
        if self.live is None:
            return ()
        own = self.own(tile)
        return tuple(part.bind(own) for part in self.live(own))

    def part_specs(self, tile: TileConfig) -> tuple[LivePart[TileT], ...]:
        """The declared parts (shapes included), for tests and the schema check."""
        return tuple(self.live(self.own(tile))) if self.live is not None else ()
