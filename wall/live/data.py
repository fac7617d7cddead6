"""What one build of the live tiles reads, read once: when three tiles show today's
KPIs, Redis is asked once. A ``LiveData`` lives for one build of the hub."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any, TypeVar, cast

import pandas as pd
import redis

from data_feeds.kpis import Dimension, KpiReader
from wall.config.models import WallConfigBase
from wall.control import Alarm, TileState, WallControl
from wall.control.views import HighlightJson
from wall.i18n import Translator

T = TypeVar("T")
TRAIL_WINDOW_MS = 15 * 60 * 1000


class LiveData:
    def __init__(
        self, client: redis.Redis, reader: KpiReader, config: WallConfigBase, translate: Translator
    ) -> None:
        self.client = client
        self.reader = reader
        self.config = config
        self.translate = translate
        self._memo: dict[Hashable, Any] = {}
        # The data clock, unless the wall clock is ahead: a quiet hour must not stop
        # deadlines from passing (a simulation faster than real time runs ahead of it).
        self.now: datetime = max(reader.now(), datetime.now(reader.zone))

    def _once(self, key: Hashable, read: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = read()
        return cast(T, self._memo[key])

    def summary(self, start: datetime, end: datetime) -> pd.DataFrame:
        return self._once(("summary", start, end), lambda: self.reader.summary(start, end))

    def by(self, dimension: Dimension, start: datetime, end: datetime) -> pd.DataFrame:
        return self._once(
            ("by", dimension, start, end), lambda: self.reader.by(dimension, start, end)
        )

    def hourly(self, start: datetime, end: datetime, kpis: Iterable[str]) -> pd.DataFrame:
        names = tuple(kpis)
        return self._once(
            ("hourly", start, end, names), lambda: self.reader.hourly(start, end, names)
        )

    def open_cases(self) -> pd.DataFrame:
        return self._once(("open_cases",), self.reader.open_cases)

    def recent_cases(self, limit: int) -> pd.DataFrame:
        return self._once(("recent_cases", limit), lambda: self.reader.recent_cases(limit))

    def officers(self) -> pd.DataFrame:
        return self._once(("officers",), self.reader.officers)

    def cameras(self) -> pd.DataFrame:
        return self._once(("cameras",), self.reader.cameras)

    def wall_views(self) -> dict[str, TileState]:
        """What each camera tile shows (the operators' choice, else the config's)."""
        return self._once(("wall_views",), self._control().views)

    def alarm(self) -> Alarm | None:
        """The alarm pop-up on the wall now, if any."""
        return self._once(("alarm",), self._control().alarm)

    def highlight(self) -> HighlightJson | None:
        """The case an operator shows on the wall's e-maps, if any."""
        return self._once(("highlight",), self._control().highlight)

    def _control(self) -> WallControl:
        return self._once(("control",), lambda: WallControl(self.client, self.config))

    def wall_ms(self) -> int:
        """The wall clock now, ms (tours and alarms run on it, not on the data clock)."""
        return self._control().now_ms()

    def camera_names(self) -> dict[str, str]:
        return self._once(("camera_names",), self.config.camera_names)

    def trails(self, officer_ids: Iterable[str], points: int) -> dict[str, list[list[float]]]:
        """The officers' last ``points`` fixes, oldest first, as [lat, lon] pairs."""
        ids = sorted(officer_ids)
        key = ("trails", tuple(ids), points)
        return self._once(key, lambda: self._read_trails(ids, points))

    def _read_trails(self, ids: list[str], points: int) -> dict[str, list[list[float]]]:
        keys = self.reader.keys
        pipe = self.client.pipeline(transaction=False)
        for officer_id in ids:
            pipe.lrange(keys.trail(officer_id), 0, points - 1)
        trails: dict[str, list[list[float]]] = {}
        for officer_id, raw in zip(ids, pipe.execute(), strict=True):
            fixes = [[float(v) for v in point.decode().split(",")] for point in reversed(raw)]
            # A trail is the last minutes' walk: fixes from hours ago (a terminal that
            # was off) would draw a line straight across town.
            recent = fixes[-1][2] - TRAIL_WINDOW_MS if fixes else 0.0
            trails[officer_id] = [[lat, lon] for lat, lon, ms in fixes if ms >= recent]
        return trails
