"""One build of the live parts for every web worker of a wall (issue 14).

Without this, each ``citywall serve`` worker follows the aggregator's updates and
rebuilds every touched part itself: Redis reads grow with the number of workers. With
it, the workers elect one **builder** through a Redis lease (``SET NX PX``, renewed
while it lives; taken over by another worker within ``LEASE_MS`` when it dies). The
builder builds as before and also publishes each frame's keyed delta to a Redis stream
(and each tile's whole state to a hash, for workers that join later); every other
worker only follows that stream and fans the deltas out to its own screens. So the
Redis commands per update are one build plus one read per worker.

Workers share a build only when they serve the same tiles in the same language: the
keys carry a fingerprint of both (``build_group``), so a worker started with an edited
config builds for itself until the others are restarted with it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, cast

import redis

from core.keys import Keys

LEASE_MS: Final = 3_000  # a dead builder is replaced within this (plus one election)
ELECT_EVERY_S: Final = 0.5  # how often the builder renews, and the others try
FRAMES_MAXLEN: Final = 10_000  # a worker that falls further behind resynchronizes

# Renew the lease only if it is still ours (a builder that stalled past its lease must
# not extend another's).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def build_group(parts: Iterable[tuple[str, str, Iterable[str]]], locale: str) -> str:
    """A short fingerprint of what is built: (tile id, part name, topics) and the language."""
    spec = sorted((tile, part, sorted(topics)) for tile, part, topics in parts)
    text = json.dumps([spec, locale], ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


@dataclass(frozen=True)
class SharedFrame:
    changes: dict[str, dict[str, dict[str, object]]]  # tile -> part -> keyed diff
    trigger_ms: int
    update_ms: int


class SharedBuild:
    def __init__(self, client: redis.Redis, keys: Keys, group: str, me: str) -> None:
        self._client = client
        self.me = me
        self._lease = keys.live_builder(group)
        self._frames = keys.live_frames(group)
        self._full = keys.live_full(group)
        self._renew = client.register_script(_RENEW)
        self.is_builder = False
        self.last_id: str | None = None  # the last frame followed or published
        self._next_election = 0.0

    def elect(self) -> bool:
        """Renew or take the lease when due; whether this worker is the builder."""
        now = time.monotonic()
        if now < self._next_election:
            return self.is_builder
        self._next_election = now + ELECT_EVERY_S
        if self.is_builder:
            self.is_builder = bool(self._renew(keys=[self._lease], args=[self.me, LEASE_MS]))
        if not self.is_builder:
            self.is_builder = bool(self._client.set(self._lease, self.me, nx=True, px=LEASE_MS))
        return self.is_builder

    def resign(self) -> None:
        """Give the lease up now (a clean stop): another worker builds at its next election."""
        if self.is_builder:
            self._renew(keys=[self._lease], args=[self.me, 1])
            self.is_builder = False

    def publish(
        self, changes: dict[str, dict[str, dict[str, object]]], full: dict[str, str],
        trigger_ms: int, update_ms: int,
    ) -> None:  # fmt: skip
        """The builder's frame: its delta for the followers, its tiles' state for joiners."""
        fields = {
            "changes": json.dumps(changes, ensure_ascii=False, separators=(",", ":")),
            "trigger_ms": str(trigger_ms),
            "update_ms": str(update_ms),
        }
        pipe = self._client.pipeline(transaction=False)
        pipe.xadd(self._frames, fields, maxlen=FRAMES_MAXLEN, approximate=True)  # type: ignore[arg-type]
        pipe.hset(self._full, mapping={tile: full[tile] for tile in changes})
        entry_id, _ = pipe.execute()
        self.last_id = cast(bytes, entry_id).decode()

    def snapshot(self) -> dict[str, str]:
        """Every tile's state as the builder last published it; the frames that follow
        are read from then on (read first: a frame published meanwhile is read twice,
        which applies the same values again)."""
        newest = cast(list[tuple[bytes, object]], self._client.xrevrange(self._frames, count=1))
        self.last_id = newest[0][0].decode() if newest else "0-0"
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._full))
        return {tile.decode(): value.decode() for tile, value in raw.items()}

    def follow(self, block_ms: int) -> list[SharedFrame]:
        """The frames published since the last one read (waits up to ``block_ms``)."""
        reply = self._client.xread({self._frames: self.last_id or "$"}, count=500, block=block_ms)
        frames: list[SharedFrame] = []
        for _stream, entries in cast(
            list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]], reply or []
        ):
            for entry_id, fields in entries:
                self.last_id = entry_id.decode()
                frames.append(
                    SharedFrame(
                        changes=json.loads(fields[b"changes"]),
                        trigger_ms=int(fields.get(b"trigger_ms", b"0")),
                        update_ms=int(fields.get(b"update_ms", b"0")),
                    )
                )
        return frames
