"""Tile types are found, not listed: every module in ``wall.tiles`` that defines
``TILE_TYPE`` is one, and so is every ``citywall.tiles`` entry point of other packages.
Adding a tile type therefore touches no central list.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType

from wall.tiles.base import TileType

ENTRY_POINT_GROUP = "citywall.tiles"


def tile_types_in(modules: Iterable[ModuleType]) -> dict[str, TileType]:
    """The tile types declared by ``modules``; a name declared twice is a programming error."""
    found: dict[str, TileType] = {}
    for module in modules:
        tile_type = getattr(module, "TILE_TYPE", None)
        if not isinstance(tile_type, TileType):
            continue
        if tile_type.name in found:
            raise RuntimeError(
                f"tile type {tile_type.name!r} is declared twice ({module.__name__})"
            )
        found[tile_type.name] = tile_type
    return dict(sorted(found.items()))


def _builtin_modules() -> list[ModuleType]:
    package = importlib.import_module("wall.tiles")
    names = (
        f"wall.tiles.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_") and info.name not in {"base", "registry"}
    )
    return [importlib.import_module(name) for name in names]


def _plugin_modules() -> list[ModuleType]:
    return [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]


@cache
def tile_types() -> dict[str, TileType]:
    """All tile types available to this installation, by name."""
    return tile_types_in([*_builtin_modules(), *_plugin_modules()])
