"""Online service applications (一键服务): submitted → approved → published, a few rejected.

A period plan fixes when each published application is published; the steps before
may fall in the previous period, which is why ``published`` counts are exact.
"""

from __future__ import annotations

import random
from typing import Final, Literal
from zoneinfo import ZoneInfo

from data_feeds.catalog import ApprovalStatus
from data_feeds.events import ApprovalEvent
from data_feeds.simulator.randomness import (
    OFFICE_HOURS,
    REPORT_HOURS,
    sample_time,
    uniform_ms,
    weighted,
)
from data_feeds.simulator.timebase import DAY, HOUR, Period, from_ms

Service = Literal[
    "ad", "municipal", "muck", "greening", "storefront", "stall", "outdoor", "notice",
    "regulation",
]  # fmt: skip
SERVICES: Final[tuple[tuple[Service, float], ...]] = (
    ("ad", 20), ("storefront", 18), ("muck", 15), ("municipal", 12), ("stall", 12),
    ("greening", 8), ("outdoor", 6), ("notice", 6), ("regulation", 3),
)  # fmt: skip
REJECTED_SHARE: Final = (0.04, 0.10)  # of the published count, per period
Steps = list[tuple[int, ApprovalStatus]]


def plan_approvals(
    period: Period, published: int, rng: random.Random, tz: ZoneInfo
) -> list[ApprovalEvent]:
    applications = [_published(rng, period, tz) for _ in range(published)]
    rejected = round(published * rng.uniform(*REJECTED_SHARE))
    applications += [_rejected(rng, period, tz) for _ in range(rejected)]
    applications.sort(key=lambda application: application[1][0][0])  # by submission
    return [
        _event(f"SP-{period.label}-{number:04d}", service, n, ms, status)
        for number, (service, steps) in enumerate(applications, start=1)
        for n, (ms, status) in enumerate(steps, start=1)
    ]


def _published(rng: random.Random, period: Period, tz: ZoneInfo) -> tuple[Service, Steps]:
    """Published in the period, in office hours; applied for up to a week before."""
    published = sample_time(rng, period.start, period.end, OFFICE_HOURS, tz, weekdays_only=True)
    approved = published - uniform_ms(rng, 2 * HOUR, 2 * DAY)
    submitted = approved - uniform_ms(rng, 4 * HOUR, 5 * DAY)
    steps: Steps = [(submitted, "submitted"), (approved, "approved"), (published, "published")]
    return weighted(rng, SERVICES), steps


def _rejected(rng: random.Random, period: Period, tz: ZoneInfo) -> tuple[Service, Steps]:
    submitted = sample_time(rng, period.start, period.end, REPORT_HOURS, tz)
    rejected = submitted + uniform_ms(rng, 4 * HOUR, 3 * DAY)
    return weighted(rng, SERVICES), [(submitted, "submitted"), (rejected, "rejected")]


def _event(
    application_id: str, service: Service, n: int, ms: int, status: ApprovalStatus
) -> ApprovalEvent:
    return ApprovalEvent(
        event_id=f"a-{application_id}-{n}",
        time=from_ms(ms),
        application_id=application_id,
        service=service,
        status=status,
    )
