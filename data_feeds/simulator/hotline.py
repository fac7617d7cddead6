"""12319 hotline calls: when they come in, which seat takes them and what they lead to."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from data_feeds.catalog import HotlineOutcome
from data_feeds.events import HotlineEvent
from data_feeds.simulator.city import City
from data_feeds.simulator.randomness import CALL_HOURS, sample_time, uniform_ms, weighted
from data_feeds.simulator.timebase import HOUR, SECOND, Period, from_ms, local

SEATS: Final = 6
NIGHT_SEATS: Final = 2  # six operators round the clock means two at a time at night
OUTCOMES: Final[tuple[tuple[HotlineOutcome, float], ...]] = (
    ("case", 0.80),
    ("consultation", 0.14),
    ("duplicate", 0.06),
)
# A call is taken no later than this before its period's end, so that the case it
# opens is reported and dispatched inside the same period.
LAST_CALL_BEFORE_END: Final = 3 * HOUR


@dataclass(frozen=True)
class Call:
    call_id: str
    time: int
    seat: int
    outcome: HotlineOutcome
    report: int | None  # when the case it opens is reported: within a minute


def plan_calls(city: City, period: Period, count: int, rng: random.Random) -> list[Call]:
    last = period.end - LAST_CALL_BEFORE_END
    times = sorted(sample_time(rng, period.start, last, CALL_HOURS, city.tz) for _ in range(count))
    calls = []
    for number, ms in enumerate(times, start=1):
        outcome = weighted(rng, OUTCOMES)
        daytime = 8 <= local(ms, city.tz).hour < 20
        seat = rng.randint(1, SEATS if daytime else NIGHT_SEATS)
        report = ms + uniform_ms(rng, 10 * SECOND, 60 * SECOND) if outcome == "case" else None
        calls.append(Call(f"12319-{period.label}-{number:04d}", ms, seat, outcome, report))
    return calls


def call_event(call: Call, case_id: str | None, grid: str | None) -> HotlineEvent:
    return HotlineEvent(
        event_id=f"h-{call.call_id}",
        time=from_ms(call.time),
        call_id=call.call_id,
        seat=call.seat,
        outcome=call.outcome,
        case_id=case_id,
        grid=grid,
    )
