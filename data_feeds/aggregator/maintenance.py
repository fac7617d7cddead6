"""Keep memory bounded: trim what the aggregator has applied, drop old closed cases.

Streams are trimmed by MINID to ``stream_keep_s`` before the oldest entry the group
still needs (the older of its last delivered id and its oldest pending id), so
nothing unapplied is ever trimmed and an hour of history stays for inspection.
Hour buckets and dedup marks expire by TTL (set as they are written); trails are
capped lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import redis

from core.keys import AGGREGATOR_GROUP, Keys


@dataclass(frozen=True)
class RetentionPolicy:
    stream_keep_s: int = 3600
    closed_case_days: int = 400
    lock_s: int = 50


class Maintenance:
    def __init__(self, client: redis.Redis, keys: Keys, policy: RetentionPolicy) -> None:
        self._client = client
        self._keys = keys
        self._policy = policy

    def run(self) -> bool:
        """Trim and expire, unless another consumer is doing it right now."""
        lock = self._keys.maintenance_lock
        if not self._client.set(lock, 1, nx=True, ex=self._policy.lock_s):
            return False
        for stream in self._keys.streams.values():
            self.trim_stream(stream)
        self.drop_closed_cases()
        return True

    def trim_stream(self, stream: str) -> int:
        """Trim entries the group no longer needs; how many were removed."""
        needed = self._oldest_needed_ms(stream)
        if needed is None:
            return 0
        cutoff = needed - self._policy.stream_keep_s * 1000
        if cutoff <= 0:
            return 0
        removed: int = self._client.xtrim(stream, minid=f"{cutoff}-0", approximate=True)
        return removed

    def _oldest_needed_ms(self, stream: str) -> int | None:
        groups = {_text(group["name"]): group for group in self._client.xinfo_groups(stream)}
        group = groups.get(AGGREGATOR_GROUP)
        if group is None:
            return None
        needed = _id_ms(group["last-delivered-id"])
        pending = self._client.xpending(stream, AGGREGATOR_GROUP)
        if pending["pending"]:
            needed = min(needed, _id_ms(pending["min"]))
        return needed

    def drop_closed_cases(self, now_ms: int | None = None) -> int:
        """Delete cases closed more than ``closed_case_days`` before the data clock."""
        if now_ms is None:
            clock = self._client.get(self._keys.clock)
            if clock is None:
                return 0
            now_ms = int(clock)
        cutoff = now_ms - self._policy.closed_case_days * 86_400_000
        old = cast(
            list[bytes],
            self._client.zrangebyscore(self._keys.closed_cases, 0, cutoff, start=0, num=1000),
        )
        if not old:
            return 0
        pipe = self._client.pipeline()
        for case_id in old:
            pipe.delete(self._keys.case(_text(case_id)))
        pipe.zrem(self._keys.closed_cases, *old)
        pipe.execute()
        return len(old)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _id_ms(entry_id: bytes | str) -> int:
    return int(_text(entry_id).split("-", 1)[0])
