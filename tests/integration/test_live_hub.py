"""The web tier's live hub against a real redis-server and the real aggregator: what an
event changes reaches the tiles' parts as a delta of just that; the state is called
stale when the aggregator stops beating or Redis goes away, and fresh again after."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis

from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.events import Event, OfficerEvent
from data_feeds.kpis import DayTotals, KpiReader
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.citywall import write_config
from tests.case_story import SHANGHAI, CaseStory
from wall.config import WallConfig, load_config
from wall.config.tiles.cases import CasesTile
from wall.config.tiles.kpi import KpiTile
from wall.config.tiles.officers import OfficersTile
from wall.live.hub import HubSettings, LiveHub, LiveTile, merge_changes
from wall.live.sse import _fragments
from wall.tile_views import wall_translator
from wall.tiles import cases, kpi, officers

KPI = KpiTile.model_validate(
    {"type": "kpi", "id": "today", "x": 0, "y": 0, "kpis": ["dispatched", "hotline_calls"]}
)
CASES = CasesTile.model_validate({"type": "cases", "id": "cases", "x": 1, "y": 0})
OFFICERS = OfficersTile.model_validate({"type": "officers", "id": "roster", "x": 2, "y": 0})


def tiles() -> list[LiveTile]:
    return [
        LiveTile(KPI.id, kpi.VIEW.parts(KPI)),
        LiveTile(CASES.id, cases.VIEW.parts(CASES)),
        LiveTile(OFFICERS.id, officers.VIEW.parts(OFFICERS)),
    ]


@pytest.fixture
def config(tmp_path: Path) -> WallConfig:
    text_tile = "  - {id: note, type: text, x: 0, y: 0, body: 测试}"
    return load_config(write_config(tmp_path / "wall.yaml", text_tile))


def hub_on(client: redis.Redis, config: WallConfig, **settings: float) -> LiveHub:
    translate = wall_translator(config.wall.locale)
    return LiveHub(client, config, tiles(), translate, HubSettings(**settings))  # type: ignore[arg-type]


def applied(client: redis.Redis, events: list[Event]) -> Aggregator:
    EventWriter(client).write(events)
    agg = Aggregator(client, AggregatorSettings(consumer="t"))
    agg.ensure_groups()
    agg.drain()
    return agg


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def now() -> datetime:
    return datetime.now(SHANGHAI).replace(microsecond=0)


def test_a_dispatched_case_changes_only_what_it_touches(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    start = now() - timedelta(minutes=20)
    first = CaseStory("LIVE-1", start).through_dispatch(deadline_minutes=15)
    applied(redis_client, list(first.events))
    hub = hub_on(redis_client, config, block_ms=50)
    hub.cycle()
    assert hub.state("today")["values"]["dispatched"]["text"] == "1"
    assert hub.state("today")["values"]["hotline_calls"]["text"] == "0"
    # LIVE-1's deadline (15 min after its start) has passed: it is overdue, and listed.
    assert "LIVE-1" in hub.state("cases")["overdue"]
    assert hub.state("cases")["counts"] == {"overdue": 1}
    before, _ = hub.current()

    second = CaseStory("LIVE-2", now() - timedelta(minutes=12)).through_dispatch(120)
    applied(redis_client, list(second.events))
    hub.cycle()
    frame, _ = hub.current()
    # One frame per tile that changed (cheapest first); merged, they carry what changed.
    frames = hub.frames_after(before.seq, frame)
    assert frames is not None and len(frames) >= 2
    changes = merge_changes(frames)
    assert hub.state("today")["values"]["dispatched"]["text"] == "2"
    assert set(changes["today"]["values"]) == {"dispatched"}  # not hotline_calls
    assert "LIVE-2" in changes["cases"]["latest"]
    assert "counts" not in changes["cases"]  # the overdue count did not change
    assert "roster" not in changes  # no officer moved
    assert "LIVE-2" in hub.state("cases")["latest"]
    assert "LIVE-2" not in hub.state("cases")["overdue"]

    closing = second.at(13, "handled").at(14, "verified").at(15, "closed")
    applied(redis_client, closing.events[-3:])
    hub.cycle()
    # Still among the latest, now closed; never overdue once closed.
    assert hub.state("cases")["latest"]["LIVE-2"]["status"] == "结案"
    assert hub.state("cases")["latest"]["LIVE-2"]["finished"] is True
    assert list(hub.state("cases")["overdue"]) == ["LIVE-1"]


def test_officers_roster_follows_status_events(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    t = now()
    events: list[Event] = [
        OfficerEvent(event_id=f"o{i}", time=t, officer_id=f"ZF{i:03d}", action="status",
                     grid="4306240010203", status=status, name=f"队员{i}")
        for i, status in enumerate(["patrolling", "patrolling", "handling", "offline"])
    ]  # fmt: skip
    applied(redis_client, events)
    hub = hub_on(redis_client, config, block_ms=50)
    hub.cycle()
    totals = hub.state("roster")["totals"]
    assert totals == {"patrolling": 2, "handling": 1, "idle": 0, "offline": 1, "on_duty": 3}
    grid = hub.state("roster")["grids"]["4306240010203"]
    assert grid["label"] == "02-03" and grid["on_duty"] == 3


def test_no_heartbeat_is_stale_and_a_beating_aggregator_is_fresh(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    hub = hub_on(redis_client, config, block_ms=50, stale_after_s=2)
    hub.cycle()
    _, status = hub.current()
    assert status.stale and status.reason == "aggregator"
    agg = Aggregator(redis_client, AggregatorSettings(consumer="beat"))
    agg.ensure_groups()
    agg.step()  # writes the heartbeat, which the hub checks once a second

    def fresh() -> bool:
        hub.cycle()
        return not hub.current()[1].stale

    wait_until(fresh, timeout=5)


@pytest.fixture
def restartable_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(data_dir=tmp_path_factory.mktemp("redis"), fsync="always")
    server.start()
    yield server
    server.close()


def test_redis_outage_keeps_the_values_and_recovers(
    restartable_redis: EmbeddedRedis, config: WallConfig
) -> None:
    client = redis.Redis.from_url(restartable_redis.url, socket_timeout=5)
    story = CaseStory("OUT-1", now() - timedelta(minutes=15)).through_dispatch()
    applied(client, list(story.events))
    stop = threading.Event()

    def aggregate() -> None:
        agg_client = redis.Redis.from_url(restartable_redis.url, socket_timeout=2)
        Aggregator(agg_client, AggregatorSettings(consumer="run")).run(stop.is_set)

    runner = threading.Thread(target=aggregate, daemon=True)
    runner.start()
    hub = hub_on(client, config, block_ms=100, stale_after_s=5)
    hub.start()
    try:
        wait_until(lambda: not hub.current()[1].stale)
        restartable_redis.stop()
        wait_until(lambda: hub.current()[1].reason == "redis")
        # Stale, never blank: the last values are still there to show.
        assert hub.state("today")["values"]["dispatched"]["text"] == "1"
        restartable_redis.start()
        wait_until(lambda: not hub.current()[1].stale, timeout=30)
        later = CaseStory("OUT-2", now() - timedelta(minutes=15)).through_dispatch()
        EventWriter(client).write(later.events)  # the running aggregator applies them
        wait_until(lambda: hub.state("today")["values"]["dispatched"]["text"] == "2")
    finally:
        hub.stop()
        stop.set()
        runner.join(timeout=10)
        client.close()


def test_cached_day_totals_match_a_fresh_read_and_late_events_are_counted(
    redis_client: redis.Redis,
) -> None:
    three_days_ago = (now() - timedelta(days=3)).replace(hour=9, minute=0, second=0)
    applied(redis_client, list(CaseStory("OLD-1", three_days_ago).through_dispatch().events))
    cached = KpiReader(redis_client, day_totals=DayTotals())
    plain = KpiReader(redis_client)
    window = (three_days_ago.replace(hour=0), now())
    assert cached.summary(*window).equals(plain.summary(*window))
    assert len(cached.day_totals or []) == 3  # three whole past days, not today

    late = CaseStory("OLD-2", three_days_ago + timedelta(hours=2)).through_dispatch()
    applied(redis_client, list(late.events))
    update = redis_client.xrevrange("citywall:updates", count=1)[0][1]
    earliest = datetime.fromtimestamp(int(update[b"earliest"]) / 1000, SHANGHAI)
    assert earliest == late.start  # the update says how far back the batch reached
    assert cached.summary(*window).at["dispatched", "value"] == 1  # cached: not yet seen
    assert cached.day_totals is not None
    cached.day_totals.forget_from(earliest)
    assert cached.summary(*window).at["dispatched", "value"] == 2
    assert cached.summary(*window).equals(plain.summary(*window))


def test_a_screen_behind_gets_the_merged_deltas_and_a_new_one_everything(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    hub = hub_on(redis_client, config, block_ms=50)
    hub.cycle()
    start, _ = hub.current()
    for n in (1, 2):
        story = CaseStory(f"BEHIND-{n}", now() - timedelta(minutes=12)).through_dispatch()
        applied(redis_client, list(story.events))
        hub.cycle()
    frame, _ = hub.current()
    behind, is_delta = _fragments(hub, frame, start.seq)
    assert is_delta
    assert {"BEHIND-1", "BEHIND-2"} <= set(json.loads(behind["cases"])["latest"])
    assert json.loads(behind["today"])["values"]["dispatched"]["text"] == "2"
    fresh, is_delta = _fragments(hub, frame, -1)  # just connected
    assert not is_delta and fresh is frame.full
