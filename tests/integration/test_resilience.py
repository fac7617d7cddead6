"""Kill Redis (SIGKILL) while ``citywall simulate`` and ``citywall aggregate`` run,
start it again: both carry on by themselves, and every event the simulator meant
to write is applied exactly once (appendfsync always: nothing acknowledged is lost)."""

from __future__ import annotations

import subprocess
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import redis

from core.keys import Keys
from core.localhost import stop_process
from data_feeds.events import CaseEvent, HotlineEvent, OfficerEvent
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.simulator import events_between, position_interval
from testkit.citywall import SHIPPED_CONFIG, citywall_command
from wall.cli_data import city_settings
from wall.config import load_config

START = datetime.fromisoformat("2026-03-02T07:00:00+08:00")
SPEED, DURATION, SEED = 10_000.0, timedelta(days=2), 5


def expected_events() -> list[object]:
    settings = city_settings(load_config(SHIPPED_CONFIG), SEED)  # as `citywall simulate`
    window = events_between(
        settings, START, START + DURATION, position_every=position_interval(SPEED)
    )
    return list(window)


def under_way(client: redis.Redis) -> bool:
    """The simulator has written positions and the aggregator has read some."""
    stream = Keys().stream("officers")
    if not client.exists(stream):
        return False
    groups = client.xinfo_groups(stream)
    return bool(groups) and groups[0]["entries-read"] not in (None, 0)


def caught_up(client: redis.Redis) -> bool:
    for stream in Keys().streams.values():
        groups = client.xinfo_groups(stream)
        if not groups or groups[0]["lag"] != 0 or groups[0]["pending"] != 0:
            return False
    return True


def test_redis_killed_mid_stream_loses_nothing(tmp_path: Path) -> None:
    server = EmbeddedRedis(fsync="always")
    server.start()
    common = ["--redis-url", server.url]
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("simulate", "aggregate")}
    aggregate = subprocess.Popen(
        [citywall_command(), "aggregate", *common, "--consumer", "agg-1"],
        stdout=logs["aggregate"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    simulate = subprocess.Popen(
        [citywall_command(), "simulate", *common, "--speed", str(SPEED), "--seed", str(SEED),
         "--start", START.isoformat(), "--duration", "2d"],
        stdout=logs["simulate"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = redis.Redis.from_url(server.url)
    try:
        deadline = time.monotonic() + 60  # two commands starting: seconds when loaded
        while not under_way(client):  # polled: both start in seconds when the machine is busy
            assert time.monotonic() < deadline, "simulate and aggregate not under way in 60 s"
            time.sleep(0.1)
        server.kill()
        time.sleep(2)
        server.start()
        assert simulate.wait(timeout=90) == 0
        deadline = time.monotonic() + 60
        while not caught_up(client) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert caught_up(client)
        stop_process(aggregate)
        assert aggregate.returncode == 0
        check_everything_applied(client, expected_events())
    finally:
        stop_process(simulate)
        stop_process(aggregate)
        server.close()
    outputs = {name: (tmp_path / f"{name}.log").read_text() for name in logs}
    for name, output in outputs.items():
        assert "Redis unavailable" in output, name  # it did see the outage
        assert "Redis is back" in output, name


def check_everything_applied(client: redis.Redis, events: list[object]) -> None:
    keys = Keys()
    cases = [event for event in events if isinstance(event, CaseEvent)]
    calls = [event for event in events if isinstance(event, HotlineEvent)]
    assert len(cases) >= 5  # calls are rarer (about one a day) and may be none
    pipe = client.pipeline(transaction=False)
    for event in cases:
        pipe.hexists(keys.case(event.case_id), f"ev:{event.event_id}")
    for event in calls:
        pipe.exists(f"{keys.prefix}seen:hotline:{event.event_id}")
    assert all(pipe.execute())
    # Each officer's state is the last status the simulation gave them.
    last_status: dict[str, str] = {}
    checkins: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if isinstance(event, OfficerEvent) and event.action == "status":
            assert event.status is not None
            last_status[event.officer_id] = event.status
        if isinstance(event, OfficerEvent) and event.action == "checkin":
            checkins[event.time.astimezone(START.tzinfo).strftime("%Y%m%d")].add(event.officer_id)
    state = {k.decode(): v for k, v in client.hgetall(keys.officers).items()}
    assert len(last_status) >= 300
    for officer, status in last_status.items():
        assert f'"status":"{status}"' in state[officer].decode()
    for day, officers in checkins.items():  # who has checked in, per local day
        assert {m.decode() for m in client.smembers(keys.checkins(day))} == officers
    assert client.xlen(keys.deadletter) == 0
