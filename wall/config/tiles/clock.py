"""``clock``: date and time in the hall's time zone (the view: wall/tiles/clock.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wall.config.tiles.base import TileConfig


class ClockTile(TileConfig):
    """A clock: time large, date and weekday below."""

    type: Literal["clock"] = Field(description="Tile type.")
    label: str | None = Field(default=None, description="Caption above the time; default 北京时间.")
    show_seconds: bool = Field(default=True, description="Show seconds.")
    show_date: bool = Field(default=True, description="Show the date under the time.")
    show_weekday: bool = Field(default=True, description="Add the weekday to the date.")
    timezone: str | None = Field(default=None, description="IANA time zone; default the wall's.")
