"""The values of the wall state: what a camera tile shows, a running tour, an alarm.

A tour needs no process to advance it: the camera shown is a function of the time
since the tour started, so every screen (and the console's miniature) computes the
same one from the same three numbers.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

AlarmReason = Literal["urgent", "video"]


@dataclass(frozen=True)
class TourRun:
    name: str
    cameras: tuple[str, ...]
    dwell_s: float
    started_ms: int

    def step(self, now_ms: int) -> int:
        # round(), as assets/tiles/camera.js's Math.round: screens and server agree
        return max(0, (now_ms - self.started_ms) // max(1, round(self.dwell_s * 1000)))

    def cameras_at(self, now_ms: int, cells: int) -> tuple[str, ...]:
        """The cells' cameras at ``now_ms``: a tour of a 4-cell tile turns 4 at a time."""
        count = len(self.cameras)
        pages = max(1, math.ceil(count / cells))
        first = (self.step(now_ms) % pages) * cells
        return tuple(self.cameras[(first + cell) % count] for cell in range(cells))

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "cameras": list(self.cameras)}


@dataclass(frozen=True)
class TileView:
    """What one camera tile shows: its cells, or a tour over as many cells."""

    tile_id: str
    cameras: tuple[str, ...]
    tour: TourRun | None = None
    by: str = ""  # "" for the config's own cameras
    at_ms: int = 0

    @property
    def cells(self) -> int:
        return len(self.cameras)

    def showing(self, now_ms: int) -> tuple[str, ...]:
        return self.tour.cameras_at(now_ms, self.cells) if self.tour else self.cameras

    def as_json(self) -> dict[str, Any]:
        return {
            "tile_id": self.tile_id,
            "cameras": list(self.cameras),
            "tour": self.tour.as_json() if self.tour else None,
            "by": self.by,
            "at_ms": self.at_ms,
        }

    def dumps(self) -> str:
        return json.dumps(self.as_json(), ensure_ascii=False)

    @classmethod
    def loads(cls, text: str | bytes) -> TileView:
        raw = json.loads(text)
        tour = raw.get("tour")
        return cls(
            tile_id=raw["tile_id"],
            cameras=tuple(raw["cameras"]),
            tour=TourRun(
                tour["name"],
                tuple(tour["cameras"]),
                float(tour["dwell_s"]),
                int(tour["started_ms"]),
            )
            if tour
            else None,
            by=raw.get("by", ""),
            at_ms=int(raw.get("at_ms", 0)),
        )


@dataclass(frozen=True)
class Alarm:
    """A case that took over the alarm tile, until ``until_ms`` or an acknowledgement."""

    case_id: str
    reason: AlarmReason
    tile_id: str
    lat: float
    lon: float
    started_ms: int
    until_ms: int
    camera_id: str | None = None  # None: no online camera within the radius
    distance_m: float | None = None
    category: str = ""  # the category's name, for the banner
    grid: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def active(self, now_ms: int) -> bool:
        return now_ms < self.until_ms

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def loads(cls, text: str | bytes) -> Alarm:
        return cls(**json.loads(text))
