"""What flows from a camera source to the relay: H.264 access units, already encoded.

The relay never decodes or re-encodes: a source hands it Annex B access units
(start codes, SPS and PPS in front of every keyframe, no B-frames) stamped on a
90 kHz clock, and the relay forwards them to every viewer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

StreamName = Literal["main", "sub"]
CLOCK_RATE = 90_000  # RTP's clock for video


class SourceError(RuntimeError):
    """The source failed (unreachable, closed, bad data); ``str()`` says why in one line."""


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    data: bytes  # one access unit, Annex B
    pts: int  # presentation time, 90 kHz ticks, increasing
    keyframe: bool  # an IDR: a viewer can start here
    captured: float  # time.time() when the picture was taken or received (latency)


class PacketSource(Protocol):
    """One upstream: a camera's main or sub stream, pulled only while it is iterated."""

    url: str

    def packets(self) -> AsyncIterator[EncodedPacket]:
        """Packets as they come, paced in real time, until the source fails
        (``SourceError``) or the iteration is cancelled; resources are released then."""
        ...
