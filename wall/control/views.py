"""The values of the wall state: what a camera tile holds, a running tour, an alarm,
and — computed here once for every screen, the console and the server's own actions —
what its cells show at a given moment (``showing``): the alarm over a tour over the
operators' pick.

A tour needs no process to advance it: the camera shown is a function of the time
since the tour started. The web tier's hub rebuilds a camera tile's view at each step
(``Showing.next_ms``) and pushes it; screens only draw what they are sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from typing_extensions import TypedDict

AlarmReason = Literal["urgent", "video"]


class TourJson(TypedDict):
    name: str
    cameras: list[str]
    dwell_s: float
    started_ms: int


class TileStateJson(TypedDict):
    tile_id: str
    cameras: list[str]
    tour: TourJson | None
    by: str
    at_ms: int


class AlarmJson(TypedDict):
    """The alarm as it is stored, audited and pushed (banner, map focus)."""

    case_id: str
    reason: AlarmReason
    tile_id: str
    lat: float
    lon: float
    started_ms: int
    until_ms: int
    camera_id: str | None
    distance_m: float | None
    category: str
    grid: str
    extra: dict[str, object]


@dataclass(frozen=True)
class TourRun:
    name: str
    cameras: tuple[str, ...]
    dwell_s: float
    started_ms: int

    @property
    def dwell_ms(self) -> int:
        return max(1, round(self.dwell_s * 1000))

    def step(self, now_ms: int) -> int:
        return max(0, (now_ms - self.started_ms) // self.dwell_ms)

    def pages(self, cells: int) -> int:
        """Steps before the tour starts over: a 4-cell tile turns 4 cameras at a time."""
        return max(1, math.ceil(len(self.cameras) / cells))

    def cameras_at(self, now_ms: int, cells: int) -> tuple[str, ...]:
        """The cells' cameras at ``now_ms``."""
        count = len(self.cameras)
        first = (self.step(now_ms) % self.pages(cells)) * cells
        return tuple(self.cameras[(first + cell) % count] for cell in range(cells))

    def next_step_ms(self, now_ms: int) -> int:
        return self.started_ms + (self.step(now_ms) + 1) * self.dwell_ms

    def as_json(self) -> TourJson:
        return {"name": self.name, "cameras": list(self.cameras), "dwell_s": self.dwell_s,
                "started_ms": self.started_ms}  # fmt: skip


@dataclass(frozen=True)
class TileState:
    """What one camera tile holds: its cells' cameras, or a tour over as many cells."""

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

    def as_json(self) -> TileStateJson:
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
    def loads(cls, text: str | bytes) -> TileState:
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
    extra: dict[str, object] = field(default_factory=dict)

    def active(self, now_ms: int) -> bool:
        return now_ms < self.until_ms

    def as_json(self) -> AlarmJson:
        return {
            "case_id": self.case_id, "reason": self.reason, "tile_id": self.tile_id,
            "lat": self.lat, "lon": self.lon, "started_ms": self.started_ms,
            "until_ms": self.until_ms, "camera_id": self.camera_id,
            "distance_m": self.distance_m, "category": self.category, "grid": self.grid,
            "extra": dict(self.extra),
        }  # fmt: skip

    def dumps(self) -> str:
        return json.dumps(self.as_json(), ensure_ascii=False)

    @classmethod
    def loads(cls, text: str | bytes) -> Alarm:
        return cls(**json.loads(text))


class HighlightJson(TypedDict):
    """A case an operator shows on the wall's e-maps (the case panel's button)."""

    case_id: str
    lat: float
    lon: float
    until_ms: int
    reason: str  # "highlight": the ring's style
    by: str


class FocusJson(TypedDict, total=False):
    """An item of the e-map's ``focus`` part: the alarm (``AlarmJson``, key "alarm") or
    an operator's highlight (``HighlightJson``, key "highlight"); the map reads case_id,
    lat, lon, until_ms and reason of either."""

    case_id: str
    reason: str
    lat: float
    lon: float
    until_ms: int
    tile_id: str
    started_ms: int
    camera_id: str | None
    distance_m: float | None
    category: str
    grid: str
    extra: dict[str, object]
    by: str


@dataclass(frozen=True)
class TourStep:
    name: str
    step: int  # 1-based
    pages: int


@dataclass(frozen=True)
class Showing:
    """What a camera tile's cells show at one moment, and when that changes by itself."""

    cameras: tuple[str, ...]
    stream: str  # main or sub
    alarm: Alarm | None = None  # the alarm on this tile (with or without a camera)
    tour: TourStep | None = None  # the tour turning the cells (not while an alarm holds them)
    next_ms: int | None = None  # the next tour step or the alarm's end


# How far ahead a camera tile's view lists what comes next: screens apply the steps on
# their own if no push reaches them (Redis or the event stream away), so a tour keeps
# turning and an alarm still ends for that long.
AHEAD_MS = 10 * 60 * 1000
AHEAD_STEPS = 32


def showing(
    state: TileState, alarm: Alarm | None, stream_for: Callable[[int], str], now_ms: int
) -> Showing:
    """The one answer to "what does this tile show now": the alarm's camera while an
    alarm holds the tile, else the tour's step, else the operators' (or config's) pick.
    ``stream_for(cells)`` is the tile's stream choice (wall.config CameraTile)."""
    mine = alarm if alarm is not None and alarm.tile_id == state.tile_id else None
    if mine is not None and not mine.active(now_ms):
        mine = None
    if mine is not None and mine.camera_id:
        return Showing((mine.camera_id,), stream_for(1), mine, None, mine.until_ms)
    cells = state.cells
    tour = state.tour
    ends = mine.until_ms if mine is not None else None
    if tour is None:
        return Showing(state.cameras, stream_for(cells), mine, None, ends)
    step = TourStep(tour.name, tour.step(now_ms) % tour.pages(cells) + 1, tour.pages(cells))
    turn = tour.next_step_ms(now_ms)
    return Showing(tour.cameras_at(now_ms, cells), stream_for(cells), mine, step,
                   min(turn, ends) if ends is not None else turn)  # fmt: skip


def ahead(
    state: TileState,
    alarm: Alarm | None,
    stream_for: Callable[[int], str],
    now_ms: int,
    horizon_ms: int = AHEAD_MS,
    most: int = AHEAD_STEPS,
) -> list[tuple[int, Showing]]:
    """What the tile will show at each of its coming changes (tour steps, the alarm's
    end), within ``horizon_ms``: ``showing`` at those times, for screens to apply."""
    steps: list[tuple[int, Showing]] = []
    current = showing(state, alarm, stream_for, now_ms)
    while len(steps) < most and current.next_ms is not None:
        at = current.next_ms
        if at - now_ms > horizon_ms:
            break
        current = showing(state, alarm, stream_for, at)
        steps.append((at, current))
    return steps
