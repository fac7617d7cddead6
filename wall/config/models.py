"""The wall config: pydantic v2 models, every key described, unknown keys refused.

The ``tiles`` list is a discriminated union on ``type`` built from the tile-type
registry, so a new tile type extends the schema without touching this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import Field, create_model, model_validator

from wall.config.auth import AuthSpec
from wall.config.autocapture import AutocaptureSpec
from wall.config.base import StrictModel
from wall.config.control import AlarmSpec, PresetSpec, TourSpec
from wall.config.cross_checks import cross_check
from wall.config.ingest import IngestSpec
from wall.config.issues import CrossCheckError
from wall.config.sections import (
    CAMERA_ID_PATTERN,
    Camera,
    CamerasConfig,
    MapSpec,
    RedisSpec,
    RelaySpec,
    SnapshotsSpec,
    WallSpec,
    WebSpec,
)
from wall.config.tile_registry import tile_schemas
from wall.config.tiles.base import TileConfig

__all__ = ["CAMERA_ID_PATTERN", "Camera", "MapSpec", "WallConfig", "WallConfigBase", "WallSpec"]


class WallConfigBase(StrictModel):
    """The whole wall_config.yaml. ``tiles`` is typed per installation by ``config_model()``."""

    version: Literal[1] = Field(default=1, description="Config format version.")
    wall: WallSpec = Field(description="The physical wall.")
    tiles: Sequence[TileConfig] = Field(description="What each part of the wall shows.")
    cameras: CamerasConfig = Field(
        default_factory=CamerasConfig, description="The camera inventory."
    )
    map: MapSpec = Field(description="The e-map.")
    redis: RedisSpec = Field(default_factory=RedisSpec, description="Live data store.")
    relay: RelaySpec = Field(default_factory=RelaySpec, description="The video relay.")
    auth: AuthSpec = Field(default_factory=AuthSpec, description="Sign-in: users and roles.")
    tours: list[TourSpec] = Field(
        default_factory=list, description="Camera tours (视频巡逻) operators can start on a tile."
    )
    presets: list[PresetSpec] = Field(
        default_factory=list, description="Named wall states operators can recall."
    )
    alarms: AlarmSpec | None = Field(
        default=None, description="The alarm pop-up; omit to have none."
    )
    web: WebSpec = Field(default_factory=WebSpec, description="The web server itself.")
    snapshots: SnapshotsSpec = Field(
        default_factory=SnapshotsSpec, description="Evidence snapshots: retention, free disk."
    )
    ingest: IngestSpec = Field(
        default_factory=IngestSpec,
        description="Other systems' events over HTTP and the officers' terminals (OsmAnd).",
    )
    autocapture: AutocaptureSpec | None = Field(
        default=None,
        description="Smart auto-capture (智能算法自动抓拍): Frigate's detections over MQTT "
        "become video cases (citywall autocapture); omit to have none.",
    )

    @model_validator(mode="after")
    def _cross_check(self) -> WallConfigBase:
        problems = cross_check(self)
        if problems:
            raise CrossCheckError(problems)
        return self

    def camera_ids(self) -> set[str]:
        return {camera.id for camera in self.cameras.items}

    def camera_names(self) -> dict[str, str]:
        """camera id → its name (the road or intersection)."""
        return {camera.id: camera.name for camera in self.cameras.items}

    def camera_tiles(self) -> list[TileConfig]:
        """The tiles that hold cameras (their schema says so: ``camera_cells``)."""
        return [tile for tile in self.tiles if tile.camera_cells() is not None]

    def tour_cameras(self, tour: TourSpec) -> list[str]:
        return list(tour.cameras or self.cameras.groups.get(tour.group or "", []))


# mypy sees every concrete config as WallConfigBase; the runtime class adds the union.
WallConfig = WallConfigBase


def config_model(schemas: Mapping[str, type[TileConfig]] | None = None) -> type[WallConfigBase]:
    """The WallConfig model whose ``tiles`` accept exactly the given tile schemas
    (default: every tile type of this installation)."""
    return _config_model(tuple((schemas if schemas is not None else tile_schemas()).values()))


@cache
def _config_model(models: tuple[type[TileConfig], ...]) -> type[WallConfigBase]:
    tile_union: Any = (
        Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007 (runtime tuple)
        if len(models) > 1
        else models[0]
    )
    field: Any = (list[tile_union], Field(description="What each part of the wall shows."))
    model: type[WallConfigBase] = create_model(
        "WallConfig", __base__=WallConfigBase, __module__=__name__, tiles=field
    )
    return model
