"""Turn validated events into the compact ops the batch script applies.

Everything that needs Python (time zones, the catalog) is worked out here, so the
Lua side only does arithmetic and bookkeeping. Ops are flat JSON arrays (cheaper
than objects to encode here and to decode in Lua); unset values are ``false``
(JSON ``null`` would arrive in Lua as a truthy sentinel). The first item is the
stream's code (``STREAM_CODES``):

    case      ["c", entry, event, ms, hour, case_id, status, kind, category,
               category_name, major_name, source, grid, priority, lat, lon,
               ordinary (0|1), dept, officer, deadline_ms, then the details in the
               order of case_details.FIELDS (photo lists as JSON arrays)]
    officer   ["o", entry, event, ms, hour, officer_id, action, grid, day, name,
               status, lat, lon]
    camera    ["m", entry, event, ms, hour, camera_id, status, reason]
    hotline   ["h", entry, event, ms, hour, outcome, grid]
    approval  ["a", entry, event, ms, hour, service, status, application_id]
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from core.keys import StreamName
from data_feeds import case_details, catalog
from data_feeds.events import (
    STREAM_MODELS,
    ApprovalEvent,
    CameraEvent,
    CaseEvent,
    Event,
    HotlineEvent,
    OfficerEvent,
)

Op = list[Any]
# An op's first item says which stream it came from. The script receives
# STREAM_CODES (consumer.py too): with it, it finds the op's apply function and the
# stream to acknowledge it on. Every model needs a code (a KeyError at import).
CASE, OFFICER, CAMERA, HOTLINE, APPROVAL = "c", "o", "m", "h", "a"
_MODEL_CODES: Final[dict[type[Event], str]] = {
    CaseEvent: CASE, OfficerEvent: OFFICER, CameraEvent: CAMERA, HotlineEvent: HOTLINE,
    ApprovalEvent: APPROVAL,
}  # fmt: skip
STREAM_CODES: Final[dict[str, StreamName]] = {
    _MODEL_CODES[model]: stream for stream, model in STREAM_MODELS.items()
}
# Time zones change offset only on quarter hours, so the local hour and day of any
# instant follow from its UTC quarter hour.
QUARTER_MS = 15 * 60 * 1000


class OpBuilder:
    def __init__(self, timezone: str = "Asia/Shanghai") -> None:
        self._zone = ZoneInfo(timezone)
        self._local: dict[int, tuple[str, str]] = {}

    def build(self, entry_id: str, event: Event) -> Op:
        ms = int(event.time.timestamp() * 1000)
        hour, day = self.local_hour_and_day(ms)
        head: Op = [entry_id, event.event_id, ms, hour]
        if isinstance(event, OfficerEvent):
            return [OFFICER, *head, event.officer_id, event.action, event.grid, day,
                    _opt(event.name), _opt(event.status), _float(event.lat),
                    _float(event.lon)]  # fmt: skip
        if isinstance(event, CaseEvent):
            return [CASE, *head, *_case(event)]
        if isinstance(event, CameraEvent):
            return [CAMERA, *head, event.camera_id, event.status, _opt(event.reason)]
        if isinstance(event, HotlineEvent):
            return [HOTLINE, *head, event.outcome, _opt(event.grid)]
        if isinstance(event, ApprovalEvent):
            return [APPROVAL, *head, event.service, event.status, event.application_id]
        raise TypeError(f"no op for {type(event).__name__}")

    def local_hour_and_day(self, ms: int) -> tuple[str, str]:
        """``("YYYYMMDDHH", "YYYYMMDD")`` in the hall's time zone."""
        quarter = ms // QUARTER_MS
        cached = self._local.get(quarter)
        if cached is None:
            if len(self._local) > 10_000:  # a year of quarters; replays jump around
                self._local.clear()
            local = datetime.fromtimestamp(quarter * QUARTER_MS / 1000, UTC).astimezone(self._zone)
            cached = (local.strftime("%Y%m%d%H"), local.strftime("%Y%m%d"))
            self._local[quarter] = cached
        return cached


def _opt(value: str | None) -> str | bool:
    return False if value is None else value


def _float(value: float | None) -> str | bool:
    return False if value is None else repr(value)


def _case(event: CaseEvent) -> list[Any]:
    category = catalog.category(event.kind, event.category)
    assert category is not None  # the model validated it
    deadline = int(event.deadline.timestamp() * 1000) if event.deadline is not None else False
    return [
        event.case_id, event.status, event.kind, event.category, category.minor_name,
        category.major_name, event.source, event.grid, event.priority, repr(event.lat),
        repr(event.lon), int(catalog.is_ordinary(event.kind, event.category, event.priority)),
        _opt(event.dept), _opt(event.officer), deadline, *_details(event),
    ]  # fmt: skip


def _details(event: CaseEvent) -> list[str | bool]:
    """The schema v2 details, in the order of case_details.FIELDS (false when unset)."""
    values: list[str | bool] = []
    for name in case_details.FIELDS:
        value = getattr(event, name)
        if isinstance(value, list):
            value = case_details.encode_photos(value)
        values.append(_opt(value))
    return values
