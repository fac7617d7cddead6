"""Report a case from video (视频巡逻 → 上报): an operator watching a camera reports what
they see. The report becomes a 受理 (``reported``) event with source ``video`` on the
cases stream, validated by the same model as every event (data_feeds.events), written
once (a web request does not wait out an outage: the operator is told), audited
(``case.report``), and a snapshot of the camera is taken and linked to the new case.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import redis
from pydantic import ValidationError

from core.keys import Keys
from data_feeds.events import IDENT_PATTERN, CaseEvent, Ident, validation_reason
from data_feeds.writer import EventWriter
from wall.auth.audit import AuditLog
from wall.config.models import WallConfigBase
from wall.control.alarms import distance_m
from wall.control.snapshots import Snapshot, SnapshotError, SnapshotStore
from wall.control.store import ControlError

MAX_DISTANCE_M = 5_000.0  # a clicked location this far from every camera is a mistake


@dataclass(frozen=True)
class ReportForm:
    """What the operator filled in; ``lat``/``lon`` None: the camera's position."""

    camera_id: str
    category: str  # "<kind>:<4-digit code>", e.g. event:0504 (catalog)
    description: str
    priority: str = "normal"
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Reported:
    case_id: str
    event: CaseEvent
    snapshot: Snapshot | None
    snapshot_error: str | None  # why no snapshot is attached (the case is reported)


class CaseReporter:
    def __init__(
        self,
        client: redis.Redis,
        config: WallConfigBase,
        snapshots: SnapshotStore | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        keys = Keys(config.redis.prefix)
        self._config = config
        self._writer = EventWriter(client, keys, replicas=config.redis.replicas_to_ack)
        self._audit = AuditLog(client, keys)
        self._snapshots = snapshots
        self._clock = clock
        self._zone = ZoneInfo(config.wall.timezone)
        self._cameras = {camera.id: camera for camera in config.cameras.items}

    def report(self, form: ReportForm, by: str) -> Reported:
        """``ControlError`` (for the operator) when the form is not a valid case."""
        event = self.event_for(form, by)
        self._writer.write_once([event])  # an outage propagates: nothing was reported
        self._audit.record(by, "case.report", None, event.model_dump(mode="json"))
        snapshot, error = None, None
        if self._snapshots is None:
            error = "no snapshot store"
        else:
            try:
                snapshot = self._snapshots.take(form.camera_id, by, event.case_id)
            except (SnapshotError, ValueError) as exc:
                error = str(exc)
        return Reported(event.case_id, event, snapshot, error)

    def event_for(self, form: ReportForm, by: str) -> CaseEvent:
        camera = self._cameras.get(form.camera_id)
        if camera is None:
            raise ControlError(f"no camera {form.camera_id!r}")
        kind, _, code = form.category.partition(":")
        lat, lon, address = camera.lat, camera.lon, f"{camera.name}附近"
        if form.lat is not None and form.lon is not None:
            lat, lon = form.lat, form.lon
            if distance_m(lat, lon, camera.lat, camera.lon) > MAX_DISTANCE_M:
                raise ControlError("location: more than 5 km from the camera")
            address = f"{camera.name}附近（地图点选 {lat:.5f}, {lon:.5f}）"
        now = datetime.fromtimestamp(self._clock(), UTC)
        fields: dict[str, object] = {
            "event_id": f"video-report-{uuid.uuid4().hex}",
            "time": now,
            "case_id": self.new_case_id(now),
            "status": "reported",
            "kind": kind,
            "category": code,
            "source": "video",
            "priority": form.priority,
            "lat": lat,
            "lon": lon,
            "grid": camera.grid,
            "description": form.description.strip() or None,
            "address": address,
            "channel": "camera",
            "note": f"视频巡逻上报 camera {camera.id}",
        }
        if re.fullmatch(IDENT_PATTERN, by):  # an id, as the event's officer field takes
            fields["officer"] = by  # who reported it, on the case's timeline
        try:
            return CaseEvent.model_validate(fields)
        except ValidationError as exc:
            raise ControlError(validation_reason(exc)) from None

    def new_case_id(self, now: datetime) -> Ident:
        """V<local date>-<time>-<3 random hex>: a 视频巡逻 case's number, readable aloud."""
        local = now.astimezone(self._zone)
        return f"V{local:%Y%m%d-%H%M%S}-{secrets.token_hex(2)[:3]}"
