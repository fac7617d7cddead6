"""The map tile's live parts against a real redis-server and the real aggregator, read
through the live hub as the screens get them: a case appears and goes, an officer
moves and drags its trail, a camera drops out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis

from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.events import CameraEvent, Event, OfficerEvent
from data_feeds.writer import EventWriter
from testkit.citywall import write_config
from tests.case_story import SHANGHAI, CaseStory
from wall.config import WallConfig, load_config
from wall.config.tiles.map import MapTile
from wall.live.hub import HubSettings, LiveHub, LiveTile, merge_changes
from wall.tile_views import wall_translator
from wall.tiles.map import VIEW

EMAP = MapTile.model_validate({"type": "map", "id": "emap", "x": 0, "y": 0, "trail_points": 3})
NORTH = MapTile.model_validate(
    {"type": "map", "id": "north", "x": 1, "y": 0, "grids": ["430624-0101"],
     "categories": ["event-05"], "layers": ["cases", "officers"]}
)  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> WallConfig:
    return load_config(
        write_config(tmp_path / "wall.yaml", "  - {id: n, type: text, x: 0, y: 0, body: 地图}")
    )


def hub_on(client: redis.Redis, config: WallConfig) -> LiveHub:
    tiles = [LiveTile(EMAP.id, VIEW.parts(EMAP)), LiveTile(NORTH.id, VIEW.parts(NORTH))]
    return LiveHub(client, config, tiles, wall_translator("zh-CN"), HubSettings(block_ms=50))


def applied(client: redis.Redis, events: list[Event]) -> None:
    EventWriter(client).write(events)
    agg = Aggregator(client, AggregatorSettings(consumer="t"))
    agg.ensure_groups()
    agg.drain()


def now() -> datetime:
    return datetime.now(SHANGHAI).replace(microsecond=0)


def cycle_until(hub: LiveHub, check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        hub.cycle()
        if check():
            return
        assert time.monotonic() < deadline, "the hub never built what was expected"


def test_a_case_appears_on_the_map_and_goes_when_closed(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    late = CaseStory("MAP-1", now() - timedelta(minutes=30), category="0503").through_dispatch(20)
    applied(redis_client, list(late.events))
    hub = hub_on(redis_client, config)
    hub.cycle()
    assert hub.state("emap")["cases"] == {
        "MAP-1": {
            "lat": 28.69, "lon": 112.89, "status": "dispatched", "kind": "event",
            "cat": "event-05", "name": "街面秩序", "priority": "normal",
            "overdue": True,  # its deadline, 20 min after it started, has passed
            "grid": "430624-0101", "source": "patrol", "category": "乱挂乱晒",
            # no schema v2 details: its popup shows none
            "address": "", "description": "", "channel": "", "photos_before": [],
            "photos_after": [],
        }
    }  # fmt: skip
    assert set(hub.state("north")["cases"]) == {"MAP-1"}
    before, _ = hub.current()

    fresh = CaseStory("MAP-2", now() - timedelta(minutes=12), grid="430624-0202", source="video")
    applied(redis_client, list(fresh.through_dispatch(120).events))
    hub.cycle()
    frame, _ = hub.current()
    assert frame.seq == before.seq + 1
    delta = json.loads(frame.delta["emap"])
    assert list(delta) == ["cases"]  # officers and cameras did not change
    assert list(delta["cases"]) == ["MAP-2"]  # MAP-1 did not change either
    assert delta["cases"]["MAP-2"]["overdue"] is False
    assert delta["cases"]["MAP-2"]["source"] == "video"
    assert "north" not in frame.delta  # MAP-2 is in another grid than the north tile's

    applied(redis_client, fresh.at(13, "handled").at(14, "verified").at(15, "closed").events[-3:])
    hub.cycle()
    frame, _ = hub.current()
    assert json.loads(frame.delta["emap"]) == {"cases": {"MAP-2": None}}  # removed
    assert set(hub.state("emap")["cases"]) == {"MAP-1"}


def fix(officer: str, minute: int, lat: float, lon: float, grid: str = "430624-0101") -> Event:
    return OfficerEvent.model_validate(
        {"event_id": f"{officer}-{minute}", "time": now() - timedelta(minutes=30 - minute),
         "officer_id": officer, "action": "position", "grid": grid, "lat": lat, "lon": lon}
    )  # fmt: skip


def test_an_officer_moves_and_its_trail_follows(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    status = OfficerEvent.model_validate(
        {"event_id": "s-1", "time": now() - timedelta(minutes=30), "officer_id": "ZF-001",
         "action": "status", "grid": "430624-0101", "status": "patrolling", "name": "李明"}
    )  # fmt: skip
    walk = [fix("ZF-001", minute, round(28.70 + minute / 1000, 6), 112.86) for minute in range(4)]
    other = fix("ZF-002", 0, 28.66, 112.93, grid="430624-0506")
    applied(redis_client, [status, *walk, other])
    hub = hub_on(redis_client, config)
    hub.cycle()
    officer = hub.state("emap")["officers"]["ZF-001"]
    assert officer == {
        "lat": 28.703, "lon": 112.86, "status": "patrolling", "name": "李明",
        "trail": [[28.701, 112.86], [28.702, 112.86], [28.703, 112.86]],  # trail_points: 3
    }  # fmt: skip
    assert set(hub.state("emap")["officers"]) == {"ZF-001", "ZF-002"}
    assert set(hub.state("north")["officers"]) == {"ZF-001"}  # ZF-002 patrols another grid
    assert len(hub.state("north")["officers"]["ZF-001"]["trail"]) == 4  # the default 10, capped

    before, _ = hub.current()
    applied(redis_client, [fix("ZF-001", 10, 28.71, 112.87)])
    # Officers are rebuilt at most once a second: the move shows within one.
    cycle_until(hub, lambda: hub.state("emap")["officers"]["ZF-001"]["lat"] == 28.71)
    frame, _ = hub.current()
    frames = hub.frames_after(before.seq, frame)  # each tile is published in its own frame
    assert frames is not None
    moved = merge_changes(frames)["emap"]["officers"]
    assert list(moved) == ["ZF-001"]  # ZF-002 did not move: not sent again
    assert moved["ZF-001"]["lon"] == 112.87
    assert moved["ZF-001"]["trail"] == [[28.702, 112.86], [28.703, 112.86], [28.71, 112.87]]


def test_cameras_are_unknown_until_reported_and_follow_the_relay(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    hub = hub_on(redis_client, config)
    hub.cycle()
    cameras = hub.state("emap")["cameras"]
    assert len(cameras) == 347  # the shipped inventory
    assert set(cameras.values()) == {"unknown"}
    down = CameraEvent.model_validate(
        {"event_id": "k-1", "time": now(), "camera_id": "XY-007", "status": "offline",
         "reason": "power"}
    )  # fmt: skip
    up = CameraEvent.model_validate(
        {"event_id": "k-2", "time": now(), "camera_id": "XY-001", "status": "online"}
    )
    applied(redis_client, [down, up])
    hub.cycle()
    frame, _ = hub.current()
    assert json.loads(frame.delta["emap"]) == {"cameras": {"XY-007": "offline", "XY-001": "online"}}
    assert "north" not in frame.delta  # no camera layer there
