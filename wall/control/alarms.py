"""The alarm pop-up's watcher: a new urgent case, or one found by video auto-capture,
puts the nearest online camera on the alarm tile, centres the maps on the case and
shows a banner, until ``alarms.revert_s`` runs out or an operator acknowledges.

Each web process runs one ``AlarmWatcher``, all consumers of one group (``alarms``)
on ``citywall:cases``: Redis hands each entry to one of them, and a case's first
report claims ``citywall:wall:alarm:case:<id>`` so a repeated entry (a producer's
retry) does not pop the case up twice. The group starts at the stream's end: only
cases reported while the wall runs pop up. Nothing here knows of Dash.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import redis

from core.camera_status import camera_statuses
from core.keys import ALARM_GROUP, CASES_STREAM, Keys
from core.outage import OUTAGE_ERRORS, Backoff
from data_feeds import catalog
from data_feeds.events import CaseEvent, MalformedEventError, parse_entry
from wall.config.control import AlarmSpec
from wall.config.models import Camera, WallConfigBase
from wall.control.store import ControlError, WallControl
from wall.control.views import Alarm, AlarmReason
from wall.i18n import Translator

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8  # mean radius of the WGS-84 ellipsoid
SEEN_TTL_S = 7 * 86_400  # how long a case that popped up is remembered
READ_COUNT = 100


# ── pure helpers ────────────────────────────────────────────────────────
def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class NearestCamera:
    camera_id: str
    distance_m: float


def nearest_camera(
    lat: float,
    lon: float,
    cameras: Iterable[Camera],
    statuses: Mapping[str, str],
    radius_m: float,
) -> NearestCamera | None:
    """The nearest camera whose status is ``online`` within ``radius_m``; None if none.

    ``statuses`` is camera id → status as the relay reports it; a camera it never
    reported is not online. Ties go to the smaller id, so every process agrees.
    """
    best: NearestCamera | None = None
    for camera in cameras:
        if statuses.get(camera.id) != "online":
            continue
        metres = distance_m(lat, lon, camera.lat, camera.lon)
        if metres > radius_m:
            continue
        if best is None or (metres, camera.id) < (best.distance_m, best.camera_id):
            best = NearestCamera(camera.id, metres)
    return best


def alarm_reason(event: CaseEvent, spec: AlarmSpec) -> AlarmReason | None:
    """Why ``event`` pops up (``urgent`` before ``video``), or None when it does not.

    Only a case's first report (status ``reported``) does: later steps of the
    workflow are the same case again.
    """
    if event.status != "reported":
        return None
    if event.priority == "urgent" and spec.urgent:
        return "urgent"
    if event.source == "video" and spec.video_capture:
        return "video"
    return None


def category_label(kind: str, code: str, locale: str) -> str:
    """The category's name for the banner: the 小类 in Chinese (违章停车), else the
    translated 大类 (Street order)."""
    found = catalog.category(kind, code)
    if found is None:
        return code
    if locale == "zh-CN":
        return found.minor_name
    return Translator(locale)(f"category.{kind}-{found.major}")


def build_alarm(
    event: CaseEvent,
    reason: AlarmReason,
    spec: AlarmSpec,
    camera: NearestCamera | None,
    now_ms: int,
    locale: str = "zh-CN",
) -> Alarm:
    return Alarm(
        case_id=event.case_id,
        reason=reason,
        tile_id=spec.tile,
        lat=event.lat,
        lon=event.lon,
        started_ms=now_ms,
        until_ms=now_ms + int(spec.revert_s * 1000),
        camera_id=camera.camera_id if camera else None,
        distance_m=round(camera.distance_m, 1) if camera else None,
        category=category_label(event.kind, event.category, locale),
        grid=event.grid,
        extra={
            "kind": event.kind,
            "code": event.category,
            "source": event.source,
            "priority": event.priority,
            "event_id": event.event_id,
            "time": event.time.isoformat(),
        },
    )


# ── the watcher ─────────────────────────────────────────────────────────
class AlarmWatcher:
    """Follows new cases and raises alarms through ``control``; see the module's doc."""

    def __init__(
        self,
        client: redis.Redis,
        config: WallConfigBase,
        control: WallControl,
        consumer: str,
        clock: Callable[[], float] = time.time,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
    ) -> None:
        if config.alarms is None:
            raise ValueError("the config has no alarms section")
        self._client = client
        self._config = config
        self._spec = config.alarms
        self._control = control
        self._consumer = consumer
        self._clock = clock
        self._block_ms = block_ms
        self._keys = keys = Keys(config.redis.prefix)
        self._stream = keys.cases_stream
        self._cameras_key = keys.cameras
        self._group_ready = False
        self._recovering = True  # our own pending entries first (left by an outage)
        # A web process that died with entries read but not handled: another takes them.
        self._claim_idle_ms = claim_idle_ms
        self._next_claim = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.raised = 0

    def ensure_group(self) -> None:
        """Create the ``alarms`` group at the stream's end (only new cases pop up)."""
        try:
            self._client.xgroup_create(self._stream, ALARM_GROUP, id="$", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def step(self, block_ms: int | None = None) -> int:
        """Read what is there (waiting up to ``block_ms`` for news), raise the alarms it
        calls for and acknowledge it all; the number of entries handled."""
        if not self._group_ready:
            self.ensure_group()
        wait = self._block_ms if block_ms is None else block_ms
        try:
            reply = None
            if self._recovering:  # our own pending entries first (left by an outage)
                reply = self._read("0", None)
                self._recovering = bool(reply and any(batch for _, batch in reply))
            if not self._recovering:
                reply = self._read(">", wait if wait > 0 else None)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            log.warning("alarms: the %s group of %s vanished; creating it again",
                        ALARM_GROUP, self._stream)  # fmt: skip
            self.ensure_group()
            return 0
        entries = [e for _, batch in reply or [] for e in batch]
        for entry_id, fields in entries:
            self._handle(_text(entry_id), fields)
        claimed = self._claim_abandoned()
        for entry_id, fields in claimed:
            self._handle(_text(entry_id), fields)
        entries += claimed
        if entries:
            self._client.xack(self._stream, ALARM_GROUP, *[_text(e[0]) for e in entries])
        return len(entries)

    def _claim_abandoned(self) -> list[Any]:
        """Entries another consumer read and never acknowledged for ``claim_idle_ms``
        (its process died): claimed by this one, at most every few seconds."""
        now = time.monotonic()
        if now < self._next_claim:
            return []
        self._next_claim = now + max(1.0, self._claim_idle_ms / 3000)
        reply = self._client.xautoclaim(self._stream, ALARM_GROUP, self._consumer,
                                        self._claim_idle_ms, "0-0", count=READ_COUNT)  # fmt: skip
        return [entry for entry in reply[1] if entry and entry[1]]

    def _read(self, start: str, block_ms: int | None) -> list[Any]:
        reply = self._client.xreadgroup(
            ALARM_GROUP, self._consumer, {self._stream: start}, count=READ_COUNT, block=block_ms
        )
        return cast(list[Any], reply or [])

    def _handle(self, entry_id: str, fields: Mapping[Any, Any] | None) -> None:
        if not fields:  # trimmed while pending
            return
        try:
            event = parse_entry(CASES_STREAM, fields)
        except MalformedEventError as exc:
            log.debug("alarms: entry %s skipped: %s", entry_id, exc.reason)
            return
        if not isinstance(event, CaseEvent):
            return
        if self._clock() - event.time.timestamp() > self._spec.revert_s:
            # Reported longer ago than an alarm lasts (a back-fill, a replay, an entry
            # a dead process left): it would have reverted by now; nobody is helped.
            return
        reason = alarm_reason(event, self._spec)
        if reason is None or not self._first_time(event.case_id, entry_id):
            return
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._cameras_key))
        camera = nearest_camera(event.lat, event.lon, self._config.cameras.items,
                                camera_statuses(raw), self._spec.radius_m)  # fmt: skip
        now_ms = int(self._clock() * 1000)
        alarm = build_alarm(event, reason, self._spec, camera, now_ms, self._config.wall.locale)
        try:
            self._control.raise_alarm(alarm)
        except ControlError as exc:  # the config's cross-checks make this a bug
            log.error("alarms: case %s not shown: %s", event.case_id, exc)
            return
        self.raised += 1
        log.info("alarms: case %s (%s) on tile %s, camera %s", event.case_id, reason,
                 alarm.tile_id, alarm.camera_id or "none nearby")  # fmt: skip

    def _first_time(self, case_id: str, entry_id: str) -> bool:
        """Claim the case for this entry; a claim by the same entry (re-read after an
        outage) still counts as ours."""
        key = self._keys.alarm_seen(case_id)
        if self._client.set(key, entry_id, nx=True, ex=SEEN_TTL_S):
            return True
        return _text(self._client.get(key) or b"") == entry_id

    # ── the thread ─────────────────────────────────────────────────────
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alarm-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 + self._block_ms / 1000)
            self._thread = None

    def _run(self) -> None:
        backoff = Backoff()
        down = False
        while not self._stop.is_set():
            try:
                self.step()
            except OUTAGE_ERRORS as exc:
                if not down:
                    log.warning("alarms: Redis unavailable (%s); retrying", exc)
                    down = True
                self._recovering = True
                self._stop.wait(backoff.next_delay())
                continue
            except Exception:  # a bug must not end the pop-ups silently
                log.exception("alarms: step failed")
                self._stop.wait(1.0)
                continue
            if down:
                log.warning("alarms: Redis is back")
                down = False
            backoff.reset()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
