"""The auto-capture rules, evaluated on Frigate's messages: pure, no broker, no Redis."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from data_feeds.autocapture.cases import case_event, case_id_for, event_id_for, snapshot_url
from data_feeds.autocapture.frigate import FrigateMessageError, FrigateObject, parse_message
from data_feeds.autocapture.rules import dwell_s, evaluate, in_hours
from data_feeds.autocapture.settings import CameraPlace, Rule
from data_feeds.events import CaseEvent, parse_entry, to_fields
from wall.config.control import AlarmSpec
from wall.control.alarms import alarm_reason

HALL = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=HALL)
PLACE = CameraPlace("XY-001", "文星路口", 28.69, 112.89, "4306240010101")
PARKING = Rule(
    frigate_camera="wenxing", zone="no_parking", kind="event", category="0504",
    labels=frozenset({"car", "truck"}), camera=PLACE, min_score=0.6, min_dwell_s=120,
    hours=(7 * 60, 22 * 60), window_s=600,
)  # fmt: skip
STOREFRONT = Rule(
    frigate_camera="wenxing", zone="storefront", kind="event", category="0501",
    labels=frozenset({"person"}), camera=PLACE, min_dwell_s=60,
)  # fmt: skip
RULES = (PARKING, STOREFRONT)


def detection(**changes: Any) -> FrigateObject:
    """A car in the no-parking zone, tracked for 5 minutes at noon."""
    fields: dict[str, Any] = {
        "id": "1772423700.123456-abc123", "camera": "wenxing", "label": "car",
        "score": 0.8, "top_score": 0.9, "start_time": NOON.timestamp() - 300,
        "current_zones": ["no_parking"], "entered_zones": ["no_parking"],
        "has_snapshot": True, "false_positive": False, "stationary": False,
    }  # fmt: skip
    fields.update(changes)
    return FrigateObject.model_validate(fields)


def at(hour: int, minute: int = 0) -> datetime:
    return NOON.replace(hour=hour, minute=minute)


@pytest.mark.parametrize(
    ("hours", "local", "inside"),
    [
        ((420, 1320), at(7), True),
        ((420, 1320), at(6, 59), False),
        ((420, 1320), at(21, 59), True),
        ((420, 1320), at(22), False),
        ((1320, 360), at(23, 30), True),  # 22:00-06:00, over midnight
        ((1320, 360), at(5, 59), True),
        ((1320, 360), at(12), False),
        ((0, 1440), at(0), True),
        ((0, 1440), at(23, 59), True),
    ],
)
def test_working_hours(hours: tuple[int, int], local: datetime, inside: bool) -> None:
    assert in_hours(hours, local) is inside


def test_dwell_is_until_now_or_until_the_end() -> None:
    assert dwell_s(detection(), NOON.timestamp()) == pytest.approx(300)
    ended = detection(end_time=NOON.timestamp() - 200)
    assert dwell_s(ended, NOON.timestamp()) == pytest.approx(100)


def test_a_detection_that_meets_every_condition_matches_its_rule() -> None:
    verdict = evaluate(detection(), RULES, NOON)
    assert verdict.matches == (PARKING,)
    assert verdict.waiting == ()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"current_zones": ["road"], "entered_zones": ["no_parking", "road"]},
         "no_parking: not in zone 'no_parking' (in: road)"),
        ({"current_zones": []}, "no_parking: not in zone 'no_parking' (in: none)"),
        ({"label": "bicycle"}, "no_parking: label 'bicycle' is not one of car, truck"),
        ({"false_positive": True}, "no_parking: a false positive"),
        ({"score": 0.5, "top_score": 0.55}, "no_parking: score 0.55 is below 0.60"),
    ],
)  # fmt: skip
def test_what_no_waiting_can_change_makes_no_case(changes: dict[str, Any], reason: str) -> None:
    verdict = evaluate(detection(**changes), RULES, NOON)
    assert verdict.matches == () and verdict.waiting == () and verdict.final
    assert reason in verdict.reasons


def test_a_detection_short_of_its_dwell_waits() -> None:
    verdict = evaluate(detection(start_time=NOON.timestamp() - 30), RULES, NOON)
    assert (verdict.matches, verdict.waiting) == ((), (PARKING,))
    assert verdict.reasons[0] == "no_parking: dwelt 30 s of 120 s"
    later = evaluate(detection(start_time=NOON.timestamp() - 30), RULES, at(12, 2))
    assert later.matches == (PARKING,)


def test_stationary_counts_as_dwelling_only_when_the_rule_says_so() -> None:
    parked = detection(start_time=NOON.timestamp() - 10, stationary=True)
    assert evaluate(parked, RULES, NOON).matches == ()
    lenient = Rule(**{**PARKING.__dict__, "stationary_counts": True})
    assert evaluate(parked, (lenient,), NOON).matches == (lenient,)


def test_outside_working_hours_a_detection_waits_for_them() -> None:
    early = at(6, 58)
    verdict = evaluate(detection(start_time=early.timestamp() - 600), RULES, early)
    assert (verdict.matches, verdict.waiting) == ((), (PARKING,))
    assert verdict.reasons[0] == "no_parking: 06:58 is outside the working hours"
    assert evaluate(detection(start_time=early.timestamp() - 600), RULES, at(7)).matches


def test_an_ended_detection_never_waits() -> None:
    short = detection(start_time=NOON.timestamp() - 60, end_time=NOON.timestamp() - 1)
    assert evaluate(short, RULES, NOON).final
    night = at(23)
    late = detection(start_time=night.timestamp() - 600, end_time=night.timestamp())
    assert evaluate(late, RULES, night).final


def test_a_camera_without_rules_and_the_rule_order() -> None:
    assert evaluate(detection(camera="other"), RULES, NOON).reasons == (
        "no rule for Frigate camera 'other'",
    )
    person = detection(label="person", current_zones=["storefront", "no_parking"])
    verdict = evaluate(person, RULES, NOON)
    assert verdict.matches == (STOREFRONT,)
    assert "no_parking: label 'person' is not one of car, truck" in verdict.reasons


# ── Frigate's messages ───────────────────────────────────────────────────
FRIGATE_SAMPLE = {  # as docs.frigate.video "MQTT" shows it, fields citywall ignores included
    "type": "update",
    "before": {"id": "1607123955.475377-mxklsc", "camera": "front_door", "label": "person"},
    "after": {
        "id": "1607123955.475377-mxklsc", "camera": "front_door",
        "frame_time": 1607123962.082975,
        "snapshot": {"frame_time": 1607123965.975463, "box": [415, 489, 528, 700],
                     "area": 12728, "region": [260, 446, 660, 846], "score": 0.77546,
                     "attributes": []},
        "label": "person", "sub_label": ["王某", 0.91], "top_score": 0.958984375,
        "false_positive": False, "start_time": 1607123955.475377, "end_time": None,
        "score": 0.87890625, "box": [432, 496, 544, 854], "area": 40096, "ratio": 2.1,
        "region": [218, 440, 693, 915], "current_zones": ["yard", "driveway"],
        "entered_zones": ["yard", "driveway"], "thumbnail": None, "has_snapshot": False,
        "has_clip": False, "stationary": False, "motionless_count": 0,
        "position_changes": 2, "attributes": {}, "current_attributes": [],
    },
}  # fmt: skip


def test_frigate_messages_are_read_with_the_fields_the_rules_need() -> None:
    message = parse_message(json.dumps(FRIGATE_SAMPLE).encode())
    assert message.type == "update"
    after = message.after
    assert (after.camera, after.label, after.sub_label) == ("front_door", "person", "王某")
    assert after.current_zones == ("yard", "driveway")
    assert after.best_score == pytest.approx(0.958984375)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object (got list)"),
        (json.dumps({"type": "update"}).encode(), "after: Field required"),
        (json.dumps({**FRIGATE_SAMPLE, "type": "moved"}).encode(), "type: Input should be"),
        (json.dumps({**FRIGATE_SAMPLE, "after": {"id": "x"}}).encode(),
         "after.camera: Field required"),
    ],
)  # fmt: skip
def test_malformed_messages_say_why(payload: bytes, reason: str) -> None:
    with pytest.raises(FrigateMessageError) as raised:
        parse_message(payload)
    assert reason in raised.value.reason


# ── the case ─────────────────────────────────────────────────────────────
def test_ids_derive_from_the_frigate_event_alone() -> None:
    assert event_id_for("1607123955.475377-mxklsc") == "frigate:1607123955.475377-mxklsc"
    odd = event_id_for("camera/one event#1")
    assert odd.startswith("frigate:") and len(odd) == len("frigate:") + 32
    assert odd == event_id_for("camera/one event#1")
    first, later = detection(), detection(score=0.7, stationary=True)
    assert case_id_for(first, HALL) == case_id_for(later, HALL)
    assert case_id_for(first, HALL).startswith("F20260302-115500-")


def test_the_case_carries_what_was_detected_and_where() -> None:
    event = case_event(detection(sub_label="湘A12345"), PARKING, NOON,
                       "http://10.20.0.30:5000/", HALL)  # fmt: skip
    assert isinstance(event, CaseEvent)
    assert (event.v, event.status, event.kind, event.category) == ("2", "reported", "event", "0504")
    assert (event.source, event.channel, event.priority) == ("video", "camera", "normal")
    assert (event.lat, event.lon, event.grid) == (28.69, 112.89, "4306240010101")
    assert event.address == "文星路口附近"
    assert event.photos_before == [
        "http://10.20.0.30:5000/api/events/1772423700.123456-abc123/snapshot.jpg"
    ]
    assert event.description is not None
    for said in ("car（湘A12345）", "no_parking", "90%", "300 秒"):
        assert said in event.description
    assert event.time == NOON and event.event_id == "frigate:1772423700.123456-abc123"
    assert parse_entry("cases", to_fields(event)) == event  # as the stream carries it


def test_the_wall_pops_the_case_up_as_any_video_case() -> None:
    event = case_event(detection(), PARKING, NOON, "http://10.20.0.30:5000", HALL)
    assert alarm_reason(event, AlarmSpec(tile="main-junction")) == "video"


def test_snapshot_urls_quote_the_id() -> None:
    assert snapshot_url("https://nvr.example", "a b/c") == (
        "https://nvr.example/api/events/a%20b%2Fc/snapshot.jpg"
    )
