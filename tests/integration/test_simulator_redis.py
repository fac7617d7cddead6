"""The simulator writing into a real Redis at 10,000×, riding out a Redis restart."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import redis

from core.keys import Keys
from data_feeds.events import Event, OfficerEvent, parse_entry, stream_of
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.simulator import CitySettings, Simulator, events_between, position_interval
from data_feeds.writer import EventWriter

TZ = ZoneInfo("Asia/Shanghai")
SETTINGS = CitySettings(
    bounds=((28.64, 112.83), (28.74, 112.95)),
    camera_ids=tuple(f"XY-{n:03d}" for n in range(1, 348)),
)
START = datetime(2026, 3, 2, 8, 30, tzinfo=TZ)
BACKFILL_FROM = START - timedelta(days=3)
DURATION = timedelta(hours=10)  # 3.6 s of wall time at 10,000×
SPEED = 10_000.0
Entries = list[tuple[bytes, dict[bytes, bytes]]]


class Outage(threading.Thread):
    """Once the simulator is live (its camera snapshot is in Redis), stop Redis for a second."""

    def __init__(self, server: EmbeddedRedis) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.client = redis.Redis.from_url(server.url)
        self.stopped_at: float | None = None
        self.restarted_at: float | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            deadline = time.monotonic() + 30
            while not self._live() and time.monotonic() < deadline:
                time.sleep(0.01)
            self.server.stop()
            self.stopped_at = time.monotonic()
            time.sleep(1.0)
            self.server.start()
            self.restarted_at = time.monotonic()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def _live(self) -> bool:
        last = cast(Entries, self.client.xrevrange(Keys().stream("cameras"), count=1))
        return bool(last) and last[0][1][b"event_id"].startswith(b"ks-")


def read_streams(client: redis.Redis) -> list[Event]:
    return [
        parse_entry(name, fields)
        for name, key in Keys().streams.items()
        for _, fields in cast(Entries, client.xrange(key))
    ]


def by_stream(events: list[Event]) -> dict[str, list[Event]]:
    streams: dict[str, list[Event]] = {}
    for event in events:
        streams.setdefault(stream_of(event), []).append(event)
    return streams


def test_simulator_fills_redis_and_rides_out_a_restart(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="core.outage")
    with EmbeddedRedis() as server:
        writer = EventWriter(redis.Redis.from_url(server.url))
        simulator = Simulator(
            SETTINGS, writer.write, speed=SPEED, start=START, backfill_from=BACKFILL_FROM
        )
        outage = Outage(server)
        outage.start()
        stats = simulator.run(DURATION)
        finished_at = time.monotonic()
        outage.join(timeout=30)
        stored = read_streams(redis.Redis.from_url(server.url))

    assert outage.error is None and outage.stopped_at and outage.restarted_at
    assert outage.stopped_at < outage.restarted_at < finished_at  # it kept going through it
    assert "Redis unavailable" in caplog.text  # the writer retried
    assert not stats.stopped and stats.end == START + DURATION

    # The backfill, written before the outage, is exactly what events_between says.
    cutoff = START - timedelta(hours=24)
    expected_backfill = [
        event
        for event in events_between(SETTINGS, BACKFILL_FROM, START, positions=False)
        if not (isinstance(event, OfficerEvent) and event.time < cutoff)
    ]
    backfill = [event for event in stored if event.time < START]
    assert by_stream(backfill) == by_stream(expected_backfill)

    # Live: every planned event once (a batch cut by the outage may land twice), plus
    # the live-start snapshot.
    live = {event.event_id: event for event in stored if event.time >= START}
    every = position_interval(SPEED)
    planned = list(events_between(SETTINGS, START, START + DURATION, position_every=every))
    snapshot = {key: event for key, event in live.items() if key.startswith(("ks-", "os-", "ps-"))}
    assert {key: event for key, event in live.items() if key not in snapshot} == {
        event.event_id: event for event in planned
    }
    assert len(snapshot) == 347 + 2 * 312
    fixes = [e for e in planned if isinstance(e, OfficerEvent) and e.action == "position"]
    assert len({fix.officer_id for fix in fixes}) > 250  # live positions arrived
