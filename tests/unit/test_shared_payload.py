"""The relay packs each upstream packet's RTP payloads once for all its viewers, and
they are exactly what aiortc's own H.264 packer makes."""

from __future__ import annotations

import asyncio
import os

from aiortc import RTCPeerConnection
from aiortc.codecs.h264 import H264Encoder

from streams.packets import EncodedPacket
from streams.relay.shared_payload import SharedPayloadEncoder, av_packet_of, share_payloads
from streams.relay.track import RelayTrack

# An IDR-sized access unit: SPS, PPS and a slice too big for one RTP packet (FU-A).
ACCESS_UNIT = (
    b"\x00\x00\x00\x01\x67\x42\xc0\x1f" + os.urandom(8)
    + b"\x00\x00\x00\x01\x68\xce\x3c\x80"
    + b"\x00\x00\x00\x01\x65" + os.urandom(4000)
)  # fmt: skip


def test_viewers_share_one_packet_and_one_set_of_payloads() -> None:
    upstream = EncodedPacket(ACCESS_UNIT, pts=9000, keyframe=True, captured=0.0)
    first, second = av_packet_of(upstream), av_packet_of(upstream)
    assert first is second  # no copy per viewer
    first.pts = 0
    one, two = SharedPayloadEncoder(), SharedPayloadEncoder()
    payloads_a, stamp_a = one.pack(first)
    first.pts = 3000  # the second viewer's own clock
    payloads_b, stamp_b = two.pack(first)
    assert payloads_a is payloads_b and len(payloads_a) > 3
    assert (stamp_a, stamp_b) == (0, 3000)
    stock, stamp = H264Encoder().pack(first)
    assert stock == payloads_b and stamp == 3000


def test_a_relay_sender_gets_the_sharing_packer() -> None:
    async def sender_packer() -> object:
        pc = RTCPeerConnection()
        try:
            sender = pc.addTrack(RelayTrack())
            assert share_payloads(sender)
            return sender._RTCRtpSender__encoder
        finally:
            await pc.close()

    assert isinstance(asyncio.run(sender_packer()), SharedPayloadEncoder)
