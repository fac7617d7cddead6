"""Turn validated events into the compact ops the batch script applies.

Everything that needs Python (time zones, the catalog) is worked out here, so the
Lua side only does arithmetic and bookkeeping.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from data_feeds import catalog
from data_feeds.events import (
    ApprovalEvent,
    CameraEvent,
    CaseEvent,
    Event,
    HotlineEvent,
    OfficerEvent,
)

Op = dict[str, Any]


class OpBuilder:
    def __init__(self, timezone: str = "Asia/Shanghai") -> None:
        self._zone = ZoneInfo(timezone)

    def build(self, stream: str, entry_id: str, event: Event) -> Op:
        local = event.time.astimezone(self._zone)
        op: Op = {"s": stream, "x": entry_id, "e": event.event_id, "t": _ms(event.time)}
        op["h"] = local.strftime("%Y%m%d%H")
        if isinstance(event, CaseEvent):
            _case(op, event)
        elif isinstance(event, OfficerEvent):
            _officer(op, event, local)
        elif isinstance(event, CameraEvent):
            op.update(id=event.camera_id, st=event.status)
            if event.reason is not None:
                op["r"] = event.reason
        elif isinstance(event, HotlineEvent):
            op.update(out=event.outcome)
            if event.grid is not None:
                op["g"] = event.grid
        elif isinstance(event, ApprovalEvent):
            op.update(svc=event.service, st=event.status)
        return op


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _case(op: Op, event: CaseEvent) -> None:
    category = catalog.category(event.kind, event.category)
    assert category is not None  # the model validated it
    op.update(
        id=event.case_id,
        st=event.status,
        k=event.kind,
        cat=event.category,
        cn=category.minor_name,
        mn=category.major_name,
        src=event.source,
        g=event.grid,
        p=event.priority,
        lat=repr(event.lat),
        lon=repr(event.lon),
        ord=int(catalog.is_ordinary(event.kind, event.category, event.priority)),
    )
    if event.dept is not None:
        op["dept"] = event.dept
    if event.officer is not None:
        op["off"] = event.officer
    if event.deadline is not None:
        op["dl"] = _ms(event.deadline)


def _officer(op: Op, event: OfficerEvent, local: datetime) -> None:
    op.update(id=event.officer_id, a=event.action, g=event.grid, d=local.strftime("%Y%m%d"))
    if event.name is not None:
        op["n"] = event.name
    if event.status is not None:
        op["st"] = event.status
    if event.lat is not None and event.lon is not None:
        op.update(lat=repr(event.lat), lon=repr(event.lon))
