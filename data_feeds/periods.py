"""The periods a KPI is counted over, and the period it is compared with.

"Now" is the data clock (the latest event applied), so a simulation running faster
than real time still has a consistent today. Counters are hourly, so "yesterday at
the same time" means yesterday up to the end of the same hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Period = Literal["today", "last_24h", "month", "half_year"]
Compare = Literal["same_time", "full", "none"]
PERIODS: tuple[Period, ...] = ("today", "last_24h", "month", "half_year")

Window = tuple[datetime, datetime]


def period_start(period: Period, now: datetime) -> datetime:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        return midnight
    if period == "last_24h":
        return now - timedelta(hours=24)
    if period == "month":
        return midnight.replace(day=1)
    return midnight.replace(month=1 if now.month < 7 else 7, day=1)


def current_window(period: Period, now: datetime) -> Window:
    return period_start(period, now), now


def previous_window(period: Period, now: datetime, compare: Compare) -> Window | None:
    """The period before, up to the same point in it (``same_time``) or whole (``full``)."""
    if compare == "none":
        return None
    start = period_start(period, now)
    if period == "today":
        before = start - timedelta(days=1)
    elif period == "last_24h":
        before = start - timedelta(hours=24)
    else:
        before = period_start(period, start - timedelta(days=1))
    if compare == "full":
        return before, start
    return before, min(before + (now - start), start)
