"""What the cross-checks read of a config: its sections, as a protocol, so the checks
need not import the model that runs them (wall/config/models.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from wall.config.control import AlarmSpec, PresetSpec, TourSpec
from wall.config.sections import CamerasConfig, MapSpec, WallSpec
from wall.config.tiles.base import TileConfig


class ConfigShape(Protocol):
    @property
    def wall(self) -> WallSpec: ...
    @property
    def tiles(self) -> Sequence[TileConfig]: ...
    @property
    def cameras(self) -> CamerasConfig: ...
    @property
    def map(self) -> MapSpec: ...
    @property
    def tours(self) -> list[TourSpec]: ...
    @property
    def presets(self) -> list[PresetSpec]: ...
    @property
    def alarms(self) -> AlarmSpec | None: ...
    def camera_ids(self) -> set[str]: ...
    def camera_tiles(self) -> list[TileConfig]: ...
