"""Run the simulation against a writer: backfill the past, then play the present.

Simulated time is ``start + (clock() − t0) × speed``. Every ~100 ms of wall time the
events whose simulated time has come are written in one batch; since consecutive
windows share their bounds, what is written is exactly ``events_between`` of the
whole run, however the ticks fell (or however long a Redis outage held a write).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from data_feeds.events import STREAMS, Event, stream_of
from data_feeds.simulator.cameras import camera_snapshot
from data_feeds.simulator.entries import order_key
from data_feeds.simulator.positions import officer_snapshot
from data_feeds.simulator.settings import CitySettings
from data_feeds.simulator.timebase import to_ms
from data_feeds.simulator.timeline import events_between

log = logging.getLogger(__name__)

TICK: Final = 0.1  # seconds of wall time between live batches
BATCH: Final = 500  # events per write
MAX_SPEED: Final = 10_000.0
# An officer reports every 30 s of simulated time, but never more often than every
# 2 s of wall time: at 10,000× that is every 20,000 s (5.6 h) of simulated time.
MIN_POSITION_EVERY: Final = timedelta(seconds=30)
WALL_POSITION_EVERY: Final = timedelta(seconds=2)
OFFICER_BACKFILL: Final = timedelta(hours=24)
INFINITE_STEP: Final = timedelta(hours=1)  # at ∞, the window per round (stop() is checked)


@dataclass
class SimulationStats:
    start: datetime  # simulated time the live run started at
    end: datetime  # simulated time reached
    backfill_from: datetime | None = None
    written: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STREAMS, 0))
    stopped: bool = False  # stop() turned true or the writer gave up

    @property
    def total(self) -> int:
        return sum(self.written.values())


def position_interval(speed: float) -> timedelta:
    """Simulated time between two fixes of one officer at this speed (∞ counts as 10,000)."""
    return max(MIN_POSITION_EVERY, WALL_POSITION_EVERY * min(speed, MAX_SPEED))


class Simulator:
    def __init__(
        self,
        settings: CitySettings,
        write: Callable[[Sequence[Event]], bool],
        *,
        speed: float = 1.0,
        start: datetime | None = None,
        backfill_from: datetime | None = None,
        stop: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (math.isinf(speed) and speed > 0) and not 1 <= speed <= MAX_SPEED:
            raise ValueError(f"speed must be 1..{MAX_SPEED:,.0f} or inf, got {speed}")
        self.settings = settings
        self.speed = speed
        self.start = start if start is not None else datetime.now(UTC)
        to_ms(self.start)  # refuses a naive time
        if backfill_from is not None and to_ms(backfill_from) > to_ms(self.start):
            raise ValueError("backfill_from must not be after start")
        self.backfill_from = backfill_from
        self._write = write
        self._stop = stop
        self._clock = clock
        self._sleep = sleep

    def run(self, duration: timedelta | None = None) -> SimulationStats:
        """Backfill, then play live until ``duration`` of simulated time has passed or stop()."""
        if duration is None and math.isinf(self.speed):
            raise ValueError("speed inf needs a duration")
        if duration is not None and duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        stats = SimulationStats(self.start, self.start, self.backfill_from)
        if self.backfill_from is not None and not self._backfill(stats):
            return stats
        end = self.start + duration if duration is not None else None
        self._live(stats, end)
        return stats

    def _backfill(self, stats: SimulationStats) -> bool:
        """[backfill_from, start) at full speed: no positions, officers' last 24 h only."""
        assert self.backfill_from is not None
        recent = max(self.backfill_from, self.start - OFFICER_BACKFILL)
        others = [name for name in STREAMS if name != "officers"]
        events = heapq.merge(
            events_between(self.settings, self.backfill_from, self.start, streams=others),
            events_between(
                self.settings, recent, self.start, positions=False, streams=["officers"]
            ),
            key=order_key,
        )
        log.info("simulator: backfilling from %s to %s", self.backfill_from, self.start)
        return self._write_all(events, stats)

    def _live(self, stats: SimulationStats, end: datetime | None) -> None:
        every = position_interval(self.speed)
        t0 = self._clock()
        log.info("simulator: live from %s at %gx, a fix every %s", self.start, self.speed, every)
        if not self._write_all(self._snapshot(), stats):
            return
        cursor = self.start
        while not self._stopped(stats):
            tick = self._clock()
            upto = self._due(tick - t0, cursor, end)
            if upto > cursor:
                events = events_between(self.settings, cursor, upto, position_every=every)
                if not self._write_all(events, stats):
                    return
                cursor = stats.end = upto
            if end is not None and cursor >= end:
                return
            if not math.isinf(self.speed):
                self._sleep(max(0.0, TICK - (self._clock() - tick)))

    def _due(self, elapsed: float, cursor: datetime, end: datetime | None) -> datetime:
        """How far simulated time has come; at ∞ one step further, never past the end."""
        if math.isinf(self.speed):
            assert end is not None
            return min(cursor + INFINITE_STEP, end)
        now = self.start + timedelta(seconds=elapsed * self.speed)
        return now if end is None else min(now, end)

    def _snapshot(self) -> list[Event]:
        """What the wall needs at once: every camera's and every officer's state now."""
        ms = to_ms(self.start)
        return [*camera_snapshot(self.settings, ms), *officer_snapshot(self.settings, ms)]

    def _write_all(self, events: Iterable[Event], stats: SimulationStats) -> bool:
        iterator = iter(events)
        while batch := list(itertools.islice(iterator, BATCH)):
            if self._stopped(stats) or not self._write(batch):
                stats.stopped = True
                return False
            for event in batch:
                stats.written[stream_of(event)] += 1
        return True

    def _stopped(self, stats: SimulationStats) -> bool:
        if self._stop():
            stats.stopped = True
        return stats.stopped
