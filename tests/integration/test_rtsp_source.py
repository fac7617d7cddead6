"""rtsp:// against a real RTSP server (GStreamer, tests/rtsp_server.py) on this machine."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator

import av
import numpy as np
import pytest

from streams.packets import SourceError
from streams.sources.annexb import NAL_IDR, NAL_PPS, NAL_SPS, is_annexb, nal_types
from streams.sources.registry import open_source
from streams.sources.rtsp import RtspSource
from tests.packets import take
from tests.rtsp import RtspServer


@pytest.fixture
def server() -> Iterator[RtspServer]:
    with RtspServer(paths=["/cam1", "/cam2"], size="480x272") as running:
        yield running


def rtsp_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("rtsp://")]


def test_packets_are_annexb_h264_that_decodes_at_the_served_size(server: RtspServer) -> None:
    started = time.monotonic()
    packets = asyncio.run(take(open_source(server.url("/cam1")), 40))  # > one 30-frame GOP
    elapsed = time.monotonic() - started
    assert all(is_annexb(p.data) for p in packets)
    keys = [i for i, p in enumerate(packets) if p.keyframe]
    assert keys, "no keyframe in 40 packets (GOP is 30)"
    for p in packets:
        kinds = nal_types(p.data)
        if p.keyframe:
            assert NAL_IDR in kinds
            before = kinds[: kinds.index(NAL_IDR)]
            assert NAL_SPS in before and NAL_PPS in before, kinds
    steps = np.diff([p.pts for p in packets])
    assert (steps > 0).all()
    assert float(np.median(steps)) == pytest.approx(6000, abs=100)  # 15 fps on 90 kHz
    decoder = av.CodecContext.create("h264", "r")
    sizes = set()
    for p in packets[keys[0] :]:
        for frame in decoder.decode(av.Packet(p.data)):
            sizes.add((frame.width, frame.height))
    assert sizes == {(480, 272)}
    assert elapsed < 5, f"40 packets at 15 fps took {elapsed:.1f} s"
    assert not rtsp_threads()


def test_killed_server_ends_the_iteration_with_source_error(server: RtspServer) -> None:
    async def scenario() -> tuple[int, float, str]:
        received = 0
        killed_at = 0.0
        try:
            async for _ in open_source(server.url("/cam2")).packets():
                received += 1
                if received == 10:
                    server.kill()
                    killed_at = time.monotonic()
        except SourceError as error:
            return received, time.monotonic() - killed_at, str(error)
        raise AssertionError("the iteration ended without SourceError")

    received, after, message = asyncio.run(scenario())
    assert received >= 10
    assert "disconnected" in message
    assert after < 3.0, f"SourceError came {after:.1f} s after the kill"
    assert not rtsp_threads()


def test_a_restarted_server_on_the_same_port_can_be_pulled_again(server: RtspServer) -> None:
    url = server.url("/cam1")
    assert len(asyncio.run(take(open_source(url), 5))) == 5
    port = server.port
    server.kill()
    with pytest.raises(SourceError, match="cannot connect"):
        asyncio.run(take(open_source(url), 1))
    server.start()
    assert server.port == port
    packets = asyncio.run(take(open_source(url), 5))
    assert len(packets) == 5 and all(is_annexb(p.data) for p in packets)


def test_stopping_the_iteration_closes_the_connection_and_thread(server: RtspServer) -> None:
    async def scenario() -> None:
        task = asyncio.create_task(take(open_source(server.url("/cam1")), 10_000))
        deadline = time.monotonic() + 15
        while not rtsp_threads():  # the reader thread is started (not slept for)
            assert time.monotonic() < deadline, "no RTSP reader thread"
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(scenario())
    assert not rtsp_threads()
    assert time.monotonic() - started < 2.5  # the reader notices the stop between packets


def test_wrong_path_fails_with_source_error(server: RtspServer) -> None:
    with pytest.raises(SourceError, match="cannot connect"):
        asyncio.run(take(open_source(server.url("/nope")), 1))


def test_a_stalled_server_ends_the_iteration_after_the_timeout(server: RtspServer) -> None:
    assert server.process is not None
    pid = server.process.pid

    async def scenario() -> tuple[float, str]:
        frozen_at = 0.0
        received = 0
        try:
            async for _ in RtspSource(server.url("/cam1"), timeout=1.0).packets():
                received += 1
                if received == 5:
                    os.kill(pid, signal.SIGSTOP)  # alive, connected, silent
                    frozen_at = time.monotonic()
        except SourceError as error:
            return time.monotonic() - frozen_at, str(error)
        raise AssertionError("the iteration ended without SourceError")

    try:
        after, message = asyncio.run(scenario())
    finally:
        os.kill(pid, signal.SIGCONT)
    assert "no data for 1 s" in message
    assert 0.7 < after < 2.0, f"SourceError came {after:.1f} s after the stall"
