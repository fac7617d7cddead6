"""Tile schemas are found, not listed: every ``TileConfig`` subclass with a literal
``type`` defined in a module of ``wall.config.tiles`` is one, and so is every one in
a module named by a ``citywall.tile_schemas`` entry point of another package. Adding
a tile type therefore touches no central list. Pure data: no view is imported.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType
from typing import Final, get_args, get_origin

from wall.config.tiles.base import TileConfig

ENTRY_POINT_GROUP: Final = "citywall.tile_schemas"
Schemas = dict[str, type[TileConfig]]


def type_name(model: type[TileConfig]) -> str | None:
    """The tile type a model declares (its ``type: Literal["<name>"]``), else None."""
    field = model.model_fields.get("type")
    annotation = field.annotation if field is not None else None
    if get_origin(annotation) is None or len(get_args(annotation)) != 1:
        return None
    name = get_args(annotation)[0]
    return name if isinstance(name, str) else None


def schemas_in(modules: Iterable[ModuleType]) -> Schemas:
    """The tile schemas defined in ``modules``; a type declared twice is a programming error."""
    found: Schemas = {}
    for module in modules:
        for _name, model in inspect.getmembers(module, inspect.isclass):
            if model.__module__ != module.__name__ or not issubclass(model, TileConfig):
                continue
            name = type_name(model)
            if name is None:
                continue
            if name in found:
                raise RuntimeError(f"tile type {name!r} is declared twice ({module.__name__})")
            found[name] = model
    return dict(sorted(found.items()))


def _builtin_modules() -> list[ModuleType]:
    package = importlib.import_module("wall.config.tiles")
    names = (
        f"wall.config.tiles.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_") and info.name != "base"
    )
    return [importlib.import_module(name) for name in names]


def _plugin_modules() -> list[ModuleType]:
    return [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]


@cache
def tile_schemas() -> Schemas:
    """Every tile type's config model available to this installation, by type name."""
    return schemas_in([*_builtin_modules(), *_plugin_modules()])
