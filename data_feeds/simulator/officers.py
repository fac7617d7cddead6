"""One day of the officers' terminals: who is on which shift, check-ins and work status.

Day shift 08:00–12:00 and 14:30–18:00 (idle over lunch), a small evening shift
19:30–23:30, the rest off. An officer is ``handling`` from the moment a case in
their grid is dispatched until it is handled (or their shift ends). Every event of
a day plan lies inside that local day, so a window needs only its own days' plans.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from typing import Final, Literal

from data_feeds.catalog import OfficerStatus
from data_feeds.events import OfficerEvent
from data_feeds.simulator.cases import CasePlan
from data_feeds.simulator.city import Officer, city_for
from data_feeds.simulator.entries import Timeline, entry
from data_feeds.simulator.halfyear import half_year_plan
from data_feeds.simulator.paths import path_rng, start_point
from data_feeds.simulator.randomness import rng_for, stable_index, weighted
from data_feeds.simulator.settings import CitySettings
from data_feeds.simulator.timebase import (
    MINUTE,
    SECOND,
    Period,
    at_local,
    from_ms,
    half_years_overlapping,
)

Role = Literal["day", "night", "off"]
# (start, end, status after it) in local time
SHIFTS: Final[dict[Role, tuple[tuple[time, time, OfficerStatus], ...]]] = {
    "day": ((time(8, 0), time(12, 0), "idle"), (time(14, 30), time(18, 0), "offline")),
    "night": ((time(19, 30), time(23, 30), "offline"),),
    "off": (),
}
WEEKDAY_ROLES: Final[tuple[tuple[Role, float], ...]] = (
    ("day", 0.86),
    ("night", 0.06),
    ("off", 0.08),
)
WEEKEND_ROLES: Final[tuple[tuple[Role, float], ...]] = (
    ("day", 0.55),
    ("night", 0.06),
    ("off", 0.39),
)
HANDLING_MARGIN: Final = 5 * MINUTE  # no new case for an officer whose shift is about to end


@dataclass(frozen=True)
class Duty:
    officer: Officer
    key: str  # names the duty's path generator: "<day>-<n>"
    start: int
    end: int
    ends_as: OfficerStatus


@dataclass(frozen=True)
class OfficerDay:
    day: Period
    duties: tuple[Duty, ...]
    timeline: Timeline  # check-ins and status changes


@lru_cache(maxsize=16)
def officer_day(settings: CitySettings, day: Period) -> OfficerDay:
    city = city_for(settings)
    rng = rng_for(settings.seed, "shifts", day.label)
    roles = WEEKEND_ROLES if day.first_day.weekday() >= 5 else WEEKDAY_ROLES
    rosters = {
        officer.id: _duties(settings, officer, day, weighted(rng, roles), rng)
        for officer in city.officers
    }
    duties = [duty for own in rosters.values() for duty in own]
    episodes = _episodes(duties, _dispatched_on(settings, day))
    events = [
        event
        for officer in city.officers
        for event in _terminal_events(
            settings.seed, officer, day, rosters[officer.id], episodes[officer.id]
        )
    ]
    timeline = Timeline.of(entry(event) for event in events)
    if len(timeline) and (timeline.times[0] < day.start or timeline.times[-1] >= day.end):
        raise AssertionError(f"{day.label}: an officer event lies outside its day")
    return OfficerDay(day, tuple(duties), timeline)


def _duties(
    settings: CitySettings, officer: Officer, day: Period, role: Role, rng: random.Random
) -> list[Duty]:
    """The officer's shifts, starting a few minutes early or late, ending a little late."""
    duties = []
    for n, (begin, finish, ends_as) in enumerate(SHIFTS[role], start=1):
        start = at_local(day.first_day, begin, settings.tz) + _jitter(rng, -12, 6)
        end = at_local(day.first_day, finish, settings.tz) + _jitter(rng, 0, 8)
        duties.append(Duty(officer, f"{day.label}-{n}", start, end, ends_as))
    return duties


def _jitter(rng: random.Random, lo_minutes: int, hi_minutes: int) -> int:
    return rng.randint(lo_minutes * 60, hi_minutes * 60) * SECOND


def _dispatched_on(settings: CitySettings, day: Period) -> list[CasePlan]:
    """The cases dispatched during the day (a dispatch lies in its plan's half-year)."""
    cases = [
        case
        for period in half_years_overlapping(day.start, day.end, settings.tz)
        for case in half_year_plan(settings, period).cases
        if case.dispatched is not None and day.start <= case.dispatched < day.end
    ]
    return sorted(cases, key=lambda case: (case.dispatched, case.case_id))


def _episodes(duties: list[Duty], cases: list[CasePlan]) -> defaultdict[str, list[tuple[int, int]]]:
    """Who handles what: one free officer on duty in the case's grid, if there is one."""
    by_grid: defaultdict[str, list[Duty]] = defaultdict(list)
    for duty in duties:
        by_grid[duty.officer.grid].append(duty)
    episodes: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for case in cases:
        assert case.dispatched is not None and case.handled is not None
        begin = case.dispatched
        free = [
            duty
            for duty in by_grid[case.grid]
            if duty.start < begin < duty.end - HANDLING_MARGIN
            and (not episodes[duty.officer.id] or episodes[duty.officer.id][-1][1] < begin)
        ]
        if free:
            duty = free[stable_index(case.case_id, len(free))]
            episodes[duty.officer.id].append((begin, min(case.handled, duty.end - MINUTE)))
    return episodes


def _terminal_events(
    seed: int, officer: Officer, day: Period, duties: list[Duty], episodes: list[tuple[int, int]]
) -> list[OfficerEvent]:
    """Check-in and status changes, numbered per officer and day for stable ids."""
    steps: list[tuple[int, OfficerStatus | None, tuple[float, float] | None]] = []
    for duty in duties:
        where = start_point(officer.box, path_rng(seed, officer.id, duty.key))
        steps += [(duty.start, None, where), (duty.start, "patrolling", None)]
        for begin, finish in episodes:
            if duty.start < begin < duty.end:
                steps += [(begin, "handling", None), (finish, "patrolling", None)]
        steps.append((duty.end, duty.ends_as, None))
    events = []
    for n, (ms, status, point) in enumerate(steps, start=1):
        event_id = f"o-{officer.id}-{day.label}-{n:03d}"
        if point is not None:
            lat, lon = point
            events.append(officer_event(event_id, ms, officer, "checkin", lat=lat, lon=lon))
        else:
            events.append(officer_event(event_id, ms, officer, "status", status=status))
    return events


def officer_event(
    event_id: str,
    ms: int,
    officer: Officer,
    action: Literal["checkin", "status", "position"],
    *,
    status: OfficerStatus | None = None,
    lat: float | None = None,
    lon: float | None = None,
    named: bool = True,
) -> OfficerEvent:
    """An event of the officer's terminal; positions leave the name out (they are many)."""
    return OfficerEvent(
        event_id=event_id,
        time=from_ms(ms),
        officer_id=officer.id,
        action=action,
        grid=officer.grid,
        name=officer.name if named else None,
        status=status,
        lat=lat,
        lon=lon,
    )
