"""What an entry of the updates stream (``Keys.updates``) says changed: its ``topics``
field is a comma-separated list of these. The aggregator's apply script announces the
data topics, the web tier's wall control announces ``wall``; every live part names the
topics that make it rebuild. Declared once here (the Lua script receives them)."""

from __future__ import annotations

from typing import Final, Literal, get_args

Topic = Literal["cases", "kpi", "officers", "cameras", "deadletter", "wall"]
TOPICS: Final[tuple[Topic, ...]] = get_args(Topic)

CASES: Final[Topic] = "cases"  # a case's state or the open-case index changed
KPI: Final[Topic] = "kpi"  # hour-bucket counters changed
OFFICERS: Final[Topic] = "officers"  # positions, statuses, check-ins
CAMERAS: Final[Topic] = "cameras"  # a camera went online or offline
DEADLETTER: Final[Topic] = "deadletter"  # malformed events were set aside
WALL: Final[Topic] = "wall"  # operators changed the wall state (views, tours, alarm)

# Fields of an updates entry besides ``topics``.
FIELD_TOPICS: Final = "topics"
FIELD_CASES: Final = "cases"  # up to 50 changed case ids, comma-separated
FIELD_CLOCK: Final = "clock"  # the data clock after the batch, ms
FIELD_EARLIEST: Final = "earliest"  # the batch's earliest event time, ms ("inf": none)


def parse_topics(raw: str) -> frozenset[Topic]:
    """The known topics of an entry's ``topics`` field (unknown ones are ignored)."""
    return frozenset(t for t in TOPICS if t in raw.split(","))
