"""Simulated time: integer milliseconds since the epoch, local days and half-years.

Plans work in whole milliseconds so that window bounds compare exactly: an event is
in ``[start, end)`` or it is not, whatever the window was split into.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, rounded up: ``ms >= to_ms(t)`` iff ``from_ms(ms) >= t``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give an aware time")
    delta = moment - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return -(-micros // 1_000)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def local(ms: int, tz: ZoneInfo) -> datetime:
    return from_ms(ms).astimezone(tz)


def at_local(day: date, clock: time, tz: ZoneInfo) -> int:
    """The instant a local wall clock shows ``clock`` on ``day``."""
    return to_ms(datetime.combine(day, clock, tzinfo=tz))


@dataclass(frozen=True)
class Period:
    """A local day (label ``20260301``) or half-year (label ``2026H1``): ``[start, end)``."""

    label: str
    start: int
    end: int
    first_day: date


def day_period(day: date, tz: ZoneInfo) -> Period:
    start = at_local(day, time(0), tz)
    end = at_local(day + timedelta(days=1), time(0), tz)  # 23 or 25 h on a DST change
    return Period(day.strftime("%Y%m%d"), start, end, day)


def day_of(ms: int, tz: ZoneInfo) -> Period:
    return day_period(local(ms, tz).date(), tz)


def previous_day(day: Period, tz: ZoneInfo) -> Period:
    return day_period(day.first_day - timedelta(days=1), tz)


def days_overlapping(lo: int, hi: int, tz: ZoneInfo) -> Iterator[Period]:
    """The local days that meet ``[lo, hi)``, in order."""
    if hi <= lo:
        return
    day = day_of(lo, tz)
    while day.start < hi:
        yield day
        day = day_period(day.first_day + timedelta(days=1), tz)


def half_year_period(year: int, half: int, tz: ZoneInfo) -> Period:
    first = date(year, 1 if half == 1 else 7, 1)
    after = date(year, 7, 1) if half == 1 else date(year + 1, 1, 1)
    return Period(
        f"{year}H{half}", at_local(first, time(0), tz), at_local(after, time(0), tz), first
    )


def half_years_overlapping(lo: int, hi: int, tz: ZoneInfo) -> list[Period]:
    """The local half-years that meet ``[lo, hi)``, in order."""
    if hi <= lo:
        return []
    first = local(lo, tz)
    year, half = first.year, 1 if first.month < 7 else 2
    periods: list[Period] = []
    while True:
        period = half_year_period(year, half, tz)
        if period.start >= hi:
            return periods
        periods.append(period)
        year, half = (year, 2) if half == 1 else (year + 1, 1)
