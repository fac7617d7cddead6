"""Reading a few packets from a camera source, for the source tests."""

from __future__ import annotations

import contextlib

from streams.packets import EncodedPacket, PacketSource


async def take(source: PacketSource, count: int) -> list[EncodedPacket]:
    """The first ``count`` packets of a source; the pull is closed right after."""
    packets: list[EncodedPacket] = []
    async with contextlib.aclosing(source.packets()) as stream:  # type: ignore[type-var]
        async for packet in stream:
            packets.append(packet)
            if len(packets) == count:
                break
    return packets
