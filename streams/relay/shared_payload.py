"""What every viewer of one camera would otherwise do again (issue 14).

aiortc's own fan-out (``MediaRelay``) hands every viewer the same ``av.Packet``; our
tracks used to make a new one per viewer per packet (a copy of the access unit). And
aiortc's H.264 sender splits each packet into RTP payloads (NAL units found, FU-A /
STAP-A built) for every viewer, although the payloads of one camera's packet are the
same bytes for all of them: only the RTP header (sequence number, timestamp, SSRC) and
the SRTP encryption differ.

- ``av_packet_of`` gives the one ``av.Packet`` of an upstream packet; a track sets its
  own ``pts`` on it right before returning it from ``recv()`` (aiortc reads it in the
  same step, before any other viewer can run).
- ``SharedPayloadEncoder`` is aiortc's ``H264Encoder`` whose ``pack`` reuses the
  payloads already made for that packet by another viewer.

Both caches are small identity maps of the newest packets (all the viewers of a camera
take a packet within milliseconds of each other); a viewer far behind just makes its
own again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from fractions import Fraction
from typing import Any, Final

import av
from aiortc.codecs.h264 import H264Encoder
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase
from av.stream import Stream

from streams.packets import CLOCK_RATE, EncodedPacket

log = logging.getLogger(__name__)

TIME_BASE: Final = Fraction(1, CLOCK_RATE)
KEEP: Final = 512  # newest packets remembered (≈ 2 s of 16 cameras at 15 fps)


class _Newest(OrderedDict[int, tuple[Any, Any]]):
    """id(key object) -> (the object, kept alive so its id is not reused; the value)."""

    def get_for(self, key: object) -> Any | None:
        found = self.get(id(key))
        return found[1] if found is not None and found[0] is key else None

    def put(self, key: object, value: Any) -> None:
        self[id(key)] = (key, value)
        if len(self) > KEEP:
            self.popitem(last=False)


_packets = _Newest()
_payloads = _Newest()


def av_packet_of(packet: EncodedPacket) -> av.Packet[Stream]:
    """The one ``av.Packet`` shared by every viewer of ``packet`` (its pts is theirs to set)."""
    shared: av.Packet[Stream] | None = _packets.get_for(packet)
    if shared is None:
        shared = av.Packet(packet.data)
        shared.time_base = TIME_BASE
        _packets.put(packet, shared)
    return shared


class SharedPayloadEncoder(H264Encoder):
    def pack(self, packet: av.Packet[Stream]) -> tuple[list[bytes], int]:
        assert packet.pts is not None and packet.time_base is not None  # set by RelayTrack
        timestamp = convert_timebase(packet.pts, packet.time_base, VIDEO_TIME_BASE)
        payloads: list[bytes] | None = _payloads.get_for(packet)
        if payloads is None:
            payloads = self._packetize(self._split_bitstream(bytes(packet)))
            _payloads.put(packet, payloads)
        return payloads, timestamp


_SENDER_ENCODER = "_RTCRtpSender__encoder"  # aiortc's private slot, made on first frame


def share_payloads(sender: object) -> bool:
    """Give an aiortc sender the payload-sharing packer (H.264 only: the relay answers
    nothing else). False, and the stock one is kept, if aiortc no longer has the slot."""
    if getattr(sender, _SENDER_ENCODER, "missing") is not None:
        log.debug("aiortc's sender has no %s: payloads are packed per viewer", _SENDER_ENCODER)
        return False
    setattr(sender, _SENDER_ENCODER, SharedPayloadEncoder())
    return True
