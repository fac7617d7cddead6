"""The case a detection becomes: a 受理 (``reported``) CaseEvent, schema version 2,
found by video (``source: video``, ``channel: camera``), at the citywall camera the
rule maps the Frigate camera to, with Frigate's snapshot as the photo before handling.

Its event id and case number derive from the Frigate event's id alone, so writing it
again (a replay after a restart) is the same event: the aggregator applies it once.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

from data_feeds.autocapture.frigate import FrigateObject
from data_feeds.autocapture.rules import dwell_s
from data_feeds.autocapture.settings import Rule
from data_feeds.events import CaseEvent

EVENT_PREFIX: Final = "frigate:"
# An event id is [A-Za-z0-9][A-Za-z0-9._:-]{0,63}: a Frigate id that fits after the
# prefix is kept as it is (1607123955.475377-mxklsc), any other is hashed.
_READABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,55}")


def digest(frigate_id: str) -> str:
    return hashlib.sha256(frigate_id.encode()).hexdigest()


def event_id_for(frigate_id: str) -> str:
    readable = _READABLE.fullmatch(frigate_id) is not None
    return EVENT_PREFIX + (frigate_id if readable else digest(frigate_id)[:32])


def case_id_for(detection: FrigateObject, zone: ZoneInfo) -> str:
    """F<local date>-<time the tracking began>-<6 hex of the Frigate id>: readable aloud,
    the same for every message of one Frigate event."""
    began = datetime.fromtimestamp(detection.start_time, zone)
    return f"F{began:%Y%m%d-%H%M%S}-{digest(detection.id)[:6]}"


def snapshot_url(frigate_url: str, frigate_id: str) -> str:
    """Frigate's snapshot of the event (its HTTP API)."""
    return f"{frigate_url.rstrip('/')}/api/events/{quote(frigate_id, safe='')}/snapshot.jpg"


def describe(detection: FrigateObject, rule: Rule, now: float) -> str:
    """问题描述: what was seen, where, how sure, for how long."""
    what = detection.label + (f"（{detection.sub_label}）" if detection.sub_label else "")
    dwelt = max(0.0, dwell_s(detection, now))
    stationary = "，静止" if detection.stationary else ""
    return (
        f"智能算法自动抓拍：{rule.camera.name}摄像机（Frigate {detection.camera}）在区域 "
        f"{rule.zone} 检测到 {what}，置信度 {detection.best_score:.0%}，"
        f"已持续 {dwelt:.0f} 秒{stationary}"
    )


def case_event(
    detection: FrigateObject, rule: Rule, now: datetime, frigate_url: str, zone: ZoneInfo
) -> CaseEvent:
    """The ``reported`` event of the case ``detection`` becomes under ``rule``."""
    camera = rule.camera
    note = f"Frigate {detection.camera} event {detection.id} ({detection.label} in {rule.zone})"
    return CaseEvent(
        v="2",
        event_id=event_id_for(detection.id),
        time=now,
        case_id=case_id_for(detection, zone),
        status="reported",
        kind=rule.kind,
        category=rule.category,
        source="video",
        lat=camera.lat,
        lon=camera.lon,
        grid=camera.grid,
        address=f"{camera.name}附近",
        description=describe(detection, rule, now.timestamp()),
        photos_before=[snapshot_url(frigate_url, detection.id)],
        channel="camera",
        note=note[:200],
    )
