"""The event schema: what is accepted, and the one-line reason for what is not."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest

from data_feeds import catalog
from data_feeds.events import CaseEvent, MalformedEventError, parse_entry, to_fields
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
        ({"v": "2"}, "v: unsupported schema version '2' (this reads '1')"),
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
