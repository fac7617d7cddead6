"""The event schema: what is accepted, and the one-line reason for what is not."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import get_args

import pytest

from data_feeds import case_details, catalog
from data_feeds.events import (
    SCHEMA_VERSION,
    STREAM_MODELS,
    CaseEvent,
    MalformedEventError,
    parse_entry,
    to_fields,
)
from tests.case_story import SHANGHAI, CaseStory
from wall.cli_data import parse_duration

T0 = __import__("datetime").datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def reported() -> dict[str, str]:
    return to_fields(CaseStory("C1", T0).at(0, "reported").events[0])


def reason(fields: dict[str, str], stream: str = "cases") -> str:
    with pytest.raises(MalformedEventError) as caught:
        parse_entry(stream, fields)
    return caught.value.reason


def test_an_event_round_trips_through_its_stream_fields() -> None:
    event = CaseStory("C1", T0).through_dispatch(130).events[-1]
    fields = to_fields(event)
    assert fields["deadline"] == "2026-03-02T11:10:00+08:00"
    assert "note" not in fields  # unset optional fields are left out
    encoded = {key.encode(): value.encode() for key, value in fields.items()}
    assert parse_entry("cases", encoded) == event


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"v": "3"}, "v: unsupported schema version '3' (this reads '1' or '2')"),
        ({"lat": "91"}, "lat: Input should be less than or equal to 90 (got '91')"),
        ({"status": "done"}, "status: Input should be 'reported', 'filed'"),
        ({"category": "0999"}, "category: unknown event category '0999'"),
        ({"time": "2026-03-02T09:00:00"}, "time: Input should have timezone info"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted (got 'red')"),
        ({"status": "dispatched"}, "dispatched: needs dept and deadline"),
    ],
)
def test_a_bad_event_gets_a_one_line_reason(change: dict[str, str], expected: str) -> None:
    assert reason({**reported(), **change}).startswith(expected)


def test_a_missing_field_and_bad_bytes_are_named() -> None:
    fields = reported()
    del fields["grid"]
    assert reason(fields).startswith("grid: Field required")
    assert reason({"v": b"1", "grid": b"\xff"}) == "grid: not UTF-8"  # type: ignore[dict-item]
    assert reason(reported(), stream="weather") == "unknown stream 'weather'"


def test_deadline_must_follow_the_event() -> None:
    with pytest.raises(ValueError, match="deadline: must be after time"):
        CaseStory("C1", T0).dispatch(10, 5)


def test_the_two_hour_promise_covers_ordinary_appearance_cases_only() -> None:
    assert catalog.is_ordinary("event", "0503", "normal")  # 街面秩序/乱挂乱晒
    assert not catalog.is_ordinary("event", "0503", "urgent")
    assert not catalog.is_ordinary("event", "0401", "normal")  # 突发事件
    assert not catalog.is_ordinary("component", "0101", "normal")
    assert catalog.category("event", "0503").minor_name == "乱挂乱晒"  # type: ignore[union-attr]


def test_durations_on_the_command_line() -> None:
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    with pytest.raises(argparse.ArgumentTypeError, match="use a number and s, m, h or d"):
        parse_duration("soon")


def test_case_events_carry_their_descriptors() -> None:
    required = {name for name, field in CaseEvent.model_fields.items() if field.is_required()}
    assert {"kind", "category", "source", "lat", "lon", "grid"} <= required


# ── schema version 2: a case's details ─────────────────────────────────
PHOTO = "https://szcg.example.gov.cn/photos/2026/03/02/C1-1.jpg"
DETAILS: dict[str, str | list[str]] = {
    "address": "长安路与人民路交叉口东北角",
    "description": "人行道上堆放建筑垃圾约2立方米，影响通行",
    "photos_before": [PHOTO, "http://10.20.0.5:8080/p/C1-2.jpg"],
    "photos_after": [PHOTO.replace("C1-1", "C1-9")],
    "channel": "12319",
    "reporter": "李女士 139****0000",
}


def v1_entry() -> dict[str, str]:
    """A case event exactly as a version 1 producer wrote it."""
    return {**reported(), "v": "1"}


def test_producers_write_version_2() -> None:
    assert SCHEMA_VERSION == "2"
    assert reported()["v"] == "2"
    assert parse_entry("cases", reported()).v == "2"


OTHER_STREAMS = {
    "officers": {"officer_id": "ZF-001", "action": "position", "grid": "430624-0101",
                 "lat": "28.7", "lon": "112.9"},
    "hotline": {"call_id": "H1", "seat": "3", "outcome": "consultation"},
    "approvals": {"application_id": "A1", "service": "ad", "status": "published"},
    "cameras": {"camera_id": "XY-001", "status": "offline"},
}  # fmt: skip


def test_a_version_1_event_reads_as_before_on_every_stream() -> None:
    entry = v1_entry()
    event = parse_entry("cases", entry)
    assert isinstance(event, CaseEvent) and event.v == "1"
    assert all(getattr(event, name) is None for name in case_details.FIELDS)
    assert to_fields(event) == entry  # written back field for field
    head = {"event_id": "e1", "time": "2026-03-02T09:00:00+08:00"}
    for stream, fields in OTHER_STREAMS.items():
        for version in ("1", "2"):
            event = parse_entry(stream, {"v": version, **head, **fields})
            assert type(event) is STREAM_MODELS[stream] and event.v == version
            assert to_fields(event)["v"] == version


@pytest.mark.parametrize("name", case_details.FIELDS)
def test_a_version_1_event_with_a_detail_is_refused_naming_it(name: str) -> None:
    value = DETAILS[name]
    text = case_details.encode_photos(value) if isinstance(value, list) else value
    assert reason({**v1_entry(), name: text}) == f"{name}: needs schema version 2"


def test_the_details_round_trip_through_a_stream_entry() -> None:
    event = CaseStory("C1", T0).at(0, "reported", **DETAILS).events[0]
    assert event.photos_before == DETAILS["photos_before"]
    fields = to_fields(event)
    # A stream entry is flat strings: each photo list is one JSON array.
    assert fields["photos_before"] == f'["{PHOTO}","http://10.20.0.5:8080/p/C1-2.jpg"]'
    assert fields["address"] == DETAILS["address"] and fields["channel"] == "12319"
    encoded = {key.encode(): value.encode() for key, value in fields.items()}
    assert parse_entry("cases", encoded) == event


def test_the_model_takes_lists_or_json_array_strings_and_numbers() -> None:
    """What the HTTP API gives model_validate: JSON values, not stream strings."""
    from_json = {**reported(), "lat": 28.69, "lon": 112.89, "channel": 12319,
                 "photos_before": [PHOTO], "photos_after": f'["{PHOTO}"]'}  # fmt: skip
    event = CaseEvent.model_validate(from_json)
    assert event.photos_before == event.photos_after == [PHOTO]
    assert (event.lat, event.channel) == (28.69, "12319")
    # An empty list is no photos: left out of the entry like any unset field.
    empty = CaseEvent.model_validate({**reported(), "photos_before": [], "photos_after": "[]"})
    assert empty.photos_before is None and "photos_after" not in to_fields(empty)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"address": ""}, "address: String should have at least 1 character"),
        ({"address": "路" * 201}, "address: String should have at most 200 characters"),
        ({"description": "x" * 1001}, "description: String should have at most 1000 characters"),
        ({"channel": "fax"}, "channel: Input should be '12319', 'wechat', 'app'"),
        ({"photos_before": "photo.jpg"}, "photos_before: not a JSON array of photo URLs"),
        ({"photos_before": '{"url": "https://a.cn/1.jpg"}'}, "photos_before: not a JSON array"),
        ({"photos_after": '["/assets/1.jpg"]'}, "photos_after.0: not an absolute http(s) URL"),
        ({"photos_after": '["javascript:alert(1)"]'}, "photos_after.0: not an absolute http(s)"),
        ({"photos_after": '["ftp://a.cn/1.jpg"]'}, "photos_after.0: not an absolute http(s) URL"),
        ({"photos_after": '["https://a.cn/a b.jpg"]'}, "photos_after.0: a URL has no spaces"),
        ({"photos_after": '["https://a.cn:x/1.jpg"]'}, "photos_after.0: not an absolute http(s)"),
        ({"photos_after": '["https://a.cn/' + "x" * 490 + '"]'},
         "photos_after.0: String should have at most 500 characters"),
        ({"photos_after": '[' + ",".join([f'"{PHOTO}"'] * 10) + ']'},
         "photos_after: List should have at most 9 items"),
        ({"photos_after": "[1]"}, "photos_after.0: Input should be a valid string"),
    ],
)  # fmt: skip
def test_a_bad_detail_gets_a_one_line_reason(change: dict[str, str], expected: str) -> None:
    assert reason({**reported(), **change}).startswith(expected)


def test_every_channel_has_a_name() -> None:
    channels = set(get_args(catalog.CaseChannel))
    assert channels == set(catalog.CHANNEL_NAMES) and "12319" in channels
    assert CaseEvent.model_fields["channel"].annotation == catalog.CaseChannel | None


def test_every_detail_is_described_for_the_openapi_document() -> None:
    properties = CaseEvent.model_json_schema()["properties"]
    assert all(properties[name].get("description") for name in properties)
    photos = properties["photos_before"]["anyOf"][0]
    assert (photos["type"], photos["maxItems"], photos["items"]["maxLength"]) == ("array", 9, 500)
