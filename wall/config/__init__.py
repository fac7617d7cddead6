"""The wall's declarative config: load, validate, report every problem with its line.

The names below are loaded on first use (PEP 562): tile modules import
``wall.config.base`` while the models import the tile registry, so importing this
package must not import the models eagerly, whichever module comes first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wall.config.issues import ConfigError, ConfigIssue
    from wall.config.loader import load_config, parse_config
    from wall.config.models import Camera, MapSpec, WallConfig, WallSpec, config_model

_HOMES = {
    "ConfigError": "wall.config.issues",
    "ConfigIssue": "wall.config.issues",
    "load_config": "wall.config.loader",
    "parse_config": "wall.config.loader",
    "Camera": "wall.config.models",
    "MapSpec": "wall.config.models",
    "WallConfig": "wall.config.models",
    "WallSpec": "wall.config.models",
    "config_model": "wall.config.models",
}
__all__ = [
    "Camera",
    "ConfigError",
    "ConfigIssue",
    "MapSpec",
    "WallConfig",
    "WallSpec",
    "config_model",
    "load_config",
    "parse_config",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'wall.config' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
