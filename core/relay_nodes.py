"""Relay nodes: several relay processes (one per core, or one per machine) share the
cameras. Each node beats in Redis (``Keys.relay_nodes``: node id -> this JSON, its
time included); a node whose beat is older than ``DEAD_AFTER_MS`` is gone. Each camera
is owned by exactly one live node, chosen by rendezvous (highest random weight)
hashing: every reader with the same list of live nodes picks the same owner, and when
a node dies only its own cameras move. So there is one upstream per camera across the
fleet, and the web tier, the relays and ``citywall status`` agree without talking.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

from core.outage import OUTAGE_ERRORS

BEAT_EVERY_S: Final = 0.5
DEAD_AFTER_MS: Final = 2_000  # four beats: one slow beat is no death, a dead node moves fast


# The heartbeat hash as redis-py returns it: node id -> JSON, bytes or str.
Beats = Mapping[Any, Any]


@dataclass(frozen=True)
class RelayNode:
    id: str  # unique in the installation, e.g. "wall-1:8890"
    url: str  # where the web server reaches it (snapshots), e.g. http://127.0.0.1:8890
    public_url: str  # where browsers reach it: a path behind the proxy (/relay/1) or a URL
    t: int = 0  # when it last beat, ms since the epoch

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> RelayNode | None:
        """The node, or None for anything that is not one (another version's)."""
        try:
            data = json.loads(raw)
            return cls(str(data["id"]), str(data["url"]), str(data["public_url"]), int(data["t"]))
        except (ValueError, KeyError, TypeError):
            return None


def now_ms() -> int:
    return int(time.time() * 1000)


def live_nodes(beats: Beats, at_ms: int) -> list[RelayNode]:
    """The nodes whose last beat is recent, by id."""
    nodes = (RelayNode.from_json(raw) for raw in beats.values())
    return sorted(
        (n for n in nodes if n is not None and at_ms - n.t <= DEAD_AFTER_MS), key=lambda n: n.id
    )


def weight(node_id: str, camera_id: str) -> int:
    digest = hashlib.blake2b(f"{node_id}\x00{camera_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner_of(camera_id: str, nodes: Iterable[RelayNode]) -> RelayNode | None:
    """The node that owns ``camera_id`` among ``nodes`` (None when there is none)."""
    return max(nodes, key=lambda node: (weight(node.id, camera_id), node.id), default=None)


class NodeView:
    """The nodes' beats as last read (refreshed at most every ``max_age_s``), judged
    live or dead when asked. ``read`` returns the beats (HGETALL) and may fail with an
    outage: the previous beats are then kept, so an outage of Redis alone does not
    move cameras around before the beats age out."""

    def __init__(
        self,
        read: Callable[[], Beats],
        max_age_s: float = BEAT_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._max_age = max_age_s
        self._clock = clock
        self._beats: Beats = {}
        self._read_at = float("-inf")

    def nodes(self) -> list[RelayNode]:
        """The live nodes, reading the beats again when they are older than ``max_age_s``."""
        if self._clock() - self._read_at >= self._max_age:
            with contextlib.suppress(*OUTAGE_ERRORS):  # keep the last beats
                self.update(self._read())
        return self.known()

    def known(self) -> list[RelayNode]:
        """The live nodes among the beats as last read, without reading."""
        return live_nodes(self._beats, now_ms())

    def update(self, beats: Beats) -> None:
        self._beats = dict(beats)
        self._read_at = self._clock()

    def owner(self, camera_id: str) -> RelayNode | None:
        return owner_of(camera_id, self.nodes())
