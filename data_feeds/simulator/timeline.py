"""``events_between``: the planned events of a window, in the simulator's global order.

A window is walked one local day at a time; each day gathers its slice of every
plan that can reach it (half-year plans within REACH, the day's officer plan, the
day's and the day before's camera plans) and sorts it. Plans depend only on the
seed and their period, so ``[a, c)`` gives the events of ``[a, b)`` then ``[b, c)``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime, timedelta

from data_feeds.events import STREAMS, Event
from data_feeds.simulator.cameras import camera_day
from data_feeds.simulator.entries import STREAM_RANK, Entry
from data_feeds.simulator.halfyear import REACH, half_year_plan
from data_feeds.simulator.officers import officer_day
from data_feeds.simulator.positions import position_entries
from data_feeds.simulator.settings import CitySettings
from data_feeds.simulator.timebase import (
    Period,
    days_overlapping,
    half_years_overlapping,
    previous_day,
    to_ms,
)

HALF_YEAR_STREAMS = frozenset({"cases", "hotline", "approvals"})


def events_between(
    settings: CitySettings,
    start: datetime,
    end: datetime,
    *,
    position_every: timedelta = timedelta(seconds=30),
    positions: bool = True,
    streams: Collection[str] | None = None,
) -> Iterator[Event]:
    """Every simulated event with ``start <= time < end``, ordered by (time, stream, id).

    ``positions`` false leaves officer positions out; ``streams`` limits the output
    to those streams (all by default). Pure: same arguments, same events.
    """
    wanted = _streams(streams)
    every = round(position_every / timedelta(milliseconds=1))
    if every < 1:
        raise ValueError(f"position_every must be at least 1 ms, got {position_every}")
    lo, hi = to_ms(start), to_ms(end)
    for day in days_overlapping(lo, hi, settings.tz):
        first, last = max(lo, day.start), min(hi, day.end)
        entries = _half_year_entries(settings, first, last, wanted)
        if "officers" in wanted:
            plan = officer_day(settings, day)
            entries += plan.timeline.window(first, last)
            if positions:
                entries += position_entries(settings, plan, first, last, every)
        if "cameras" in wanted:
            entries += _camera_entries(settings, day, first, last)
        entries.sort()
        for _, _, _, event in entries:
            yield event


def _streams(streams: Collection[str] | None) -> frozenset[str]:
    if streams is None:
        return frozenset(STREAMS)
    unknown = set(streams) - set(STREAMS)
    if unknown:
        raise ValueError(f"unknown streams {sorted(unknown)} (streams: {', '.join(STREAMS)})")
    return frozenset(streams)


def _half_year_entries(
    settings: CitySettings, lo: int, hi: int, wanted: frozenset[str]
) -> list[Entry]:
    if not wanted & HALF_YEAR_STREAMS:
        return []
    ranks = {STREAM_RANK[name] for name in wanted}
    return [
        item
        for period in half_years_overlapping(lo - REACH, hi + REACH, settings.tz)
        for item in half_year_plan(settings, period).timeline.window(lo, hi)
        if item[1] in ranks
    ]


def _camera_entries(settings: CitySettings, day: Period, lo: int, hi: int) -> list[Entry]:
    """An outage can end the day after it started: the day before's plan reaches in."""
    entries: list[Entry] = []
    for period in (previous_day(day, settings.tz), day):
        entries += camera_day(settings, period).window(lo, hi)
    return entries
