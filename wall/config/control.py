"""What operators can do to the wall, declared in YAML: tours, presets, the alarm pop-up."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from wall.config.base import StrictModel

MIN_DWELL_S = 3.0  # a camera shown for less cannot be read by anyone


def _name(value: str) -> str:
    """A name people type (any script) that is also safe in a URL and a Redis field."""
    if not value.strip() or value != value.strip() or "/" in value or len(value) > 64:
        raise ValueError("a name is 1 to 64 characters, without / or surrounding spaces")
    return value


class TourSpec(StrictModel):
    """A camera tour (视频巡逻): the tile shows each camera of the list in turn."""

    name: str = Field(description="Name shown in the console, e.g. 早高峰巡逻.")
    cameras: list[str] = Field(
        default_factory=list, description="Camera ids, in the order shown (or give group)."
    )
    group: str | None = Field(
        default=None, description="A camera group (cameras.groups) to tour instead of cameras."
    )
    dwell_s: float = Field(
        default=10.0, ge=MIN_DWELL_S, le=3600, description="Seconds each camera stays (≥ 3)."
    )

    _named = field_validator("name")(_name)

    @model_validator(mode="after")
    def _one_list(self) -> TourSpec:
        if bool(self.cameras) == bool(self.group):
            raise ValueError("give either cameras or group")
        return self


class PresetTileSpec(StrictModel):
    """What one camera tile shows in a preset: cameras, or a running tour."""

    cameras: list[str] = Field(
        default_factory=list, description="1, 4, 9 or 16 camera ids (the tile's cells)."
    )
    tour: str | None = Field(default=None, description="Name of a tour to run on the tile.")

    @field_validator("cameras")
    @classmethod
    def _square(cls, cameras: list[str]) -> list[str]:
        if cameras and len(cameras) not in (1, 4, 9, 16):
            raise ValueError(f"give 1, 4, 9 or 16 cameras, not {len(cameras)}")
        return cameras

    @model_validator(mode="after")
    def _one_thing(self) -> PresetTileSpec:
        if bool(self.cameras) == bool(self.tour):
            raise ValueError("give either cameras or tour")
        return self


class PresetSpec(StrictModel):
    """A named wall state: recalled in one click from the console."""

    name: str = Field(description="Name shown in the console, e.g. 防汛.")
    _named = field_validator("name")(_name)

    tiles: dict[str, PresetTileSpec] = Field(
        description="Camera tile id → what it shows; tiles not named keep their config cameras."
    )


class AlarmSpec(StrictModel):
    """The alarm pop-up: a new urgent case or video auto-capture takes over one camera tile."""

    tile: str = Field(description="Id of the camera tile the nearest camera goes to.")
    radius_m: float = Field(
        default=500, gt=0, le=20_000, description="Only cameras this close to the case qualify."
    )
    revert_s: float = Field(
        default=120, ge=5, le=86_400, description="Seconds before the tile reverts by itself."
    )
    urgent: bool = Field(default=True, description="Pop up for cases of priority urgent (紧急).")
    video_capture: bool = Field(
        default=True, description="Pop up for cases found by video auto-capture (source video)."
    )

    @field_validator("tile")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("name the alarm tile")
        return value
