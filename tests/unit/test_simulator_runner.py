"""The Simulator on a fake clock and an in-memory writer: backfill, snapshot, live pacing."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from data_feeds.events import CameraEvent, Event, OfficerEvent, stream_of
from data_feeds.simulator import (
    CitySettings,
    Simulator,
    events_between,
    position_interval,
)

TZ = ZoneInfo("Asia/Shanghai")
SETTINGS = CitySettings(
    bounds=((28.64, 112.83), (28.74, 112.95)),
    camera_ids=tuple(f"XY-{n:03d}" for n in range(1, 348)),
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday morning, the day shift out


class FakeTime:
    """A clock that only moves when the simulator sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Sink:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[Event]] = []
        self.fail_on = fail_on

    def write(self, events: Sequence[Event]) -> bool:
        if self.fail_on is not None and len(self.batches) == self.fail_on:
            return False
        self.batches.append(list(events))
        return True

    @property
    def events(self) -> list[Event]:
        return [event for batch in self.batches for event in batch]


def simulator(
    sink: Sink,
    fake: FakeTime,
    *,
    speed: float = 1.0,
    backfill_from: datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> Simulator:
    return Simulator(
        SETTINGS,
        sink.write,
        speed=speed,
        start=START,
        backfill_from=backfill_from,
        stop=stop,
        clock=fake.clock,
        sleep=fake.sleep,
    )


def is_snapshot(event: Event) -> bool:
    return event.event_id.startswith(("ks-", "os-", "ps-"))


def test_backfill_then_snapshot_then_live() -> None:
    sink, fake = Sink(), FakeTime()
    backfill_from = START - timedelta(days=2)
    stats = simulator(sink, fake, speed=1000, backfill_from=backfill_from).run(timedelta(hours=2))
    written = sink.events
    first_live = next(n for n, event in enumerate(written) if is_snapshot(event))
    backfill, snapshot = written[:first_live], written[first_live : first_live + 347 + 2 * 312]
    live = written[first_live + len(snapshot) :]

    cutoff = START - timedelta(hours=24)
    expected = [
        event
        for event in events_between(SETTINGS, backfill_from, START, positions=False)
        if not (isinstance(event, OfficerEvent) and event.time < cutoff)
    ]
    assert backfill == expected
    assert any(isinstance(e, OfficerEvent) for e in backfill)
    assert all(not isinstance(e, OfficerEvent) or e.action != "position" for e in backfill)

    assert all(is_snapshot(event) and event.time == START for event in snapshot)
    assert sum(isinstance(e, CameraEvent) for e in snapshot) == 347
    positions = [e for e in snapshot if isinstance(e, OfficerEvent) and e.action == "position"]
    assert len({e.officer_id for e in positions}) == 312

    every = timedelta(seconds=2000)  # max(30 s, 2 s × 1000)
    assert live == list(
        events_between(SETTINGS, START, START + timedelta(hours=2), position_every=every)
    )
    fixes: dict[str, list[datetime]] = {}
    for event in live:
        if isinstance(event, OfficerEvent) and event.action == "position":
            fixes.setdefault(event.officer_id, []).append(event.time)
    assert len(fixes) > 250
    assert all(b - a == every for times in fixes.values() for a, b in itertools.pairwise(times))

    assert all(len(batch) <= 500 for batch in sink.batches)
    assert stats.total == len(written) and sum(stats.written.values()) == len(written)
    assert stats.written["officers"] == sum(stream_of(e) == "officers" for e in written)
    assert (stats.start, stats.end, stats.stopped) == (START, START + timedelta(hours=2), False)


def test_camera_snapshot_agrees_with_the_outage_events() -> None:
    sink, fake = Sink(), FakeTime()
    simulator(sink, fake, speed=1000).run(timedelta(0))
    snapshot = {e.camera_id: e.status for e in sink.events if isinstance(e, CameraEvent)}
    state: dict[str, str] = {}
    history = events_between(SETTINGS, START - timedelta(days=2), START, streams=["cameras"])
    for event in history:
        assert isinstance(event, CameraEvent)
        state[event.camera_id] = event.status
    offline = {camera for camera, status in state.items() if status == "offline"}
    assert {camera for camera, status in snapshot.items() if status == "offline"} == offline
    assert len(snapshot) == 347


def test_live_ticks_every_tenth_of_a_second() -> None:
    sink, fake = Sink(), FakeTime()
    simulator(sink, fake, speed=600).run(timedelta(minutes=30))
    assert len(fake.sleeps) == 30 and all(s == pytest.approx(0.1) for s in fake.sleeps)
    assert fake.now == pytest.approx(1003.0)  # 30 min at 600× is 3 s of wall time


def test_infinite_speed_never_sleeps_and_needs_a_duration() -> None:
    sink, fake = Sink(), FakeTime()
    stats = simulator(sink, fake, speed=float("inf")).run(timedelta(hours=3))
    live = [event for event in sink.events if not is_snapshot(event)]
    every = position_interval(float("inf"))
    assert live == list(
        events_between(SETTINGS, START, START + timedelta(hours=3), position_every=every)
    )
    assert fake.sleeps == [] and stats.end == START + timedelta(hours=3)
    with pytest.raises(ValueError, match="duration"):
        simulator(Sink(), fake, speed=float("inf")).run()


def test_a_stopped_writer_ends_the_run() -> None:
    sink, fake = Sink(fail_on=2), FakeTime()
    stats = simulator(sink, fake, backfill_from=START - timedelta(days=3)).run(timedelta(hours=1))
    assert stats.stopped and len(sink.batches) == 2 and stats.total == 1000


def test_stop_ends_the_live_run() -> None:
    sink, fake = Sink(), FakeTime()
    stats = simulator(sink, fake, speed=100, stop=lambda: fake.now > 1002).run()
    assert stats.stopped
    assert START + timedelta(seconds=190) <= stats.end <= START + timedelta(seconds=210)


def test_speeds_and_position_throttle() -> None:
    assert position_interval(1) == timedelta(seconds=30)
    assert position_interval(15) == timedelta(seconds=30)
    assert position_interval(10_000) == timedelta(seconds=20_000)  # 2 s of wall time
    assert position_interval(float("inf")) == timedelta(seconds=20_000)
    fake = FakeTime()
    for bad in (0.5, 10_001, float("nan"), -float("inf")):
        with pytest.raises(ValueError, match="speed"):
            simulator(Sink(), fake, speed=bad)
    with pytest.raises(ValueError, match="naive"):
        Simulator(SETTINGS, Sink().write, start=datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="backfill_from"):
        simulator(Sink(), fake, backfill_from=START + timedelta(seconds=1))
