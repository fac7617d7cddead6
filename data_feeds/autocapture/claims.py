"""One case per camera and zone per window, kept in Redis so a restart (or a second
bridge) keeps it.

The window's claim is ``Keys.autocapture_claim(camera, zone)``, taken with SET NX EX
(the window), holding "<claimed at, ms>|<Frigate event id>". The time is the bridge's
clock: a claim older than the window by that clock is taken over even if Redis has
not expired it yet (clocks of two hosts, or a test's clock, may run ahead of Redis).
A Frigate event that became a case is remembered under
``Keys.autocapture_captured(id)``, so its later messages make no other case.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Final

import redis

from core.keys import Keys

CAPTURED_TTL_S: Final = 3 * 86_400  # longer than Frigate tracks any object
_TAKEOVER_ATTEMPTS: Final = 5


class Claim(enum.Enum):
    NEW = "new"  # this detection holds the window now: make its case
    OURS = "ours"  # it held it already (a replay, a restart): make its case again, same id
    HELD = "held"  # another detection's case covers this window: none


class Claims:
    def __init__(self, client: redis.Redis, keys: Keys, clock: Callable[[], float]) -> None:
        self._client = client
        self._keys = keys
        self._clock = clock

    def captured(self, frigate_id: str) -> bool:
        return bool(self._client.exists(self._keys.autocapture_captured(frigate_id)))

    def mark_captured(self, frigate_id: str, case_id: str) -> None:
        key = self._keys.autocapture_captured(frigate_id)
        self._client.set(key, case_id, ex=CAPTURED_TTL_S)

    def claim(self, camera: str, zone: str, frigate_id: str, window_s: int) -> Claim:
        key = self._keys.autocapture_claim(camera, zone)
        now_ms = int(self._clock() * 1000)
        value = f"{now_ms}|{frigate_id}"
        if self._client.set(key, value, nx=True, ex=window_s):
            return Claim.NEW
        for _ in range(_TAKEOVER_ATTEMPTS):
            with self._client.pipeline() as pipe:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    current = pipe.get(key)
                    if current is not None:
                        text = current.decode() if isinstance(current, bytes) else str(current)
                        claimed_ms, _, owner = text.partition("|")
                        if owner == frigate_id:
                            return Claim.OURS
                        if _number(claimed_ms) + window_s * 1000 > now_ms:
                            return Claim.HELD
                    pipe.multi()
                    pipe.set(key, value, ex=window_s)
                    pipe.execute()
                    return Claim.NEW
                except redis.WatchError:
                    continue  # another bridge changed it: look again
        return Claim.HELD


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0  # not a claim this writes: stale
