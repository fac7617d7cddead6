"""A case's timeline: every status it went through, when and by whom, declared once.

The aggregator's apply script keeps, in the case's hash, one field per applied event,
``<EVENT_PREFIX><event id>`` (it also makes a repeated event a no-op), whose value is
the event's time (ms), status, officer and department joined by ``SEPARATOR``
(``apply_batch.lua`` receives both from ``data_feeds.aggregator.script``). Any order
of application leaves the same fields, so the timeline is sorted on reading.
Fields written before the timeline existed hold the time alone: they are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

EVENT_PREFIX: Final = "ev:"
SEPARATOR: Final = "\x1f"  # ASCII unit separator: in no id, status or department name
# The value's parts, in order (the script writes them in this order).
PARTS: Final = ("t", "status", "officer", "dept")

# A stage's rank when two share a time: the workflow's order.
_ORDER: Final = {
    "reported": 1, "filed": 2, "dispatched": 3, "handled": 4, "rework": 5, "verified": 6,
    "closed": 7, "cancelled": 7,
}  # fmt: skip


@dataclass(frozen=True)
class Stage:
    """One status a case entered: when (ms), by whom (officer) and to whom (department)."""

    event_id: str
    at_ms: int
    status: str
    officer: str
    dept: str


def encode(at_ms: int, status: str, officer: str | None, dept: str | None) -> str:
    """A timeline field's value, as the apply script writes it."""
    return SEPARATOR.join((str(at_ms), status, officer or "", dept or ""))


def decode(case_hash: Mapping[str, str]) -> list[Stage]:
    """The stages in a case's hash (decoded to text), oldest first."""
    stages = []
    for field, value in case_hash.items():
        if not field.startswith(EVENT_PREFIX):
            continue
        parts = value.split(SEPARATOR)
        if len(parts) != len(PARTS) or not parts[0].lstrip("-").isdigit():
            continue  # written before the timeline was kept: a time alone
        at, status, officer, dept = parts
        stages.append(Stage(field.removeprefix(EVENT_PREFIX), int(at), status, officer, dept))
    return sorted(stages, key=lambda s: (s.at_ms, _ORDER.get(s.status, 9), s.event_id))
