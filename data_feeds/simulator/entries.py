"""Planned events in their one global order, and windows over them.

The order is (time, stream, event id): it depends on nothing but the events, so
events gathered from several plans and windows sort into the same sequence however
they were gathered. Event ids are unique, so two entries never compare equal.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from data_feeds.events import STREAMS, Event, stream_of
from data_feeds.simulator.timebase import to_ms

STREAM_RANK: Final[dict[str, int]] = {name: rank for rank, name in enumerate(STREAMS)}

# (ms since the epoch, stream rank, event id, event)
Entry = tuple[int, int, str, Event]


def entry(event: Event) -> Entry:
    return (to_ms(event.time), STREAM_RANK[stream_of(event)], event.event_id, event)


def order_key(event: Event) -> tuple[int, int, str]:
    """The simulator's order of events: by time, then stream, then event id."""
    return entry(event)[:3]


@dataclass(frozen=True)
class Timeline:
    """Entries sorted by their order, with their times kept apart for bisection."""

    entries: tuple[Entry, ...]
    times: tuple[int, ...]

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Timeline:
        ordered = tuple(sorted(entries))
        return cls(ordered, tuple(item[0] for item in ordered))

    def window(self, lo: int, hi: int) -> tuple[Entry, ...]:
        """The entries with ``lo <= time < hi``."""
        return self.entries[bisect_left(self.times, lo) : bisect_left(self.times, hi)]

    def __len__(self) -> int:
        return len(self.entries)
