"""One case (案件) from report to close: its descriptors and the timeline of its events.

reported → filed → dispatched → handled → verified → closed; a failed check adds
rework → handled before verified (返工); a cancelled report (作废) is never filed.
Every event carries the case's descriptors and its details (address, description,
channel: schema v2), so any one of them can be applied alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from data_feeds import catalog
from data_feeds.catalog import CaseKind, CaseSource, CaseStatus, Priority
from data_feeds.events import CaseEvent
from data_feeds.simulator.city import City
from data_feeds.simulator.details import CaseDetails, case_details
from data_feeds.simulator.randomness import uniform_ms
from data_feeds.simulator.taxonomy import (
    CANCEL_REASONS,
    dept_for,
    pick_category,
    pick_priority,
)
from data_feeds.simulator.timebase import DAY, HOUR, MINUTE, SECOND, from_ms

ORDINARY_ALLOWANCE = 2 * HOUR  # the hall's 2小时办结 promise
URGENT_ALLOWANCE = 4 * HOUR
# The longest a report can take to be dispatched; period plans keep the whole chain
# up to dispatch inside their period by reporting no later than this before its end.
MAX_REPORT_TO_DISPATCH = 75 * MINUTE


@dataclass(frozen=True)
class CaseSpec:
    """What a period plan decides before the case is built: when, how found, its fate."""

    report: int
    source: CaseSource
    cancelled: bool = False
    overdue: bool = False
    rework: bool = False


@dataclass(frozen=True)
class CasePlan:
    case_id: str
    grid: str
    dispatched: int | None
    handled: int | None  # the first handled event: the end of the on-site work
    events: tuple[CaseEvent, ...]


@dataclass(frozen=True)
class _Case:
    case_id: str
    kind: CaseKind
    category: str
    source: CaseSource
    priority: Priority
    lat: float
    lon: float
    grid: str
    details: CaseDetails


@dataclass(frozen=True)
class _Step:
    ms: int
    status: CaseStatus
    officer: str | None = None
    dept: str | None = None
    deadline: int | None = None
    note: str | None = None


def build_case(city: City, case_id: str, spec: CaseSpec, rng: random.Random) -> CasePlan:
    code = pick_category(rng, spec.source)
    priority = pick_priority(rng, code)
    grid = city.pick_grid(rng)
    lat, lon = grid.box.random_point(rng)
    details = case_details(city.settings, case_id, code, spec.source, (lat, lon))
    case = _Case(case_id, *code, spec.source, priority, lat, lon, grid.code, details)
    reporter = _someone(rng, grid.officers) if spec.source == "patrol" else None
    reported = _Step(spec.report, "reported", officer=reporter)
    if spec.cancelled:
        note = rng.choice(CANCEL_REASONS)
        steps = [
            reported,
            _Step(spec.report + uniform_ms(rng, 5 * MINUTE, HOUR), "cancelled", note=note),
        ]
    else:
        steps = [reported, *_worked_steps(rng, case, spec, _someone(rng, grid.officers))]
    events = tuple(_event(case, n, step) for n, step in enumerate(steps, start=1))
    return CasePlan(
        case_id, grid.code, _first(steps, "dispatched"), _first(steps, "handled"), events
    )


def _worked_steps(
    rng: random.Random, case: _Case, spec: CaseSpec, verifier: str | None
) -> list[_Step]:
    ordinary = catalog.is_ordinary(case.kind, case.category, case.priority)
    filed, dispatched = _dispatch_chain(rng, spec.report, ordinary)
    allowance = _allowance(rng, ordinary, case.priority)
    deadline = dispatched + allowance
    closed = _close_time(rng, dispatched, allowance, ordinary, spec.overdue)
    dept = dept_for((case.kind, case.category))
    steps = [
        _Step(filed, "filed"),
        _Step(dispatched, "dispatched", dept=dept, deadline=deadline),
    ]
    statuses: list[CaseStatus] = ["handled", "verified", "closed"]
    if spec.rework:
        statuses = ["handled", "rework", "handled", "verified", "closed"]
    times = _split(rng, dispatched, closed, statuses)
    for ms, status in zip(times, statuses, strict=True):
        checker = verifier if status in ("verified", "rework") else None
        note = "核查未通过，返工处置" if status == "rework" else None
        steps.append(_Step(ms, status, officer=checker, note=note))
    return steps


def _dispatch_chain(rng: random.Random, report: int, ordinary: bool) -> tuple[int, int]:
    """Filing and dispatch: minutes for city appearance, up to an hour for the rest."""
    if ordinary:
        filed = report + uniform_ms(rng, MINUTE, 8 * MINUTE)
        return filed, filed + uniform_ms(rng, MINUTE, 7 * MINUTE)
    filed = report + uniform_ms(rng, 5 * MINUTE, 45 * MINUTE)
    return filed, filed + uniform_ms(rng, 3 * MINUTE, 30 * MINUTE)


def _allowance(rng: random.Random, ordinary: bool, priority: Priority) -> int:
    if ordinary:
        return ORDINARY_ALLOWANCE
    if priority == "urgent":
        return URGENT_ALLOWANCE
    return rng.choice((1, 2, 3)) * DAY


def _close_time(
    rng: random.Random, dispatched: int, allowance: int, ordinary: bool, overdue: bool
) -> int:
    if overdue:
        return dispatched + allowance + uniform_ms(rng, allowance // 20, allowance * 4 // 5)
    if ordinary:
        # most within 2 h of the report, a few just inside the deadline
        fast = rng.random() < 0.93
        lo, hi = (15 * MINUTE, 95 * MINUTE) if fast else (95 * MINUTE, 118 * MINUTE)
        return dispatched + uniform_ms(rng, lo, hi)
    return dispatched + uniform_ms(rng, allowance * 3 // 20, allowance * 19 // 20)


# Relative length of the stretch before each step: handling takes the most time.
_GAPS: dict[CaseStatus, tuple[float, float]] = {
    "handled": (4.0, 8.0),
    "rework": (0.6, 1.2),
    "verified": (0.8, 1.6),
    "closed": (0.1, 0.4),
}


def _split(rng: random.Random, start: int, end: int, statuses: list[CaseStatus]) -> list[int]:
    """Times for the steps between dispatch and close, the last one exactly ``end``."""
    weights = [rng.uniform(*_GAPS[status]) for status in statuses]
    total, acc, times, previous = sum(weights), 0.0, [], start
    for weight in weights[:-1]:
        acc += weight
        ms = start + round((end - start) * acc / total / SECOND) * SECOND
        previous = max(ms, previous + SECOND)
        times.append(previous)
    times.append(end)
    if times[-2] >= end:
        raise AssertionError("case steps out of order")  # spans are >= 15 min: cannot happen
    return times


def _someone(rng: random.Random, officers: tuple[str, ...]) -> str | None:
    return rng.choice(officers) if officers else None


def _first(steps: list[_Step], status: CaseStatus) -> int | None:
    return next((step.ms for step in steps if step.status == status), None)


def _event(case: _Case, n: int, step: _Step) -> CaseEvent:
    return CaseEvent(
        event_id=f"c-{case.case_id}-{n}",
        time=from_ms(step.ms),
        case_id=case.case_id,
        status=step.status,
        kind=case.kind,
        category=case.category,
        source=case.source,
        priority=case.priority,
        lat=case.lat,
        lon=case.lon,
        grid=case.grid,
        dept=step.dept,
        officer=step.officer,
        deadline=from_ms(step.deadline) if step.deadline is not None else None,
        note=step.note,
        address=case.details.address,
        description=case.details.description,
        channel=case.details.channel,
    )
