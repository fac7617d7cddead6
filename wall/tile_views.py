"""Tile views are found, not listed: every module of ``wall.tiles`` that declares
``VIEW = TileView(...)`` is one, and so is every ``citywall.tile_views`` entry point of
another package. Each view draws the schema of the same type name
(wall/config/tile_registry.py); a schema without a view is an error at start.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Final, Protocol

from wall.config.models import WallConfigBase
from wall.config.tile_registry import tile_schemas
from wall.config.tiles.base import TileConfig
from wall.i18n import Translator
from wall.live.parts import BoundPart, LiveTile
from wall.tile_view import Strings, TileContext, TileView

if TYPE_CHECKING:
    from dash import Dash
    from dash.development.base_component import Component

ENTRY_POINT_GROUP: Final = "citywall.tile_views"


class PartSpec(Protocol):
    """What a declared live part tells about its values."""

    @property
    def name(self) -> str: ...
    @property
    def shape(self) -> type[object]: ...
    @property
    def keyed(self) -> bool: ...


class AnyTileView(Protocol):
    """A ``TileView`` of any schema, as pages and the registry use it."""

    @property
    def name(self) -> str: ...
    @property
    def schema(self) -> type[TileConfig]: ...
    @property
    def renderer(self) -> str | None: ...
    @property
    def strings(self) -> Strings: ...
    @property
    def register_callbacks(self) -> Callable[[Dash], None] | None: ...
    @property
    def shows_staleness(self) -> bool: ...
    @property
    def tablet_order(self) -> int | None: ...
    def render(self, tile: TileConfig, ctx: TileContext) -> Component: ...
    def parts(self, tile: TileConfig) -> tuple[BoundPart, ...]: ...
    def part_specs(self, tile: TileConfig) -> tuple[PartSpec, ...]: ...


Views = dict[str, AnyTileView]


def views_in(modules: Iterable[ModuleType]) -> Views:
    """The views declared by ``modules``; a type with two views is a programming error."""
    found: Views = {}
    for module in modules:
        view = getattr(module, "VIEW", None)
        if not isinstance(view, TileView):
            continue
        if view.name in found:
            raise RuntimeError(f"tile type {view.name!r} has two views ({module.__name__})")
        found[view.name] = view
    return dict(sorted(found.items()))


def check_pairs(views: Mapping[str, AnyTileView], schemas: Mapping[str, type[TileConfig]]) -> None:
    """Every schema has its view, drawing that very model."""
    missing = sorted(set(schemas) - set(views))
    if missing:
        raise RuntimeError(f"tile types without a view: {', '.join(missing)}")
    for name, view in views.items():
        if name in schemas and view.schema is not schemas[name]:
            raise RuntimeError(f"the view of {name!r} draws another model than its schema")


def _builtin_modules() -> list[ModuleType]:
    package = importlib.import_module("wall.tiles")
    names = (
        f"wall.tiles.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    )
    return [importlib.import_module(name) for name in names]


def _plugin_modules() -> list[ModuleType]:
    return [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]


@cache
def tile_views() -> Views:
    """Every tile type's view of this installation, by type name, each with its schema."""
    views = views_in([*_builtin_modules(), *_plugin_modules()])
    check_pairs(views, tile_schemas())
    return views


def view_strings(views: Iterable[AnyTileView]) -> dict[str, dict[str, str]]:
    """The views' labels merged per locale (for the Translator)."""
    merged: dict[str, dict[str, str]] = {}
    for view in views:
        for locale, strings in view.strings.items():
            merged.setdefault(locale, {}).update(strings)
    return merged


def live_tiles(config: WallConfigBase, views: Mapping[str, AnyTileView]) -> list[LiveTile]:
    """Every tile of the config that shows live data, with its parts bound to it."""
    tiles = []
    for tile in config.tiles:
        parts = views[tile.type].parts(tile)
        if parts:
            tiles.append(LiveTile(tile.id, parts))
    return tiles


def wall_translator(locale: str, views: Mapping[str, AnyTileView] | None = None) -> Translator:
    """The wall's language with every tile view's own labels."""
    chosen = views if views is not None else tile_views()
    return Translator(locale, view_strings(chosen.values()))
