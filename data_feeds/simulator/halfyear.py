"""One half-year of cases, hotline calls and approvals, calibrated to the hall's figures.

The published H1 2018 figures are met exactly in every half-year: the plan fixes how
many cases are dispatched, reported by video, calls taken and approvals published,
and keeps each counted event inside its own half-year (reports no later than 2 h
before the end, the chain up to dispatch within 75 minutes; publications inside).
Counted events of one plan therefore never fall into another plan's period.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from data_feeds.catalog import CaseSource
from data_feeds.events import Event
from data_feeds.simulator.approvals import plan_approvals
from data_feeds.simulator.cases import MAX_REPORT_TO_DISPATCH, CasePlan, CaseSpec, build_case
from data_feeds.simulator.city import City, city_for
from data_feeds.simulator.entries import Timeline, entry
from data_feeds.simulator.hotline import Call, call_event, plan_calls
from data_feeds.simulator.randomness import (
    OFFICE_HOURS,
    PATROL_HOURS,
    REPORT_HOURS,
    VIDEO_HOURS,
    rng_for,
    sample_time,
    weighted,
)
from data_feeds.simulator.settings import CitySettings
from data_feeds.simulator.timebase import DAY, HOUR, Period

# The hall's first half of 2018 (domain.md), per half-year.
DISPATCHED: Final = 351
VIDEO_REPORTS: Final = 75
CALLS: Final = 248
PUBLISHED: Final = 129

HOTLINE_CANCELLED: Final = 0.10  # of the calls that open a case
OTHER_CANCELLED: Final = 0.08  # extra cancelled reports, per dispatched patrol/wechat/referral
OVERDUE: Final = 0.08  # of the dispatched cases
REWORK: Final = 0.06  # of the dispatched cases
OTHER_SOURCES: Final[tuple[tuple[CaseSource, float], ...]] = (
    ("patrol", 0.60),
    ("wechat", 0.25),
    ("referral", 0.15),
)
_HOURS: Final[dict[str, tuple[float, ...]]] = {
    "patrol": PATROL_HOURS,
    "wechat": REPORT_HOURS,
    "referral": OFFICE_HOURS,
    "video": VIDEO_HOURS,
}
LAST_REPORT_BEFORE_END: Final = 2 * HOUR
# Every event of a plan lies within this of its period (approvals start up to a week
# before, cases close up to ~6 days after); windows look this far around them.
REACH: Final = 10 * DAY

assert MAX_REPORT_TO_DISPATCH < LAST_REPORT_BEFORE_END


@dataclass(frozen=True)
class HalfYearPlan:
    period: Period
    cases: tuple[CasePlan, ...]
    timeline: Timeline  # cases, hotline and approvals


@lru_cache(maxsize=8)
def half_year_plan(settings: CitySettings, period: Period) -> HalfYearPlan:
    city = city_for(settings)
    calls = plan_calls(city, period, CALLS, rng_for(settings.seed, "hotline", period.label))
    rng = rng_for(settings.seed, "cases", period.label)
    specs = _case_specs(city, period, calls, rng)
    order = sorted(range(len(specs)), key=lambda index: specs[index][0].report)
    cases: list[CasePlan] = []
    opened: dict[str, CasePlan] = {}
    for number, index in enumerate(order, start=1):
        spec, call = specs[index]
        plan = build_case(city, f"{period.label}-{number:05d}", spec, rng)
        cases.append(plan)
        if call is not None:
            opened[call.call_id] = plan
    events: list[Event] = [event for plan in cases for event in plan.events]
    events += _call_events(city, calls, opened, rng)
    approvals_rng = rng_for(settings.seed, "approvals", period.label)
    events += plan_approvals(period, PUBLISHED, approvals_rng, city.tz)
    timeline = Timeline.of(entry(event) for event in events)
    if timeline.times[0] < period.start - REACH or timeline.times[-1] >= period.end + REACH:
        raise AssertionError(f"{period.label}: an event lies beyond REACH")
    return HalfYearPlan(period, tuple(cases), timeline)


def _case_specs(
    city: City, period: Period, calls: list[Call], rng: random.Random
) -> list[tuple[CaseSpec, Call | None]]:
    """Every case of the period, counted so that exactly DISPATCHED are dispatched."""
    specs: list[tuple[CaseSpec, Call | None]] = []
    for call in calls:
        if call.report is not None:
            cancelled = rng.random() < HOTLINE_CANCELLED
            specs.append((CaseSpec(call.report, "hotline", cancelled=cancelled), call))
    hotline_dispatched = sum(1 for spec, _ in specs if not spec.cancelled)
    others = DISPATCHED - VIDEO_REPORTS - hotline_dispatched
    sources: list[CaseSource] = ["video"] * VIDEO_REPORTS
    sources += [weighted(rng, OTHER_SOURCES) for _ in range(others)]
    for source in sources:
        specs.append((CaseSpec(_report_time(city, period, source, rng), source), None))
    for _ in range(round(others * OTHER_CANCELLED * rng.uniform(0.6, 1.4))):
        source = weighted(rng, OTHER_SOURCES)
        when = _report_time(city, period, source, rng)
        specs.append((CaseSpec(when, source, cancelled=True), None))
    return _mark_fates(specs, rng)


def _report_time(city: City, period: Period, source: str, rng: random.Random) -> int:
    last = period.end - LAST_REPORT_BEFORE_END
    weekdays_only = source == "referral"  # referrals come from offices
    return sample_time(rng, period.start, last, _HOURS[source], city.tz, weekdays_only)


def _mark_fates(
    specs: list[tuple[CaseSpec, Call | None]], rng: random.Random
) -> list[tuple[CaseSpec, Call | None]]:
    """Pick exactly round(share × dispatched) overdue and reworked cases."""
    worked = [index for index, (spec, _) in enumerate(specs) if not spec.cancelled]
    overdue = set(rng.sample(worked, round(len(worked) * OVERDUE)))
    rework = set(rng.sample(worked, round(len(worked) * REWORK)))
    return [
        (dataclasses.replace(spec, overdue=index in overdue, rework=index in rework), call)
        for index, (spec, call) in enumerate(specs)
    ]


def _call_events(
    city: City, calls: list[Call], opened: dict[str, CasePlan], rng: random.Random
) -> list[Event]:
    events: list[Event] = []
    for call in calls:
        plan = opened.get(call.call_id)
        if plan is not None:
            events.append(call_event(call, plan.case_id, plan.grid))
        elif call.outcome == "duplicate":  # about a place already reported
            events.append(call_event(call, None, city.pick_grid(rng).code))
        else:
            events.append(call_event(call, None, None))
    return events
