"""A camera's health as the relay sees it: the JSON kept per camera in Redis
(``Keys.cameras`` by the aggregator, ``Keys.relay_cameras`` by the relay), written by
the relay (and by the aggregator's apply script, which receives these names from
data_feeds.aggregator.script) and read by the web tier, declared here once for all.

``{"status": "online"|"offline"|"connecting", "t": ms since the epoch, "reason": "..."}``,
``reason`` only when there is one (the aggregator's cjson drops a nil reason too).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

Status = Literal["connecting", "online", "offline"]
ONLINE: Final[Status] = "online"
OFFLINE: Final[Status] = "offline"
# The JSON's field names.
FIELD_STATUS: Final = "status"
FIELD_T: Final = "t"
FIELD_REASON: Final = "reason"
FIELDS: Final = (FIELD_STATUS, FIELD_T, FIELD_REASON)


@dataclass(frozen=True, slots=True)
class CameraStatus:
    status: Status
    t: int  # ms since the epoch: when the camera entered this status
    reason: str | None = None

    @classmethod
    def now(cls, status: Status, reason: str | None = None) -> CameraStatus:
        return cls(status, int(time.time() * 1000), reason)

    def to_json(self) -> str:
        body: dict[str, object] = {FIELD_STATUS: self.status, FIELD_T: self.t}
        if self.reason is not None:
            body[FIELD_REASON] = self.reason
        return json.dumps(body, ensure_ascii=False)


def camera_statuses(raw: Mapping[bytes, bytes] | Mapping[str, str]) -> dict[str, str]:
    """A hash of camera -> ``{"status": ..., "t": ...}`` as camera -> status; values that
    are not such JSON are left out (not online)."""
    statuses: dict[str, str] = {}
    for key, value in raw.items():
        try:
            status = json.loads(value).get(FIELD_STATUS)
        except (ValueError, AttributeError):
            continue
        if isinstance(status, str):
            statuses[key.decode() if isinstance(key, bytes) else key] = status
    return statuses


def camera_states(raw: Mapping[bytes, bytes] | Mapping[str, str]) -> dict[str, CameraStatus]:
    """A hash of camera -> the JSON above, whole (status, since when, why); values that
    are not such JSON are left out."""
    states: dict[str, CameraStatus] = {}
    for key, value in raw.items():
        try:
            body = json.loads(value)
            status, t, reason = (
                body[FIELD_STATUS],
                int(body.get(FIELD_T, 0)),
                body.get(FIELD_REASON),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        if status in ("connecting", ONLINE, OFFLINE):
            name = key.decode() if isinstance(key, bytes) else key
            states[name] = CameraStatus(status, t, reason if isinstance(reason, str) else None)
    return states


def offline_longest(
    states: Mapping[str, CameraStatus], count: int = 10
) -> list[tuple[str, CameraStatus]]:
    """The offline cameras, offline longest first (ties: the smaller id)."""
    offline = [(camera_id, s) for camera_id, s in states.items() if s.status == OFFLINE]
    return sorted(offline, key=lambda item: (item[1].t, item[0]))[:count]
