"""Build case events the way a city's day produces them, for the data-plane tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from data_feeds.events import CaseEvent

SHANGHAI = timezone(timedelta(hours=8))
_ids = itertools.count(1)


@dataclass
class CaseStory:
    """One case: ``story.at(minutes, status, **extra)`` appends its next event."""

    case_id: str
    start: datetime
    kind: str = "event"
    category: str = "0503"  # 街面秩序 / 乱挂乱晒: ordinary, promised within 2 h
    source: str = "patrol"
    grid: str = "430624-0101"
    priority: str = "normal"
    lat: float = 28.69
    lon: float = 112.89
    events: list[CaseEvent] = field(default_factory=list)

    def at(self, minutes: float, status: str, **extra: object) -> CaseStory:
        self.events.append(
            CaseEvent.model_validate(
                {
                    "event_id": f"t-{self.case_id}-{next(_ids)}",
                    "time": self.start + timedelta(minutes=minutes),
                    "case_id": self.case_id,
                    "status": status,
                    "kind": self.kind,
                    "category": self.category,
                    "source": self.source,
                    "priority": self.priority,
                    "lat": self.lat,
                    "lon": self.lon,
                    "grid": self.grid,
                    **extra,
                }
            )
        )
        return self

    def dispatch(self, minutes: float, deadline_minutes: float) -> CaseStory:
        deadline = self.start + timedelta(minutes=deadline_minutes)
        return self.at(minutes, "dispatched", dept="城管执法大队", deadline=deadline)

    def through_dispatch(self, deadline_minutes: float = 130) -> CaseStory:
        return self.at(0, "reported").at(5, "filed").dispatch(10, deadline_minutes)
