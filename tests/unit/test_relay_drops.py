"""A viewer's dropped packets by reason, as the relay's metrics report them: waiting for
the first keyframe, too slow (its queue overflowed), switching cameras."""

from __future__ import annotations

import asyncio

from streams.packets import EncodedPacket
from streams.relay.metrics import DROP_REASONS
from streams.relay.track import RelayTrack


def packet(pts: int, keyframe: bool = False) -> EncodedPacket:
    return EncodedPacket(b"\x00\x00\x00\x01\x65" if keyframe else b"\x00\x00\x01\x41", pts,
                         keyframe, 0.0)  # fmt: skip


def test_dropped_packets_are_counted_by_reason() -> None:
    async def scenario() -> tuple[dict[str, int], int, int]:
        track = RelayTrack(max_queue=3)
        track.deliver(packet(0), burst=False)  # before any IDR
        track.deliver(packet(3000, keyframe=True), burst=False)
        await track.recv()
        for i in range(2, 6):  # the 4th finds the queue full: 3 queued + itself
            track.deliver(packet(i * 3000), burst=False)
        track.deliver(packet(18000), burst=False)  # still waiting for an IDR: too slow
        track.deliver(packet(21000, keyframe=True), burst=False)
        track.deliver(packet(24000), burst=False)
        track.restart()  # a switch: the 2 queued for the old camera go
        track.deliver(packet(100), burst=False)  # the new camera's P-frame: still the switch
        dropped = dict(track.dropped)
        track.stop()
        return dropped, track.fell_behind, track.packets_dropped

    dropped, fell_behind, total = asyncio.run(scenario())
    assert set(dropped) == set(DROP_REASONS)
    assert dropped == {"before_keyframe": 1, "too_slow": 5, "switch": 3}
    assert fell_behind == 1
    assert total == 9
