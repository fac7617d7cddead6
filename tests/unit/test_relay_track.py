"""RelayTrack without a network: keyframe gating, overflow, pts rebasing; the offer filter."""

from __future__ import annotations

import asyncio

from streams.packets import EncodedPacket
from streams.relay.sdp import answers_h264, strip_mdns_candidates
from streams.relay.track import RelayTrack


def packet(pts: int, keyframe: bool = False) -> EncodedPacket:
    return EncodedPacket(b"\x00\x00\x00\x01\x65" if keyframe else b"\x00\x00\x01\x41", pts,
                         keyframe, 0.0)  # fmt: skip


def test_starts_at_a_keyframe_squeezes_the_burst_and_rebases_pts() -> None:
    async def scenario() -> list[int | None]:
        track = RelayTrack()
        track.deliver(packet(900), burst=False)  # P-frame before any IDR: dropped
        track.deliver(packet(3000, keyframe=True), burst=True)
        track.deliver(packet(6000), burst=True)
        track.deliver(packet(9000), burst=False)
        out = [(await track.recv()).pts for _ in range(3)]
        track.stop()
        return out

    # The GOP burst is squeezed to 1 tick apart; live packets keep their real spacing.
    assert asyncio.run(scenario()) == [0, 1, 3001]


def test_a_newer_keyframe_before_the_first_recv_wins() -> None:
    async def scenario() -> tuple[int | None, int]:
        track = RelayTrack()
        track.deliver(packet(0, keyframe=True), burst=True)
        track.deliver(packet(3000), burst=True)
        track.deliver(packet(6000, keyframe=True), burst=False)
        first = await track.recv()
        track.stop()
        return first.pts, track.packets_dropped

    assert asyncio.run(scenario()) == (0, 2)


def test_overflow_drops_to_the_next_keyframe() -> None:
    async def scenario() -> tuple[int, int, bool]:
        track = RelayTrack(max_queue=4)
        track.deliver(packet(0, keyframe=True), burst=False)
        await track.recv()
        for i in range(1, 6):
            track.deliver(packet(i * 3000), burst=False)  # the 5th overflows: queue gone
        after_overflow = track.queued
        track.deliver(packet(18000), burst=False)  # still no IDR: dropped
        track.deliver(packet(21000, keyframe=True), burst=False)
        resumed = await track.recv()
        track.stop()
        return after_overflow, track.queued, bool(resumed.pts and resumed.pts > 0)

    assert asyncio.run(scenario()) == (0, 0, True)


def test_upstream_clock_restart_keeps_pts_increasing() -> None:
    async def scenario() -> list[int | None]:
        track = RelayTrack()
        for pts in (50_000, 53_000, 56_000):
            track.deliver(packet(pts, keyframe=pts == 50_000), burst=False)
        async with asyncio.timeout(1):
            out = [(await track.recv()).pts for _ in range(3)]
        track.deliver(packet(10, keyframe=True), burst=False)  # reconnected: clock at 0
        track.deliver(packet(3010), burst=False)
        async with asyncio.timeout(1):
            out += [(await track.recv()).pts for _ in range(2)]
        track.stop()
        return out

    assert asyncio.run(scenario()) == [0, 3000, 6000, 9000, 12000]


def test_stop_wakes_recv_and_releases_the_viewer() -> None:
    released: list[bool] = []

    async def scenario() -> str:
        track = RelayTrack(on_stop=lambda: released.append(True))
        waiting = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0.01)
        track.stop()
        track.stop()
        try:
            await waiting
        except Exception as exc:
            return type(exc).__name__
        return "returned"

    assert asyncio.run(scenario()) == "MediaStreamError"
    assert released == [True]


OFFER = "\r\n".join([
    "v=0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "a=candidate:1 1 udp 2122260223 4d3c1f0e-aaaa-bbbb.local 54321 typ host",
    "a=candidate:2 1 udp 2122260223 192.0.2.7 54322 typ host",
    "a=rtpmap:96 H264/90000",
    "",
])  # fmt: skip


def test_mdns_candidates_are_stripped() -> None:
    stripped = strip_mdns_candidates(OFFER)
    assert ".local" not in stripped
    assert "192.0.2.7 54322" in stripped
    assert stripped.endswith("\r\n")


def test_answers_h264_ignores_rejected_sections() -> None:
    assert answers_h264(OFFER)
    assert not answers_h264(OFFER.replace("m=video 9", "m=video 0"))
    assert not answers_h264(OFFER.replace("H264", "VP8"))


def test_after_a_switch_the_clock_carries_on_one_frame_later() -> None:
    """A camera switched in mid-session starts a new clock even when its own is only a
    little ahead of the old one's: no jump the browser would wait out."""
    import asyncio
    import itertools

    from streams.packets import CLOCK_RATE, EncodedPacket
    from streams.relay.track import RelayTrack

    async def run() -> list[int]:
        track = RelayTrack()
        out = []
        step = CLOCK_RATE // 25
        for n in range(3):  # camera A: 0, 1, 2 frames
            track.deliver(
                EncodedPacket(b"\x00\x00\x00\x01\x65", n * step, n == 0, 0.0), burst=False
            )
            out.append((await track.recv()).pts)
        track.restart()
        # camera B's clock is 3 s ahead of A's: inside the old 5 s window
        for n in range(2):
            pts = 3 * CLOCK_RATE + n * step
            track.deliver(EncodedPacket(b"\x00\x00\x00\x01\x65", pts, n == 0, 0.0), burst=False)
            out.append((await track.recv()).pts)
        return [int(p or 0) for p in out]

    pts = asyncio.run(run())
    steps = [b - a for a, b in itertools.pairwise(pts)]
    assert steps == [CLOCK_RATE // 25] * 4, pts
