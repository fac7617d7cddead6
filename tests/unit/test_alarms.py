"""The alarm pop-up's pure parts: which camera, whether a case pops up, what it shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from data_feeds.events import CaseEvent
from wall.config.control import AlarmSpec
from wall.config.models import Camera
from wall.control.alarms import (
    NearestCamera,
    alarm_reason,
    build_alarm,
    camera_statuses,
    category_label,
    distance_m,
    nearest_camera,
)

CASE_LAT, CASE_LON = 28.69, 112.89
# 0.001° of latitude is about 111 m; of longitude here, about 97.5 m.
DEG_LAT_M = 111.2


def camera(camera_id: str, north_m: float, east_m: float = 0.0) -> Camera:
    return Camera(
        id=camera_id, name=camera_id, grid="4306240010101",
        lat=CASE_LAT + north_m / DEG_LAT_M / 1000, lon=CASE_LON + east_m / 97.6 / 1000,
        main=f"sim://{camera_id}?stream=main", sub=f"sim://{camera_id}?stream=sub",
    )  # fmt: skip


def case(**fields: Any) -> CaseEvent:
    return CaseEvent.model_validate(
        {"event_id": "e-1", "time": datetime.fromisoformat("2026-03-02T10:00:00+08:00"),
         "case_id": "C-1", "status": "reported", "kind": "event", "category": "0504",
         "source": "patrol", "priority": "normal", "lat": CASE_LAT, "lon": CASE_LON,
         "grid": "430624-0101", **fields}
    )  # fmt: skip


SPEC = AlarmSpec(tile="alarm", radius_m=500, revert_s=60)


# ── distance and the nearest camera ───────────────────────────────────
def test_distance_is_the_great_circle_in_metres() -> None:
    assert distance_m(CASE_LAT, CASE_LON, CASE_LAT, CASE_LON) == 0
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)  # 1° of meridian
    one_km_north = distance_m(CASE_LAT, CASE_LON, CASE_LAT + 1 / 111.195, CASE_LON)
    assert one_km_north == pytest.approx(1000, rel=1e-3)


def test_the_nearest_online_camera_wins_over_a_nearer_offline_one() -> None:
    cameras = [camera("NEAR", 50), camera("MID", 200), camera("FAR", 400, 100)]
    statuses = {"NEAR": "offline", "MID": "online", "FAR": "online"}
    found = nearest_camera(CASE_LAT, CASE_LON, cameras, statuses, 500)
    assert found is not None
    assert found.camera_id == "MID"
    assert found.distance_m == pytest.approx(200, rel=0.01)


def test_connecting_and_unreported_cameras_are_not_online() -> None:
    cameras = [camera("A", 10), camera("B", 20), camera("C", 300)]
    found = nearest_camera(CASE_LAT, CASE_LON, cameras, {"A": "connecting", "C": "online"}, 500)
    assert found is not None and found.camera_id == "C"


def test_no_camera_beyond_the_radius() -> None:
    cameras = [camera("FAR", 600), camera("FARTHER", 0, 900)]
    statuses = {"FAR": "online", "FARTHER": "online"}
    assert nearest_camera(CASE_LAT, CASE_LON, cameras, statuses, 500) is None
    assert nearest_camera(CASE_LAT, CASE_LON, cameras, statuses, 700) == NearestCamera(
        "FAR", pytest.approx(600, rel=0.01)
    )
    assert nearest_camera(CASE_LAT, CASE_LON, [], {}, 500) is None


def test_a_tie_goes_to_the_smaller_id() -> None:
    cameras = [camera("XY-2", 100), camera("XY-1", 100)]
    found = nearest_camera(CASE_LAT, CASE_LON, cameras, {"XY-1": "online", "XY-2": "online"}, 500)
    assert found is not None and found.camera_id == "XY-1"


def test_camera_statuses_read_the_relays_json_and_skip_garbage() -> None:
    raw = {
        b"XY-001": b'{"status": "online", "t": 1}',
        b"XY-002": b'{"status": "offline", "t": 2, "reason": "timeout"}',
        b"XY-003": b"not json",
        b"XY-004": b"[1, 2]",
    }
    assert camera_statuses(raw) == {"XY-001": "online", "XY-002": "offline"}


# ── whether a case pops up ────────────────────────────────────────────
def test_an_urgent_case_pops_up() -> None:
    assert alarm_reason(case(priority="urgent"), SPEC) == "urgent"


def test_a_video_capture_pops_up() -> None:
    assert alarm_reason(case(source="video"), SPEC) == "video"


def test_urgent_wins_when_both() -> None:
    assert alarm_reason(case(priority="urgent", source="video"), SPEC) == "urgent"


def test_a_normal_patrol_case_does_not() -> None:
    assert alarm_reason(case(), SPEC) is None
    assert alarm_reason(case(source="hotline"), SPEC) is None


@pytest.mark.parametrize("status", ["filed", "handled", "closed", "rework", "cancelled"])
def test_only_the_first_report_pops_up(status: str) -> None:
    assert alarm_reason(case(status=status, priority="urgent", source="video"), SPEC) is None


def test_flags_off_keep_cases_down() -> None:
    no_urgent = AlarmSpec(tile="alarm", urgent=False)
    no_video = AlarmSpec(tile="alarm", video_capture=False)
    neither = AlarmSpec(tile="alarm", urgent=False, video_capture=False)
    assert alarm_reason(case(priority="urgent"), no_urgent) is None
    assert alarm_reason(case(priority="urgent", source="video"), no_urgent) == "video"
    assert alarm_reason(case(source="video"), no_video) is None
    assert alarm_reason(case(priority="urgent", source="video"), no_video) == "urgent"
    assert alarm_reason(case(priority="urgent", source="video"), neither) is None


# ── what the alarm carries ────────────────────────────────────────────
def test_the_alarm_names_tile_camera_place_and_time() -> None:
    event = case(priority="urgent")
    alarm = build_alarm(event, "urgent", SPEC, NearestCamera("XY-7", 123.456), 1_000_000)
    assert (alarm.case_id, alarm.reason, alarm.tile_id) == ("C-1", "urgent", "alarm")
    assert (alarm.lat, alarm.lon, alarm.grid) == (CASE_LAT, CASE_LON, "430624-0101")
    assert (alarm.started_ms, alarm.until_ms) == (1_000_000, 1_060_000)
    assert (alarm.camera_id, alarm.distance_m) == ("XY-7", 123.5)
    assert alarm.category == "违章停车"
    assert alarm.extra["source"] == "patrol"
    assert alarm.extra["code"] == "0504"
    nobody = build_alarm(event, "urgent", SPEC, None, 1_000_000, locale="en")
    assert (nobody.camera_id, nobody.distance_m) == (None, None)
    assert nobody.category == "Street order"


def test_category_labels() -> None:
    assert category_label("component", "0105", "zh-CN") == "路灯"
    assert category_label("component", "0105", "en") == "Utilities"
    assert category_label("event", "9999", "zh-CN") == "9999"
