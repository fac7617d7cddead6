"""The alarm pop-up against a real redis-server: real case events written by the data
feeds' writer, camera health as the relay writes it, the watcher's consumer group,
WallControl's alarm, and every map tile's focus part as the live hub builds it."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from core.camera_status import CameraStatus, Status
from core.keys import ALARM_GROUP
from data_feeds.events import CaseEvent
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.citywall import write_config
from tests.case_story import SHANGHAI, CaseStory
from wall.auth.audit import AuditLog
from wall.config import WallConfig, load_config
from wall.config.tiles.map import MapTile
from wall.control import WallControl
from wall.control.alarms import AlarmWatcher
from wall.live.hub import Frame, HubSettings, LiveHub, LiveTile, merge_changes
from wall.tile_views import wall_translator
from wall.tiles.map import VIEW as MAP_VIEW

TILES = """\
  - {id: alarm, type: camera, x: 0, y: 0, cameras: [XY-010]}
  - {id: emap, type: map, x: 1, y: 0}
  - {id: plain, type: map, x: 2, y: 0, layers: [grids, roads]}
"""
ALARMS = "alarms: {tile: alarm, radius_m: 500, revert_s: 60}\n"
# On 湘阴大道 (lat 28.6683), between XY-002 (112.86975, ~170 m west) and XY-003
# (112.87525, ~365 m east); XY-001 (112.86425) is ~700 m west, beyond the radius.
PLACE = {"lat": 28.6683, "lon": 112.8715}
STREAM = "citywall:cases"


class Clock:
    """Wall time, moved forward on demand: the alarm runs out without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def config(tmp_path: Path) -> WallConfig:
    path = write_config(tmp_path / "wall.yaml", TILES)
    path.write_text(path.read_text(encoding="utf-8") + ALARMS, encoding="utf-8")
    return load_config(path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def control(redis_client: redis.Redis, config: WallConfig, clock: Clock) -> WallControl:
    return WallControl(redis_client, config, clock=clock)


@pytest.fixture
def new_watcher(
    redis_client: redis.Redis, config: WallConfig, control: WallControl, clock: Clock
) -> Iterator[Callable[[str], AlarmWatcher]]:
    made: list[AlarmWatcher] = []

    def make(consumer: str = "web-1") -> AlarmWatcher:
        watcher = AlarmWatcher(redis_client, config, control, consumer, clock=clock, block_ms=50)
        watcher.ensure_group()
        made.append(watcher)
        return watcher

    yield make
    for watcher in made:
        watcher.stop()


def cameras(client: redis.Redis, **statuses: str) -> None:
    """Camera health as the relay publishes it (streams/relay/status.py's JSON)."""
    for camera_id, status in statuses.items():
        body = CameraStatus(cast(Status, status), int(time.time() * 1000)).to_json()
        client.hset("citywall:state:cameras", camera_id.replace("_", "-"), body)


def report(client: redis.Redis, case_id: str, **descriptors: str) -> CaseEvent:
    story = CaseStory(case_id, datetime.now(SHANGHAI).replace(microsecond=0), **descriptors)
    event = story.at(0, "reported", **PLACE).events[0]
    assert EventWriter(client).write([event])
    return event


def drain(*watchers: AlarmWatcher) -> int:
    """Step every watcher until none finds anything more."""
    total = 0
    while handled := sum(watcher.step(50) for watcher in watchers):
        total += handled
    return total


def pending(client: redis.Redis) -> int:
    return int(client.xpending(STREAM, ALARM_GROUP)["pending"])


def test_an_urgent_case_puts_the_nearest_online_camera_on_the_alarm_tile(
    redis_client: redis.Redis,
    control: WallControl,
    new_watcher: Callable[[str], AlarmWatcher],
    clock: Clock,
) -> None:
    watcher = new_watcher("web-1")
    cameras(redis_client, XY_001="online", XY_002="offline", XY_003="online")
    before_ms = int(clock() * 1000)
    report(redis_client, "URG-1", priority="urgent", category="0404")
    assert drain(watcher) == 1
    alarm = control.alarm()
    assert alarm is not None
    assert (alarm.case_id, alarm.reason, alarm.tile_id) == ("URG-1", "urgent", "alarm")
    assert alarm.camera_id == "XY-003"  # XY-002 is nearer but offline, XY-001 too far
    assert alarm.distance_m == pytest.approx(366, abs=5)
    assert (alarm.lat, alarm.lon) == (PLACE["lat"], PLACE["lon"])
    assert alarm.category == "道路积水"
    assert before_ms <= alarm.started_ms <= int(clock() * 1000)
    assert alarm.until_ms == alarm.started_ms + 60_000
    assert pending(redis_client) == 0
    updates = redis_client.xrange("citywall:updates")
    assert updates[-1][1][b"topics"] == b"wall"  # the screens hear of it


def test_a_video_capture_with_no_camera_nearby_still_pops_up(
    redis_client: redis.Redis, control: WallControl, new_watcher: Callable[[str], AlarmWatcher]
) -> None:
    watcher = new_watcher("web-1")
    cameras(redis_client, XY_001="online", XY_002="offline", XY_003="connecting")
    report(redis_client, "VID-1", source="video")
    drain(watcher)
    alarm = control.alarm()
    assert alarm is not None
    assert (alarm.case_id, alarm.reason, alarm.camera_id, alarm.distance_m) == (
        "VID-1", "video", None, None,
    )  # fmt: skip


def test_ordinary_cases_and_later_steps_do_not_pop_up(
    redis_client: redis.Redis, control: WallControl, new_watcher: Callable[[str], AlarmWatcher]
) -> None:
    watcher = new_watcher("web-1")
    cameras(redis_client, XY_003="online")
    report(redis_client, "NORM-1")
    story = CaseStory("URG-OLD", datetime.now(SHANGHAI).replace(microsecond=0), priority="urgent")
    EventWriter(redis_client).write(story.at(0, "filed").at(1, "handled").events)
    assert drain(watcher) == 3
    assert control.alarm() is None
    assert pending(redis_client) == 0


def test_only_cases_reported_after_the_group_exists_pop_up(
    redis_client: redis.Redis, control: WallControl, new_watcher: Callable[[str], AlarmWatcher]
) -> None:
    report(redis_client, "BEFORE-1", priority="urgent")
    watcher = new_watcher("web-1")
    assert drain(watcher) == 0
    assert control.alarm() is None
    new_watcher("web-2")  # a second process: the group is there already (BUSYGROUP)
    report(redis_client, "AFTER-1", priority="urgent")
    assert drain(watcher) == 1
    alarm = control.alarm()
    assert alarm is not None and alarm.case_id == "AFTER-1"


def test_two_watchers_in_one_group_pop_each_case_up_once(
    redis_client: redis.Redis, control: WallControl, new_watcher: Callable[[str], AlarmWatcher]
) -> None:
    first, second = new_watcher("web-1"), new_watcher("web-2")
    cameras(redis_client, XY_003="online")
    events = [report(redis_client, f"URG-{n}", priority="urgent") for n in range(6)]
    EventWriter(redis_client).write(events[:2])  # a producer's retry: the same events again
    first.step(50)  # the first takes what is there; the second gets what arrives next
    report(redis_client, "URG-LAST", priority="urgent")
    assert drain(second, first) == 1
    assert first.raised + second.raised == 7  # 6 + URG-LAST, the repeats not again
    assert second.raised == 1
    raised = [e for e in AuditLog(redis_client).latest(100) if e.action == "alarm.raise"]
    assert sorted(e.after["case_id"] for e in raised) == sorted(
        [f"URG-{n}" for n in range(6)] + ["URG-LAST"]
    )
    alarm = control.alarm()
    assert alarm is not None and alarm.case_id == "URG-LAST"  # the newest replaces the older


def test_two_running_watchers_share_the_cases(
    redis_client: redis.Redis, new_watcher: Callable[[str], AlarmWatcher]
) -> None:
    watchers = [new_watcher("web-1"), new_watcher("web-2")]
    for watcher in watchers:
        watcher.start()
    for n in range(20):
        report(redis_client, f"URG-{n}", priority="urgent")
    deadline = time.monotonic() + 10
    while sum(w.raised for w in watchers) < 20:
        assert time.monotonic() < deadline, "not every case popped up"
        time.sleep(0.05)
    time.sleep(0.3)  # no second pop-up comes late
    assert sum(w.raised for w in watchers) == 20
    raised = [e for e in AuditLog(redis_client).latest(100) if e.action == "alarm.raise"]
    assert sorted(e.after["case_id"] for e in raised) == sorted(f"URG-{n}" for n in range(20))


def test_a_malformed_entry_does_not_stop_it(
    redis_client: redis.Redis, control: WallControl, new_watcher: Callable[[str], AlarmWatcher]
) -> None:
    watcher = new_watcher("web-1")
    redis_client.xadd(STREAM, {"v": "1", "case_id": "BROKEN", "status": "reported"})
    redis_client.xadd(STREAM, {"garbage": b"\xff\xfe"})
    report(redis_client, "URG-1", priority="urgent")
    assert drain(watcher) == 3
    alarm = control.alarm()
    assert alarm is not None and alarm.case_id == "URG-1"
    assert pending(redis_client) == 0


def test_acknowledged_it_goes_and_unacknowledged_it_runs_out(
    redis_client: redis.Redis,
    control: WallControl,
    new_watcher: Callable[[str], AlarmWatcher],
    clock: Clock,
) -> None:
    watcher = new_watcher("web-1")
    report(redis_client, "URG-1", priority="urgent")
    drain(watcher)
    assert control.alarm() is not None
    acknowledged = control.acknowledge_alarm("operator")
    assert acknowledged is not None and acknowledged.case_id == "URG-1"
    assert control.alarm() is None

    report(redis_client, "URG-2", priority="urgent")
    drain(watcher)
    assert control.alarm() is not None
    clock.offset = 59.5
    assert control.alarm() is not None
    clock.offset = 60.0  # revert_s later
    assert control.alarm() is None


def test_the_group_is_made_again_when_it_vanished(
    redis_client: redis.Redis, control: WallControl, new_watcher: Callable[[str], AlarmWatcher]
) -> None:
    watcher = new_watcher("web-1")
    redis_client.delete(STREAM)  # e.g. a Redis restarted without its data
    assert watcher.step(50) == 0
    assert redis_client.xinfo_groups(STREAM)[0]["name"] == ALARM_GROUP.encode()
    report(redis_client, "URG-1", priority="urgent")
    assert drain(watcher) == 1
    assert control.alarm() is not None


def test_it_waits_out_a_redis_outage(
    redis_server: EmbeddedRedis,
    redis_client: redis.Redis,
    control: WallControl,
    new_watcher: Callable[[str], AlarmWatcher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="wall.control.alarms")
    watcher = new_watcher("web-1")
    watcher.start()
    redis_server.stop()
    time.sleep(1.0)
    redis_server.start()
    report(redis_client, "URG-1", priority="urgent")
    deadline = time.monotonic() + 15
    while control.alarm() is None:
        assert time.monotonic() < deadline, "no alarm after the outage"
        time.sleep(0.05)
    watcher.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("Redis unavailable" in m for m in messages) == 1
    assert sum("Redis is back" in m for m in messages) == 1


def changes_since(hub: LiveHub, before: Frame) -> dict[str, dict[str, Any]]:
    frame, _ = hub.current()
    frames = hub.frames_after(before.seq, frame)
    assert frames is not None
    return merge_changes(frames)


def test_every_map_tile_centres_on_the_alarm_case(
    redis_client: redis.Redis,
    config: WallConfig,
    control: WallControl,
    new_watcher: Callable[[str], AlarmWatcher],
) -> None:
    maps = [tile for tile in config.tiles if isinstance(tile, MapTile)]
    tiles = [LiveTile(t.id, MAP_VIEW.parts(t)) for t in maps]
    hub = LiveHub(redis_client, config, tiles, wall_translator("zh-CN"), HubSettings(block_ms=50))
    hub.cycle()
    assert hub.state("emap")["focus"] == {}
    assert hub.state("plain").get("focus", {}) == {}  # an empty part is not even sent

    watcher = new_watcher("web-1")
    cameras(redis_client, XY_003="online")
    report(redis_client, "URG-1", priority="urgent")
    drain(watcher)
    alarm = control.alarm()
    assert alarm is not None
    before, _ = hub.current()
    hub.cycle()
    focus = {"alarm": json.loads(alarm.dumps())}  # the alarm as stored, one shape everywhere
    seen = focus["alarm"]
    assert (seen["case_id"], seen["lat"], seen["lon"]) == ("URG-1", PLACE["lat"], PLACE["lon"])
    assert (seen["reason"], seen["camera_id"]) == ("urgent", "XY-003")
    assert hub.state("emap")["focus"] == focus
    assert hub.state("plain")["focus"] == focus  # a map without case layers too
    assert changes_since(hub, before)["emap"] == {"focus": focus}  # each tile its own frame

    before, _ = hub.current()
    control.acknowledge_alarm("operator")
    hub.cycle()
    assert changes_since(hub, before)["emap"] == {"focus": {"alarm": None}}  # dropped on screens
    assert hub.state("emap")["focus"] == {}


def test_cases_a_dead_web_process_read_are_taken_over(
    redis_client: redis.Redis, config: WallConfig, control: WallControl, clock: Clock
) -> None:
    survivor = AlarmWatcher(
        redis_client, config, control, "web-2", clock=clock, block_ms=50, claim_idle_ms=1000
    )
    survivor.ensure_group()
    cameras(redis_client, XY_003="online")
    report(redis_client, "URG-ORPHAN", priority="urgent")
    # web-1 reads the case and dies before handling it: read, never acknowledged
    redis_client.xreadgroup(ALARM_GROUP, "web-1", {STREAM: ">"}, count=10)
    assert survivor.step(50) == 0 and pending(redis_client) == 1
    time.sleep(1.2)  # the entry has been idle longer than claim_idle_ms
    assert survivor.step(50) == 1
    alarm = control.alarm()
    assert alarm is not None and alarm.case_id == "URG-ORPHAN"
    assert pending(redis_client) == 0


def test_an_orphan_older_than_the_revert_time_does_not_pop_up_late(
    redis_client: redis.Redis, config: WallConfig, control: WallControl
) -> None:
    later = Clock()
    later.offset = 3600  # an hour after the case: it would have reverted long ago
    survivor = AlarmWatcher(
        redis_client, config, control, "web-2", clock=later, block_ms=50, claim_idle_ms=1000
    )
    survivor.ensure_group()
    report(redis_client, "URG-OLD", priority="urgent")
    redis_client.xreadgroup(ALARM_GROUP, "web-1", {STREAM: ">"}, count=10)
    survivor.step(50)
    time.sleep(1.2)
    assert survivor.step(50) == 1  # taken over and acknowledged ...
    assert survivor.raised == 0 and pending(redis_client) == 0  # ... but not popped up


def test_a_case_reported_long_ago_does_not_pop_up(
    redis_client: redis.Redis, control: WallControl, new_watcher: Callable[[str], AlarmWatcher]
) -> None:
    """A back-fill or a replay writes old cases as new entries: no alarm for those."""
    watcher = new_watcher("web-1")
    cameras(redis_client, XY_003="online")
    hour_ago = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(hours=1)
    old = CaseStory("URG-OLDER", hour_ago, priority="urgent").at(0, "reported", **PLACE)
    assert EventWriter(redis_client).write(old.events)
    assert drain(watcher) == 1
    assert watcher.raised == 0 and control.alarm() is None
    report(redis_client, "URG-NOW", priority="urgent")
    drain(watcher)
    alarm = control.alarm()
    assert alarm is not None and alarm.case_id == "URG-NOW"
