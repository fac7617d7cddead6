"""WallControl against a real redis-server: what operators do to the wall (tiles, tours,
presets, the alarm pop-up) is shared by every web worker, audited, announced on
``citywall:updates``, and reaches the camera tiles' live part through the hub."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import redis
import yaml

from core.keys import Keys
from data_feeds.redis_server import EmbeddedRedis
from testkit.citywall import shipped_config_copy
from wall.auth.audit import AuditEntry, AuditLog
from wall.config import WallConfig, load_config
from wall.control import Alarm, ControlError, TileState, TourRun, WallControl
from wall.live import BoundPart, HubSettings, LiveHub, LiveTile
from wall.live.hub import merge_changes
from wall.tile_views import live_tiles, tile_views, wall_translator

T0 = 1_700_000_000.0  # the injected clock's start, seconds
T0_MS = int(T0 * 1000)
JUNCTIONS = ("XY-001", "XY-002", "XY-003", "XY-004")  # the config's cameras of `junctions`
SIX = ["XY-001", "XY-002", "XY-003", "XY-004", "XY-005", "XY-006"]
KEY_JUNCTIONS = [  # cameras.groups.重点路口 in the shipped config
    *("XY-001", "XY-002", "XY-003", "XY-004", "XY-005", "XY-011"),
    *("XY-012", "XY-013", "XY-014", "XY-015", "XY-021", "XY-022"),
]
ROAD = ["XY-001", "XY-002", "XY-003", "XY-004", "XY-005", "XY-006", "XY-007", "XY-008"]


def config_with(tmp_path: Path, **sections: Any) -> WallConfig:
    """The shipped config (its tours, presets and alarm included), with ``sections``
    added: list sections are appended to the shipped ones, others replace them."""
    path = shipped_config_copy(tmp_path / "wall_config.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in sections.items():
        data[key] = [*data.get(key, []), *value] if isinstance(value, list) else value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_config(path)


@pytest.fixture
def config(tmp_path: Path) -> WallConfig:
    return config_with(
        tmp_path,
        tours=[{"name": "六路巡逻", "cameras": SIX, "dwell_s": 5}],
        presets=[
            {"name": "六路", "tiles": {"junctions": {"tour": "六路巡逻"}}},  # one tile only
            {"name": "主路口", "tiles": {"main-junction": {"cameras": ["XY-020"]}}},
            {"name": "复位", "tiles": {}},  # every tile back to its config cameras
        ],
    )


class Clock:
    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def ms(self) -> int:
        return int(self.now * 1000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wall(redis_client: redis.Redis, config: WallConfig, clock: Clock) -> WallControl:
    return WallControl(redis_client, config, clock=clock)


@pytest.fixture
def other_worker(
    redis_server: EmbeddedRedis, config: WallConfig, clock: Clock
) -> Iterator[WallControl]:
    """A second web worker: its own connection to the same Redis."""
    client = redis.Redis.from_url(redis_server.url)
    yield WallControl(client, config, clock=clock)
    client.close()


def updates(client: redis.Redis, prefix: str = "citywall:") -> list[dict[bytes, bytes]]:
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(prefix + "updates"))
    return [fields for _id, fields in entries]


def audit(client: redis.Redis) -> list[AuditEntry]:
    return AuditLog(client).latest(1000)


def last_audit(client: redis.Redis) -> AuditEntry:
    return audit(client)[0]


def announced_once(client: redis.Redis, action: Callable[[], object]) -> None:
    """``action`` XADDs exactly one wall update, which drops no cached KPI day."""
    before = len(updates(client))
    action()
    after = updates(client)
    assert len(after) == before + 1
    fields = after[-1]
    assert fields[b"topics"] == b"wall"
    # wall/live/hub.py _forget_days_from: a non-finite time forgets nothing.
    assert not math.isfinite(float(fields[b"earliest"]))


def alarm_at(
    start_ms: int, case_id: str = "XY20240501-0001", seconds: float = 90, **kw: Any
) -> Alarm:
    fields: dict[str, Any] = {
        "reason": "urgent",
        "tile_id": "main-junction",
        "lat": 28.6729,
        "lon": 112.91375,
        "camera_id": "XY-020",
        "distance_m": 35.0,
        "category": "暴露垃圾",
        "grid": "4306240010621",
        **kw,
    }
    until_ms = start_ms + int(seconds * 1000)
    return Alarm(case_id=case_id, started_ms=start_ms, until_ms=until_ms, **fields)


# ── views and show ──────────────────────────────────────────────────────
def test_views_default_to_the_config_cameras(wall: WallControl) -> None:
    assert wall.views() == {
        "junctions": TileState("junctions", JUNCTIONS),
        "main-junction": TileState("main-junction", ("XY-001",)),
    }
    assert wall.view("main-junction").showing(T0_MS) == ("XY-001",)


def test_show_changes_one_tile_only(
    wall: WallControl, clock: Clock, redis_client: redis.Redis
) -> None:
    clock.now += 5
    view = wall.show("main-junction", ["XY-020"], by="operator")
    assert view == TileState("main-junction", ("XY-020",), None, "operator", T0_MS + 5000)
    assert wall.views() == {
        "junctions": TileState("junctions", JUNCTIONS),
        "main-junction": view,
    }
    nine = [f"XY-{n:03d}" for n in range(11, 20)]
    assert wall.show("junctions", nine, by="operator").cells == 9
    assert wall.view("junctions").showing(clock.ms()) == tuple(nine)


def test_two_workers_writing_one_tile_the_last_write_wins(
    wall: WallControl, other_worker: WallControl, clock: Clock
) -> None:
    wall.show("main-junction", ["XY-020"], by="operator")
    clock.now += 1
    other_worker.show("main-junction", ["XY-030"], by="admin")
    for worker in (wall, other_worker):
        view = worker.view("main-junction")
        assert view.cameras == ("XY-030",) and view.by == "admin"
    clock.now += 1
    wall.show("main-junction", ["XY-031"], by="operator")
    assert other_worker.view("main-junction").cameras == ("XY-031",)
    assert other_worker.view("junctions") == TileState("junctions", JUNCTIONS)  # untouched


@pytest.mark.parametrize(
    ("tile", "cameras", "message"),
    [
        ("main-junction", ["NOPE-9"], "unknown camera(s): NOPE-9"),
        ("junctions", ["XY-001", "XY-002", "XY-003"], "a tile shows 1, 4, 9 or 16 cameras, not 3"),
        ("junctions", [], "a tile shows 1, 4, 9 or 16 cameras, not 0"),
        (
            "emap",
            ["XY-001"],
            "'emap' is not a camera tile (camera tiles: junctions, main-junction)",
        ),
        (
            "no-such-tile",
            ["XY-001"],
            "'no-such-tile' is not a camera tile (camera tiles: junctions, main-junction)",
        ),
    ],
)
def test_an_invalid_show_is_refused_with_a_clear_message(
    wall: WallControl, redis_client: redis.Redis, tile: str, cameras: list[str], message: str
) -> None:
    with pytest.raises(ControlError) as refused:
        wall.show(tile, cameras, by="operator")
    assert str(refused.value) == message
    assert updates(redis_client) == [] and audit(redis_client) == []
    assert wall.view("junctions") == TileState("junctions", JUNCTIONS)


# ── announced and audited ───────────────────────────────────────────────
def test_every_change_of_the_wall_is_one_update_that_keeps_cached_kpi_days(
    wall: WallControl, clock: Clock, redis_client: redis.Redis, config: WallConfig
) -> None:
    announced_once(redis_client, lambda: wall.show("main-junction", ["XY-020"], by="op"))
    announced_once(redis_client, lambda: wall.start_tour("junctions", "六路巡逻", by="op"))
    clock.now += 6
    announced_once(redis_client, lambda: wall.stop_tour("junctions", by="op"))
    announced_once(redis_client, lambda: wall.recall_preset("早晚高峰", by="op"))
    announced_once(redis_client, lambda: wall.raise_alarm(alarm_at(clock.ms())))
    announced_once(redis_client, lambda: wall.acknowledge_alarm(by="op"))

    # And the live hub, reading those updates, keeps its cached past days' sums.
    tiles = live_tiles(config, tile_views())
    hub = LiveHub(redis_client, config, tiles, wall_translator("zh-CN"), HubSettings(block_ms=50))
    hub.cycle()
    cached = len(hub._day_totals)  # whole past days of the half-year KPIs
    assert cached > 0
    wall.show("main-junction", ["XY-021"], by="op")
    hub.cycle()
    assert len(hub._day_totals) == cached


def test_doing_nothing_announces_and_audits_nothing(
    wall: WallControl, redis_client: redis.Redis
) -> None:
    assert wall.stop_tour("junctions", by="op") == TileState("junctions", JUNCTIONS)
    assert wall.acknowledge_alarm(by="op") is None
    assert updates(redis_client) == [] and audit(redis_client) == []


def test_every_action_is_audited_with_who_what_before_and_after(
    wall: WallControl, clock: Clock, redis_client: redis.Redis
) -> None:
    config_view = {
        "tile_id": "main-junction",
        "cameras": ["XY-001"],
        "tour": None,
        "by": "",
        "at_ms": 0,
    }
    shown = wall.show("main-junction", ["XY-020"], by="值班员甲")
    entry = last_audit(redis_client)
    assert (entry.who, entry.action) == ("值班员甲", "tile.show")
    assert entry.before == config_view
    assert entry.after == shown.as_json()

    clock.now += 1
    again = wall.show("main-junction", ["XY-021"], by="值班员乙")
    entry = last_audit(redis_client)
    assert (entry.who, entry.action) == ("值班员乙", "tile.show")
    assert entry.before == shown.as_json()  # the previous view, not the config's
    assert entry.after == again.as_json()

    started = wall.start_tour("junctions", "六路巡逻", by="值班员甲")
    entry = last_audit(redis_client)
    assert (entry.action, entry.before["cameras"], entry.before["tour"]) == (
        "tour.start",
        list(JUNCTIONS),
        None,
    )
    assert entry.after == started.as_json()

    clock.now += 5
    stopped = wall.stop_tour("junctions", by="值班员乙")
    entry = last_audit(redis_client)
    assert (entry.who, entry.action) == ("值班员乙", "tour.stop")
    assert entry.before == started.as_json() and entry.after == stopped.as_json()

    tour = wall.save_tour("夜间巡逻", ["XY-020", "XY-021"], 6, by="值班员甲")
    entry = last_audit(redis_client)
    assert (entry.action, entry.before, entry.after) == ("tour.save", None, tour.model_dump())

    before_recall = {tile: view.as_json() for tile, view in wall.views().items()}
    wall.recall_preset("主路口", by="值班员甲")
    entry = last_audit(redis_client)
    assert entry.action == "preset.recall"
    assert entry.before == before_recall
    assert entry.after["name"] == "主路口"
    assert entry.after["main-junction"]["cameras"] == ["XY-020"]

    saved = wall.save_preset("交接班", by="值班员乙")
    entry = last_audit(redis_client)
    assert (entry.action, entry.before) == ("preset.save", None)
    assert entry.after == {
        "name": "交接班",
        "tiles": {tile: view.as_json() for tile, view in saved.items()},
    }

    first = alarm_at(clock.ms(), "CASE-1")
    wall.raise_alarm(first)
    entry = last_audit(redis_client)
    assert (entry.who, entry.action, entry.before) == ("system:alarms", "alarm.raise", None)
    assert Alarm(**entry.after) == first

    wall.acknowledge_alarm(by="值班员甲")
    entry = last_audit(redis_client)
    assert (entry.who, entry.action, entry.after) == ("值班员甲", "alarm.acknowledge", None)
    assert Alarm(**entry.before) == first

    actions = [e.action for e in reversed(audit(redis_client))]
    assert actions == [
        "tile.show",
        "tile.show",
        "tour.start",
        "tour.stop",
        "tour.save",
        "preset.recall",
        "preset.save",
        "alarm.raise",
        "alarm.acknowledge",
    ]


def test_with_a_redis_prefix_the_console_reads_the_wall_actions_in_its_audit(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    """The console reads ``AuditLog(control.client, control.keys)`` (the config's prefix),
    as the snapshots write it: the wall's own actions must be there too."""
    config = config_with(tmp_path, redis={"url": None, "prefix": "hall2:"})
    wall = WallControl(redis_client, config, clock=Clock())
    wall.show("main-junction", ["XY-020"], by="operator")
    assert len(updates(redis_client, "hall2:")) == 1
    entries = AuditLog(redis_client, Keys("hall2:")).latest(10)
    assert [(e.who, e.action) for e in entries] == [("operator", "tile.show")]


# ── tours ───────────────────────────────────────────────────────────────
def test_a_tour_turns_with_the_clock_and_stopping_keeps_the_camera_shown(
    wall: WallControl, other_worker: WallControl, clock: Clock
) -> None:
    view = wall.start_tour("junctions", "六路巡逻", by="operator")
    assert view.tour == TourRun("六路巡逻", tuple(SIX), 5.0, T0_MS)
    assert view.cameras == JUNCTIONS  # the tile's cells, 4 of them
    seen = other_worker.view("junctions")  # what another worker's screens compute
    assert seen == view
    assert seen.showing(T0_MS + 4_999) == ("XY-001", "XY-002", "XY-003", "XY-004")
    assert seen.showing(T0_MS + 5_000) == ("XY-005", "XY-006", "XY-001", "XY-002")
    assert seen.showing(T0_MS + 10_000) == ("XY-001", "XY-002", "XY-003", "XY-004")

    clock.now += 7  # the second page is on the wall
    stopped = other_worker.stop_tour("junctions", by="admin")
    assert stopped == TileState(
        "junctions", ("XY-005", "XY-006", "XY-001", "XY-002"), None, "admin", T0_MS + 7000
    )
    clock.now += 60
    assert wall.view("junctions").showing(clock.ms()) == ("XY-005", "XY-006", "XY-001", "XY-002")


def test_a_one_cell_tile_tours_one_camera_at_a_time(wall: WallControl, clock: Clock) -> None:
    wall.start_tour("main-junction", "湘阴大道沿线", by="operator")
    shown = [wall.view("main-junction").showing(T0_MS + 8_000 * step) for step in range(9)]
    assert shown == [(camera,) for camera in [*ROAD, ROAD[0]]]
    clock.now += 8 * 3 + 1
    assert wall.stop_tour("main-junction", by="operator").cameras == ("XY-004",)


def test_show_stops_a_running_tour(wall: WallControl) -> None:
    wall.start_tour("junctions", "重点路口巡逻", by="operator")
    view = wall.show("junctions", ["XY-020"], by="operator")
    assert view.tour is None and wall.view("junctions").tour is None


def test_tours_lists_the_config_tours_with_groups_resolved_then_the_consoles(
    wall: WallControl, other_worker: WallControl
) -> None:
    tours = wall.tours()
    assert list(tours) == ["重点路口巡逻", "湘阴大道沿线", "六路巡逻"]
    assert tours["重点路口巡逻"].cameras == KEY_JUNCTIONS  # group: 重点路口
    assert tours["重点路口巡逻"].dwell_s == 10
    assert tours["湘阴大道沿线"].cameras == ROAD
    saved = wall.save_tour("夜间巡逻", ["XY-020", "XY-021", "XY-022"], 4.5, by="operator")
    assert (saved.cameras, saved.dwell_s) == (["XY-020", "XY-021", "XY-022"], 4.5)
    tours = other_worker.tours()
    assert list(tours) == ["重点路口巡逻", "湘阴大道沿线", "六路巡逻", "夜间巡逻"]
    assert tours["夜间巡逻"] == saved
    view = other_worker.start_tour("main-junction", "夜间巡逻", by="operator")
    assert view.showing(T0_MS + 4_500) == ("XY-021",)


def test_a_console_tour_can_be_saved_again_over_itself(
    wall: WallControl, redis_client: redis.Redis
) -> None:
    wall.save_tour("夜间巡逻", ["XY-020"], 5, by="operator")
    wall.save_tour("夜间巡逻", ["XY-021", "XY-022"], 8, by="admin")
    assert wall.tours()["夜间巡逻"].cameras == ["XY-021", "XY-022"]
    entry = last_audit(redis_client)
    first = {"name": "夜间巡逻", "cameras": ["XY-020"], "group": None, "dwell_s": 5.0}
    assert entry.before == first


CONFIG_TOUR = "is a tour of the config file; choose another name"


@pytest.mark.parametrize(
    ("name", "cameras", "dwell_s", "message"),
    [
        ("快巡", ["XY-001"], 2.9, "a camera must stay at least 3 s"),
        ("重点路口巡逻", ["XY-001"], 10, f"'重点路口巡逻' {CONFIG_TOUR}"),
        ("空巡", [], 10, "a tour needs at least one camera"),
        ("错巡", ["XY-001", "NOPE-1", "NOPE-0"], 10, "unknown camera(s): NOPE-0, NOPE-1"),
    ],
)
def test_save_tour_refuses_what_the_wall_cannot_tour(
    wall: WallControl,
    redis_client: redis.Redis,
    name: str,
    cameras: list[str],
    dwell_s: float,
    message: str,
) -> None:
    with pytest.raises(ControlError) as refused:
        wall.save_tour(name, cameras, dwell_s, by="operator")
    assert str(refused.value) == message
    assert list(wall.tours()) == ["重点路口巡逻", "湘阴大道沿线", "六路巡逻"]
    assert audit(redis_client) == []


@pytest.mark.parametrize(("name", "dwell_s"), [("夜/巡", 5.0), (" 夜巡", 5.0), ("夜巡", 7200)])
def test_save_tour_explains_a_bad_name_or_dwell_in_words(
    wall: WallControl, name: str, dwell_s: float
) -> None:
    """The operator sees the message in the console: it must say what is wrong, not
    point at pydantic's documentation."""
    with pytest.raises(ControlError) as refused:
        wall.save_tour(name, ["XY-001"], dwell_s, by="operator")
    message = str(refused.value)
    assert "errors.pydantic.dev" not in message
    assert "name" in message or "3600" in message


def test_start_tour_refuses_an_unknown_tour_or_tile(wall: WallControl) -> None:
    with pytest.raises(ControlError, match="no tour named '夜巡'"):
        wall.start_tour("junctions", "夜巡", by="operator")
    with pytest.raises(ControlError, match="'emap' is not a camera tile"):
        wall.start_tour("emap", "六路巡逻", by="operator")
    with pytest.raises(ControlError, match="'emap' is not a camera tile"):
        wall.stop_tour("emap", by="operator")


# ── presets ─────────────────────────────────────────────────────────────
def test_a_config_preset_replaces_the_whole_wall_and_restarts_its_tours(
    wall: WallControl, other_worker: WallControl, clock: Clock, redis_client: redis.Redis
) -> None:
    wall.show("main-junction", ["XY-020"], by="operator")
    wall.show("junctions", ["XY-030", "XY-031", "XY-032", "XY-033"], by="operator")
    clock.now += 100
    recall_ms = clock.ms()
    before = len(updates(redis_client))
    views = other_worker.recall_preset("早晚高峰", by="admin")
    assert len(updates(redis_client)) == before + 1  # one write: no screen sees half
    assert views == wall.views()
    junctions, main = views["junctions"], views["main-junction"]
    key_tour = TourRun("重点路口巡逻", tuple(KEY_JUNCTIONS), 10.0, recall_ms)
    road_tour = TourRun("湘阴大道沿线", tuple(ROAD), 8.0, recall_ms)
    assert junctions == TileState("junctions", JUNCTIONS, key_tour, "admin", recall_ms)
    assert main == TileState("main-junction", ("XY-001",), road_tour, "admin", recall_ms)
    assert junctions.showing(recall_ms) == JUNCTIONS  # from the first camera
    assert junctions.showing(recall_ms + 10_000) == ("XY-005", "XY-011", "XY-012", "XY-013")
    assert main.showing(recall_ms + 8_000) == ("XY-002",)


def test_tiles_a_preset_does_not_name_go_back_to_their_config_cameras(
    wall: WallControl, clock: Clock
) -> None:
    wall.show("main-junction", ["XY-020"], by="operator")
    wall.show("junctions", ["XY-030", "XY-031", "XY-032", "XY-033"], by="operator")
    clock.now += 30
    views = wall.recall_preset("六路", by="operator")
    assert views["main-junction"] == TileState("main-junction", ("XY-001",))
    assert views["junctions"].tour == TourRun("六路巡逻", tuple(SIX), 5.0, clock.ms())
    assert views["junctions"].cameras == JUNCTIONS

    views = wall.recall_preset("主路口", by="operator")
    assert views == {
        "junctions": TileState("junctions", JUNCTIONS),
        "main-junction": TileState("main-junction", ("XY-020",), None, "operator", clock.ms()),
    }


def test_a_preset_naming_no_tile_puts_every_tile_back_to_the_config(
    wall: WallControl, clock: Clock
) -> None:
    """``tiles: {}`` passes check-config ("tiles not named keep their config cameras"):
    recalling it must reset the wall, not fail on an empty Redis HSET."""
    wall.show("main-junction", ["XY-020"], by="operator")
    wall.start_tour("junctions", "六路巡逻", by="operator")
    views = wall.recall_preset("复位", by="operator")
    assert views == {
        "junctions": TileState("junctions", JUNCTIONS),
        "main-junction": TileState("main-junction", ("XY-001",)),
    }


def test_a_saved_preset_brings_the_wall_back_exactly(
    wall: WallControl, other_worker: WallControl, clock: Clock
) -> None:
    wall.start_tour("junctions", "六路巡逻", by="operator")
    wall.show("main-junction", ["XY-020"], by="operator")
    saved = wall.save_preset("交接班", by="operator")
    assert saved == wall.views()
    assert list(other_worker.presets()) == [
        "日常值守",
        "早晚高峰",
        "六路",
        "主路口",
        "复位",
        "交接班",
    ]

    clock.now += 50
    wall.show("junctions", ["XY-040", "XY-041", "XY-042", "XY-043"], by="admin")
    wall.recall_preset("早晚高峰", by="admin")
    clock.now += 50
    recalled = other_worker.recall_preset("交接班", by="admin")
    assert recalled == wall.views()
    for tile, view in saved.items():
        again = recalled[tile]
        assert again.cameras == view.cameras
        if view.tour is None:
            assert again.tour is None
        else:  # the same tour, from its first camera again
            assert again.tour == TourRun(
                view.tour.name, view.tour.cameras, view.tour.dwell_s, clock.ms()
            )
    assert recalled["main-junction"].showing(clock.ms()) == ("XY-020",)
    second_page = ("XY-005", "XY-006", "XY-001", "XY-002")
    assert recalled["junctions"].showing(clock.ms() + 5_000) == second_page


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("日常值守", "'日常值守' is a preset of the config file; choose another name"),
        ("早/晚", "a preset name is 1 to 64 characters, without /"),
        ("  ", "a preset name is 1 to 64 characters, without /"),
        ("长" * 65, "a preset name is 1 to 64 characters, without /"),
    ],
)
def test_save_preset_refuses_a_config_preset_name_and_bad_names(
    wall: WallControl, redis_client: redis.Redis, name: str, message: str
) -> None:
    with pytest.raises(ControlError) as refused:
        wall.save_preset(name, by="operator")
    assert str(refused.value) == message
    assert audit(redis_client) == []
    assert wall.presets()["日常值守"]["junctions"].cameras == JUNCTIONS


def test_recalling_an_unknown_preset_is_refused(wall: WallControl) -> None:
    with pytest.raises(ControlError, match="no preset named '夜间'"):
        wall.recall_preset("夜间", by="operator")


# ── the alarm pop-up ────────────────────────────────────────────────────
def test_a_raised_alarm_is_on_the_wall_until_its_end(
    wall: WallControl, other_worker: WallControl, clock: Clock, redis_client: redis.Redis
) -> None:
    assert wall.alarm() is None
    alarm = alarm_at(clock.ms(), seconds=90)
    wall.raise_alarm(alarm)
    assert other_worker.alarm() == alarm
    ttl_ms = redis_client.pttl("citywall:wall:alarm")
    assert 85_000 < ttl_ms <= 90_000  # Redis drops it by itself too
    clock.now += 89.999
    assert wall.alarm() == alarm
    clock.now += 0.001
    assert wall.alarm() is None and other_worker.alarm() is None
    assert wall.acknowledge_alarm(by="operator") is None  # nothing left to acknowledge


def test_acknowledging_clears_the_alarm_and_returns_it(
    wall: WallControl, other_worker: WallControl, clock: Clock
) -> None:
    alarm = alarm_at(clock.ms())
    wall.raise_alarm(alarm)
    clock.now += 10
    assert other_worker.acknowledge_alarm(by="operator") == alarm
    assert wall.alarm() is None
    assert wall.acknowledge_alarm(by="operator") is None


def test_a_newer_alarm_replaces_an_older_one(
    wall: WallControl, other_worker: WallControl, clock: Clock, redis_client: redis.Redis
) -> None:
    older = alarm_at(clock.ms(), "CASE-OLD", seconds=120)
    wall.raise_alarm(older)
    clock.now += 5
    no_camera = {"camera_id": None, "distance_m": None}
    newer = alarm_at(clock.ms(), "CASE-NEW", seconds=30, reason="video", **no_camera)
    other_worker.raise_alarm(newer)
    assert wall.alarm() == newer
    entry = last_audit(redis_client)
    assert Alarm(**entry.before) == older and Alarm(**entry.after) == newer
    clock.now += 31  # the newer one's end, not the older one's
    assert wall.alarm() is None


def test_an_alarm_on_a_tile_that_is_no_camera_tile_is_refused(
    wall: WallControl, clock: Clock, redis_client: redis.Redis
) -> None:
    with pytest.raises(ControlError, match="'emap' is not a camera tile"):
        wall.raise_alarm(alarm_at(clock.ms(), tile_id="emap"))
    assert wall.alarm() is None and updates(redis_client) == []


# ── the camera tiles' live part ─────────────────────────────────────────
def hub_for(client: redis.Redis, config: WallConfig) -> LiveHub:
    tiles = live_tiles(config, tile_views())
    return LiveHub(client, config, tiles, wall_translator("zh-CN"), HubSettings(block_ms=50))


def changes_after(hub: LiveHub, action: Callable[[], object]) -> dict[str, dict[str, Any]]:
    before, _ = hub.current()
    action()
    hub.cycle()
    frame, _ = hub.current()
    frames = hub.frames_after(before.seq, frame)
    assert frames is not None
    return merge_changes(frames)


def cameras_of(view: dict[str, Any]) -> list[str]:
    return [cell["camera"] for cell in view["cells"]]


def test_the_hub_pushes_a_new_camera_to_that_tile_only(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    wall = WallControl(redis_client, config)  # the hub's readers use the real clock
    hub = hub_for(redis_client, config)
    hub.cycle()
    assert cameras_of(hub.state("main-junction")["view"]) == ["XY-001"]
    assert hub.state("main-junction")["view"]["stream"] == "main"

    changes = changes_after(hub, lambda: wall.show("main-junction", ["XY-020"], by="operator"))
    view = changes["main-junction"]["view"]
    assert view["cells"] == [{"camera": "XY-020", "name": "文星路与长康路交叉口"}]
    assert view["by"] == "operator"
    assert "junctions" not in changes  # a tile not touched sends nothing
    assert cameras_of(hub.state("main-junction")["view"]) == ["XY-020"]

    started = int(time.time() * 1000)
    changes = changes_after(hub, lambda: wall.start_tour("junctions", "六路巡逻", by="operator"))
    view = changes["junctions"]["view"]
    # Six cameras on a four-cell tile: two steps, the first four cameras first.
    assert view["tour"] == {"name": "六路巡逻", "step": 1, "pages": 2}
    assert cameras_of(hub.state("junctions")["view"]) == SIX[:4]
    assert cameras_of(view["next"][0]) == [*SIX[4:], *SIX[:2]]
    assert started + 5000 <= view["next"][0]["at_ms"] <= time.time() * 1000 + 5000
    assert "main-junction" not in changes


def test_the_hub_turns_a_tour_by_itself_at_each_step(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    """No update announces a tour's step: the hub rebuilds the view when it is due."""
    wall = WallControl(redis_client, config)
    hub = hub_for(redis_client, config)
    hub.cycle()
    wall.start_tour("junctions", "六路巡逻", by="operator")
    hub.cycle()
    first = hub.state("junctions")["view"]
    assert first["tour"]["step"] == 1
    while time.time() * 1000 < first["next"][0]["at_ms"]:
        hub.cycle()  # waits on the updates stream at most until the step is due
    hub.cycle()
    second = hub.state("junctions")["view"]
    assert second["tour"]["step"] == 2
    assert cameras_of(second) == [*SIX[4:], *SIX[:2]]
    assert second["next"][0]["at_ms"] == first["next"][0]["at_ms"] + 5000
    assert second["next"][0] == first["next"][1]  # what screens were told would come


def test_the_hub_pushes_the_alarm_to_its_tile_and_takes_it_away(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    wall = WallControl(redis_client, config)
    hub = hub_for(redis_client, config)
    hub.cycle()
    now_ms = int(time.time() * 1000)
    alarm = alarm_at(now_ms, "XY20240501-0042", seconds=300, camera_id="XY-025")

    changes = changes_after(hub, lambda: wall.raise_alarm(alarm))
    view = changes["main-junction"]["view"]
    assert view["alarm"]["case_id"] == "XY20240501-0042"
    assert view["alarm"]["camera_id"] == "XY-025"
    assert view["alarm"]["until_ms"] == alarm.until_ms
    assert cameras_of(view) == ["XY-025"]  # the alarm's camera, over the tile's own
    assert view["next"][0]["at_ms"] == alarm.until_ms  # and back by itself when it ends
    assert cameras_of(view["next"][0]) == ["XY-001"] and "alarm" not in view["next"][0]
    assert "junctions" not in changes

    changes = changes_after(hub, lambda: wall.acknowledge_alarm(by="operator"))
    assert changes["main-junction"]["view"]["alarm"] is None
    assert "alarm" not in hub.state("main-junction")["view"]  # gone, not null
    assert cameras_of(hub.state("main-junction")["view"]) == ["XY-001"]


def test_an_alarm_ends_on_the_wall_by_itself_at_its_time(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    """No update announces an alarm's end: the hub rebuilds the view when it is due."""
    wall = WallControl(redis_client, config)
    hub = hub_for(redis_client, config)
    hub.cycle()
    now_ms = int(time.time() * 1000)
    alarm = alarm_at(now_ms, "XY20240501-0043", seconds=1, camera_id="XY-025")
    wall.raise_alarm(alarm)
    hub.cycle()
    assert cameras_of(hub.state("main-junction")["view"]) == ["XY-025"]
    while time.time() * 1000 < alarm.until_ms:
        hub.cycle()  # waits at most until the alarm's end
    hub.cycle()
    view = hub.state("main-junction")["view"]
    assert "alarm" not in view and cameras_of(view) == ["XY-001"]


def test_a_part_that_fails_after_an_expiry_does_not_spin_the_hub(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    """A build that fails is retried with the next update or refresh, not at once."""
    calls: list[int] = []

    def build(data: object) -> dict[str, object]:
        calls.append(1)
        if len(calls) == 1:
            return {"at": 1}  # expires at once
        raise RuntimeError("a bug in a tile")

    part = BoundPart("p", frozenset({"wall"}), build, expires=lambda values: 1)
    hub = LiveHub(redis_client, config, [LiveTile("t", (part,))], wall_translator("zh-CN"),
                  HubSettings(block_ms=200, refresh_s=3600))  # fmt: skip
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        hub.cycle()
    # The first expiry rebuilds once (and fails); then the hub waits on its stream.
    assert len(calls) <= 3, f"{len(calls)} builds in a second: the hub spins"
