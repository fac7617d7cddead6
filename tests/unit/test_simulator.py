"""The city simulator as a pure function: determinism, windows, calibration, realism."""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from data_feeds import catalog
from data_feeds.events import (
    ApprovalEvent,
    CameraEvent,
    CaseEvent,
    Event,
    HotlineEvent,
    OfficerEvent,
    parse_entry,
    stream_of,
    to_fields,
)
from data_feeds.simulator import CitySettings, events_between, order_key

TZ = ZoneInfo("Asia/Shanghai")
BOUNDS = ((28.64, 112.83), (28.74, 112.95))
CAMERAS = tuple(f"XY-{n:03d}" for n in range(1, 348))
SETTINGS = CitySettings(bounds=BOUNDS, camera_ids=CAMERAS)
HALF_YEARS = {
    "2026H1": (datetime(2026, 1, 1, tzinfo=TZ), datetime(2026, 7, 1, tzinfo=TZ)),
    "2026H2": (datetime(2026, 7, 1, tzinfo=TZ), datetime(2027, 1, 1, tzinfo=TZ)),
}
PLANNED = ("cases", "hotline", "approvals")
DAY = datetime(2026, 3, 2, tzinfo=TZ)  # a Monday


@cache
def half_year(label: str) -> tuple[Event, ...]:
    start, end = HALF_YEARS[label]
    return tuple(events_between(SETTINGS, start, end, streams=PLANNED))


def cases_of(events: tuple[Event, ...]) -> dict[str, list[CaseEvent]]:
    cases: dict[str, list[CaseEvent]] = defaultdict(list)
    for event in events:
        if isinstance(event, CaseEvent):
            cases[event.case_id].append(event)
    return cases


def grid_box(code: str) -> tuple[float, float, float, float]:
    """(south, west, north, east) of a grid, computed here from its code: row 01 is north."""
    (south, west), (north, east) = BOUNDS
    row, col = int(code[-4:-2]), int(code[-2:])
    dlat, dlon = (north - south) / SETTINGS.grid_rows, (east - west) / SETTINGS.grid_cols
    top = north - (row - 1) * dlat
    return top - dlat, west + (col - 1) * dlon, top, west + col * dlon


def inside(code: str, lat: float, lon: float) -> bool:
    south, west, north, east = grid_box(code)
    return south <= lat <= north and west <= lon <= east


def digest(events: list[Event]) -> str:
    text = repr([(stream_of(event), sorted(to_fields(event).items())) for event in events])
    return hashlib.sha256(text.encode()).hexdigest()


# -- determinism and windows ------------------------------------------------------------


def test_same_seed_same_events_in_another_process() -> None:
    """No salted hash() or global random anywhere: another interpreter agrees."""
    start, end = DAY + timedelta(hours=7), DAY + timedelta(hours=10)
    here = digest(list(events_between(SETTINGS, start, end, position_every=timedelta(minutes=5))))
    code = (
        "from datetime import timedelta;"
        "from tests.unit.test_simulator import *;"
        "print(digest(list(events_between(SETTINGS, DAY + timedelta(hours=7),"
        " DAY + timedelta(hours=10), position_every=timedelta(minutes=5)))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[2]
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=root
    ).stdout.strip()
    assert here == there


def test_another_seed_gives_another_city() -> None:
    other = CitySettings(bounds=BOUNDS, camera_ids=CAMERAS, seed=1)
    start, end = DAY, DAY + timedelta(days=1)
    ours = list(events_between(SETTINGS, start, end, positions=False))
    theirs = list(events_between(other, start, end, positions=False))
    assert ours and theirs and ours != theirs
    assert {event.event_id for event in ours} != {event.event_id for event in theirs}


@pytest.mark.parametrize(
    "split",
    [
        datetime(2026, 6, 30, 23, 0, tzinfo=TZ),
        datetime(2026, 7, 1, 0, 0, tzinfo=TZ),  # midnight and a new half-year
        datetime(2026, 7, 1, 8, 3, 17, 123456, tzinfo=TZ),
        datetime(2026, 7, 1, 8, 59, 59, 999000, tzinfo=TZ),
    ],
)
def test_a_window_split_anywhere_gives_the_same_events(split: datetime) -> None:
    start, end = datetime(2026, 6, 30, 21, 0, tzinfo=TZ), datetime(2026, 7, 1, 9, 30, tzinfo=TZ)
    every = timedelta(seconds=613)
    whole = list(events_between(SETTINGS, start, end, position_every=every))
    parts = list(events_between(SETTINGS, start, split, position_every=every))
    parts += events_between(SETTINGS, split, end, position_every=every)
    assert whole == parts
    assert any(isinstance(event, OfficerEvent) and event.action == "position" for event in whole)


def test_a_daylight_saving_change_keeps_local_shifts_and_splits_cleanly() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    city = CitySettings(
        bounds=BOUNDS, camera_ids=CAMERAS[:30], timezone="Europe/Berlin", officers=60
    )
    start, end = datetime(2026, 3, 28, 6, tzinfo=berlin), datetime(2026, 3, 30, 12, tzinfo=berlin)
    split = datetime(2026, 3, 29, 1, 30, tzinfo=berlin)  # the 23-hour day
    every = timedelta(minutes=15)
    whole = list(events_between(city, start, end, position_every=every))
    parts = list(events_between(city, start, split, position_every=every))
    assert whole == parts + list(events_between(city, split, end, position_every=every))
    checkins = [e for e in whole if isinstance(e, OfficerEvent) and e.action == "checkin"]
    mornings = {
        e.time.astimezone(berlin).hour for e in checkins if e.time.astimezone(berlin).hour < 12
    }
    assert mornings <= {7, 8} and len({e.time.astimezone(berlin).date() for e in checkins}) == 3


def test_many_small_windows_give_the_same_events_as_one() -> None:
    start, every = DAY + timedelta(hours=7, minutes=50), timedelta(minutes=3)
    whole = list(events_between(SETTINGS, start, start + timedelta(hours=1), position_every=every))
    pieces: list[Event] = []
    for n in range(37):  # uneven 97.3 s windows, like the live loop's ticks
        lo = start + timedelta(seconds=97.3 * n)
        hi = min(start + timedelta(seconds=97.3 * (n + 1)), start + timedelta(hours=1))
        pieces += events_between(SETTINGS, lo, hi, position_every=every)
    assert pieces == whole


def test_events_are_ordered_and_ids_unique() -> None:
    start = datetime(2026, 6, 28, tzinfo=TZ)
    events = list(events_between(SETTINGS, start, start + timedelta(days=5), positions=False))
    later = start + timedelta(days=5)
    every = timedelta(minutes=5)
    events += events_between(SETTINGS, later, later + timedelta(hours=5), position_every=every)
    keys = [order_key(event) for event in events]
    # strictly, by (time, stream, id): a time shared by two events is broken by the rest
    assert all(a < b for a, b in itertools.pairwise(keys))
    assert all(a.time <= b.time for a, b in itertools.pairwise(events))
    assert len({event.event_id for event in events}) == len(events)
    assert all(start <= event.time for event in events)
    assert {stream_of(event) for event in events} == {
        "cases", "hotline", "approvals", "officers", "cameras"
    }  # fmt: skip


def test_every_event_round_trips_through_a_stream_entry() -> None:
    events = list(half_year("2026H1"))
    events += events_between(
        SETTINGS, DAY, DAY + timedelta(days=1), position_every=timedelta(minutes=20)
    )
    for event in events:
        assert parse_entry(stream_of(event), to_fields(event)) == event


# -- calibration -------------------------------------------------------------------------


@pytest.mark.parametrize("label", sorted(HALF_YEARS))
def test_half_year_totals_are_the_halls(label: str) -> None:
    start, end = HALF_YEARS[label]
    events = half_year(label)
    first_dispatch: dict[str, datetime] = {}
    for case_id, case in cases_of(events).items():
        dispatched = [event.time for event in case if event.status == "dispatched"]
        if dispatched:
            first_dispatch[case_id] = dispatched[0]
    video = {
        event.case_id
        for event in events
        if isinstance(event, CaseEvent) and event.status == "reported" and event.source == "video"
    }
    calls = [event for event in events if isinstance(event, HotlineEvent)]
    published = [e for e in events if isinstance(e, ApprovalEvent) and e.status == "published"]
    assert len(first_dispatch) == 351
    assert len(video) == 75 and video <= set(first_dispatch)
    assert len(calls) == 248 and {call.seat for call in calls} <= set(range(1, 7))
    assert len(published) == 129
    assert all(start <= event.time < end for event in events)
    assert len({event.service for event in events if isinstance(event, ApprovalEvent)}) == 9


def test_hotline_calls_open_cases_within_a_minute() -> None:
    events = half_year("2026H1")
    cases = cases_of(events)
    calls = [event for event in events if isinstance(event, HotlineEvent)]
    opened = [call for call in calls if call.outcome == "case"]
    assert 0.72 <= len(opened) / len(calls) <= 0.88
    for call in opened:
        assert call.case_id is not None
        reported = cases[call.case_id][0]
        assert reported.status == "reported" and reported.source == "hotline"
        assert timedelta(0) <= reported.time - call.time <= timedelta(minutes=1)
        assert reported.grid == call.grid
    statuses = [{event.status for event in cases[call.case_id or ""]} for call in opened]
    assert sum("dispatched" in s for s in statuses) > 0.8 * len(opened)
    assert any("cancelled" in s for s in statuses)


def test_case_workflow_and_service_levels() -> None:
    cases = cases_of(half_year("2026H1"))
    ordinary, within_2h, overdue, reworked, cancelled, dispatched = 0, 0, 0, 0, 0, 0
    for case in cases.values():
        statuses = [event.status for event in case]
        assert all(a.time < b.time for a, b in itertools.pairwise(case))
        assert len({(e.kind, e.category, e.source, e.priority, e.grid, e.lat) for e in case}) == 1
        assert inside(case[0].grid, case[0].lat, case[0].lon)
        if statuses == ["reported", "cancelled"]:
            cancelled += 1
            continue
        if statuses[:3] != ["reported", "filed", "dispatched"]:
            continue  # reported in the half-year before
        dispatched += 1
        assert statuses[3:] in (
            ["handled", "verified", "closed"],
            ["handled", "rework", "handled", "verified", "closed"],
        )
        reworked += "rework" in statuses
        dispatch = case[2]
        assert dispatch.dept and dispatch.deadline
        allowance = dispatch.deadline - dispatch.time
        closed = case[-1].time
        overdue += closed > dispatch.deadline
        if catalog.is_ordinary(dispatch.kind, dispatch.category, dispatch.priority):
            assert allowance == timedelta(hours=2)
            ordinary += 1
            within_2h += closed - case[0].time <= timedelta(hours=2)
        elif dispatch.priority == "urgent":
            assert allowance == timedelta(hours=4)
        else:
            assert allowance in (timedelta(days=1), timedelta(days=2), timedelta(days=3))
        checks = [e for e in case if e.status in ("verified", "rework")]
        assert all(check.officer for check in checks)
        assert (case[0].officer is not None) == (case[0].source == "patrol")
    assert within_2h >= 0.8 * ordinary and ordinary > 100
    assert 0.04 * dispatched <= overdue <= 0.12 * dispatched
    assert 0.03 * dispatched <= reworked <= 0.09 * dispatched
    assert cancelled > 5


def test_categories_are_weighted_like_the_hall() -> None:
    reports = [
        e for e in half_year("2026H2") if isinstance(e, CaseEvent) and e.status == "reported"
    ]
    events = Counter(e.category for e in reports if e.kind == "event")
    components = Counter(e.category for e in reports if e.kind == "component")
    assert sum(events.values()) > 3 * sum(components.values())
    street_and_appearance = sum(n for code, n in events.items() if code[:2] in ("05", "01"))
    assert street_and_appearance > 0.6 * sum(events.values())
    assert {code for code, _ in events.most_common(3)} <= {"0501", "0503", "0504", "0101"}
    utilities = sum(n for code, n in components.items() if code[:2] == "01")
    assert utilities > 0.5 * sum(components.values())
    video = Counter(e.category[:2] for e in reports if e.source == "video")
    assert set(video) <= {"05", "01", "03"} and video["05"] > 0.8 * sum(video.values())


# -- officers and cameras ----------------------------------------------------------------


def test_officers_patrol_inside_their_grids() -> None:
    start = DAY + timedelta(hours=7, minutes=30)
    events = [
        event
        for event in events_between(
            SETTINGS, start, start + timedelta(hours=3), position_every=timedelta(minutes=5)
        )
        if isinstance(event, OfficerEvent)
    ]
    per_grid: dict[str, set[str]] = defaultdict(set)
    for event in events:
        per_grid[event.grid].add(event.officer_id)
        if event.lat is not None and event.lon is not None:
            assert inside(event.grid, event.lat, event.lon), event
    assert len(per_grid) == 30 and min(len(ids) for ids in per_grid.values()) >= 3
    positions = [event for event in events if event.action == "position"]
    assert len({event.officer_id for event in positions}) >= 250
    moved = Counter(event.officer_id for event in positions)
    assert max(moved.values()) <= 3 * 60 // 5 + 1
    checkins = [event for event in events if event.action == "checkin"]
    assert all(7 <= event.time.astimezone(TZ).hour <= 8 for event in checkins)
    assert all(event.name for event in checkins)


def test_officers_walk_or_ride_at_street_speed() -> None:
    start = DAY + timedelta(hours=9)
    fixes: dict[str, list[OfficerEvent]] = defaultdict(list)
    for event in events_between(
        SETTINGS, start, start + timedelta(minutes=20), streams=["officers"]
    ):
        if isinstance(event, OfficerEvent) and event.action == "position":
            fixes[event.officer_id].append(event)
    steps = [
        math.dist(
            (a.lat or 0, (a.lon or 0) * math.cos(math.radians(28.7))),
            (b.lat or 0, (b.lon or 0) * math.cos(math.radians(28.7))),
        )
        * 111_320
        for track in fixes.values()
        for a, b in itertools.pairwise(track)
    ]
    assert len(fixes) >= 250 and all(len(track) == 40 for track in fixes.values())
    assert max(steps) <= 6 * 30  # metres in 30 s: an e-bike at most
    assert sum(step > 10 for step in steps) > 0.5 * len(steps)  # most of them are moving


def test_a_week_of_officer_work_status() -> None:
    """Cases are few (351 a half-year), so an officer handling one is a rare sight."""
    week = list(
        events_between(
            SETTINGS, DAY, DAY + timedelta(days=7), positions=False, streams=["officers"]
        )
    )
    events = [event for event in week if isinstance(event, OfficerEvent)]
    monday = {event.officer_id for event in events if event.time < DAY + timedelta(days=1)}
    statuses = Counter(event.status for event in events if event.action == "status")
    assert len(monday) >= 280  # most of the 312 work on a Monday
    assert set(statuses) == {"patrolling", "handling", "idle", "offline"}
    assert 5 <= statuses["handling"] <= 40
    last: dict[str, str] = {}
    for event in events:
        if event.status is not None:
            last[event.officer_id] = event.status
    assert set(last.values()) == {"offline"}  # every shift ends the day offline


def test_roster_is_312_officers_in_30_grids() -> None:
    from data_feeds.simulator.city import city_for

    city = city_for(SETTINGS)
    assert len(city.officers) == 312 >= 300
    assert len(city.grids) == 30 and min(len(grid.officers) for grid in city.grids) >= 10
    assert city.grids[0].code == "430624-0101" and city.grids[-1].code == "430624-0506"
    assert all(
        officer.id.startswith("ZF-") and 2 <= len(officer.name) <= 4 for officer in city.officers
    )


def test_camera_outages_leave_one_or_two_percent_dark() -> None:
    start = datetime(2026, 3, 1, tzinfo=TZ)
    events = [
        event
        for event in events_between(
            SETTINGS, start - timedelta(days=1), start + timedelta(days=14), streams=["cameras"]
        )
        if isinstance(event, CameraEvent)
    ]
    state: dict[str, str] = {}
    shares, index = [], 0
    for hour in range(14 * 24):
        moment = start + timedelta(hours=hour)
        while index < len(events) and events[index].time <= moment:
            event = events[index]
            # they alternate (a camera's first event may end an outage begun before)
            assert state.get(event.camera_id) != event.status
            assert (event.reason is not None) == (event.status == "offline")
            state[event.camera_id] = event.status
            index += 1
        shares.append(sum(status == "offline" for status in state.values()) / len(CAMERAS))
    assert 0.005 <= sum(shares) / len(shares) <= 0.03
    durations = []
    went_down: dict[str, datetime] = {}
    for event in events:
        if event.status == "offline":
            went_down[event.camera_id] = event.time
        elif event.camera_id in went_down:
            durations.append(event.time - went_down.pop(event.camera_id))
    assert len(durations) > 200
    assert min(durations) >= timedelta(minutes=10) and max(durations) <= timedelta(hours=6)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="bounds"):
        CitySettings(bounds=((28.74, 112.83), (28.64, 112.95)), camera_ids=CAMERAS)
    with pytest.raises(ValueError, match="timezone"):
        CitySettings(bounds=BOUNDS, camera_ids=CAMERAS, timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="unknown streams"):
        list(events_between(SETTINGS, DAY, DAY + timedelta(hours=1), streams=["weather"]))
    with pytest.raises(ValueError, match="naive"):
        list(events_between(SETTINGS, datetime(2026, 3, 2), DAY))
