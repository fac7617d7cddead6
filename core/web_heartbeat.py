"""A web process's heartbeat in Redis (``Keys.web_heartbeat(worker)``): written by its
live hub every ``BEAT_EVERY_S`` with an expiry of ``BEAT_TTL_S``, so a process that
is gone leaves no key behind; read by ``citywall status`` to list the web workers."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from typing import Final

BEAT_EVERY_S: Final = 5.0
BEAT_TTL_S: Final = 15  # three beats: one missed write is no death


def this_process() -> tuple[str, int]:
    """This host's name and this process's id."""
    return socket.gethostname(), os.getpid()


def worker_name(host: str, pid: int) -> str:
    """A web process's name in its key: ``<host>-<pid>``."""
    return f"{host}-{pid}"


@dataclass(frozen=True)
class WebBeat:
    host: str
    pid: int
    started_ms: int  # when the process's hub started, ms since the epoch
    t: int  # when this beat was written, ms since the epoch
    screens: int  # event streams (connected screens and pages) open now
    stale: bool  # the live state this process serves is stale
    reason: str  # why, as the hub says ("", "redis", "aggregator", "starting")

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> WebBeat | None:
        """The beat, or None for anything that is not one (another version's)."""
        try:
            data = json.loads(raw)
            return cls(
                host=str(data["host"]), pid=int(data["pid"]), started_ms=int(data["started_ms"]),
                t=int(data["t"]), screens=int(data["screens"]), stale=bool(data["stale"]),
                reason=str(data["reason"]),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None
