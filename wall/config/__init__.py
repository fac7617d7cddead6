"""The wall's declarative config: load, validate, report every problem with its line.

Pure data: loading a config imports pydantic and the tile schemas, never Dash, plotly,
pandas or the video stack (a test checks it), so ``check-config``, the relay and the
aggregator start without the web tier.
"""

from wall.config.issues import ConfigError, ConfigIssue
from wall.config.loader import load_config, parse_config
from wall.config.models import Camera, MapSpec, WallConfig, WallSpec, config_model

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
