"""Camera sources: the scheme registry, sim:// (live encode + burned-in clock), file:// replay."""

from __future__ import annotations

import asyncio
import fractions
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from streams.packets import EncodedPacket, SourceError
from streams.sources.annexb import NAL_IDR, NAL_PPS, NAL_SPS, is_annexb, nal_types
from streams.sources.clock_reader import read_burned_clock
from streams.sources.file import FileSource
from streams.sources.registry import known_schemes, open_source, register
from streams.sources.rtsp import RtspSource
from streams.sources.sim import SimSource
from tests.packets import take

# ---------------------------------------------------------------- helpers


def params_before_idr(data: bytes) -> bool:
    kinds = nal_types(data)
    if NAL_IDR not in kinds:
        return False
    before = kinds[: kinds.index(NAL_IDR)]
    return NAL_SPS in before and NAL_PPS in before


def decode(packets: list[EncodedPacket]) -> list[tuple[EncodedPacket, av.VideoFrame]]:
    decoder = av.CodecContext.create("h264", "r")
    pairs = []
    for packet in packets:
        for frame in decoder.decode(av.Packet(packet.data)):
            pairs.append((packet, frame))  # no B-frames: frame i is packet i's picture
    return pairs


def source_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if "://" in t.name]


def make_clip(path: Path, frames: int = 10, fps: int = 15, bframes: int = 0) -> None:
    """A small H.264 clip with a keyframe every 5 frames, made with PyAV."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.codec_context.max_b_frames = bframes
        stream.codec_context.gop_size = 5
        stream.codec_context.options = {
            "preset": "ultrafast",
            "x264-params": f"bframes={bframes}:keyint=5:min-keyint=5:scenecut=0",
        }
        for i in range(frames):
            picture = np.full((360, 320), 80, np.uint8)
            picture[:240, i * 16 : i * 16 + 16] = 220
            frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
            frame.pts = i
            frame.time_base = fractions.Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


# ---------------------------------------------------------------- registry


def test_known_schemes_open_the_right_source() -> None:
    assert {"sim", "file", "rtsp", "rtsps"} <= set(known_schemes())
    assert isinstance(open_source("sim://cam1?stream=sub"), SimSource)
    assert isinstance(open_source("file:///tmp/x.mp4"), FileSource)
    assert isinstance(open_source("rtsp://10.0.0.5:554/live"), RtspSource)
    assert isinstance(open_source("RTSPS://cam.example/live"), RtspSource)


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(SourceError) as caught:
        open_source("webrtc://somewhere/cam")
    message = str(caught.value)
    assert "'webrtc'" in message
    for scheme in ("file://", "rtsp://", "rtsps://", "sim://"):
        assert scheme in message
    with pytest.raises(SourceError, match="unknown source scheme ''"):
        open_source("/just/a/path.mp4")


def test_unknown_scheme_message_hides_passwords() -> None:
    with pytest.raises(SourceError) as caught:
        open_source("onvif://admin:secret@10.0.0.5/cam")
    assert "secret" not in str(caught.value)


def test_register_adds_a_scheme() -> None:
    register("test-only", SimSource)  # any factory taking the URL
    try:
        assert "test-only" in known_schemes()
        with pytest.raises(SourceError, match="expected sim://"):
            open_source("test-only://cam1")  # reached the factory, which checks the URL
    finally:
        from streams.sources import registry

        registry._factories.pop("test-only")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("sim://", "expected sim://<camera_id>"),
        ("sim://cam1?stream=hd", "stream must be 'main' or 'sub'"),
        ("sim://cam1?fps=fast", "fps must be an integer"),
        ("sim://cam1?fps=0", "1 <= fps <= 60"),
        ("sim://cam1?gop=-1", "0 < gop"),
        ("sim://cam1?strem=sub", r"unknown parameter\(s\) \['strem'\]"),
        ("file://relative.mp4", "expected file:///"),
        ("file:///tmp/a.mp4?loop=0", "takes no parameters"),
        ("rtsp:///nohost", "expected rtsp://host"),
    ],
)
def test_malformed_urls_fail_at_open(url: str, why: str) -> None:
    with pytest.raises(SourceError, match=why):
        open_source(url)


# ---------------------------------------------------------------- sim://

SIM_PACKETS = 33  # 2.2 s at 15 fps: keyframes at 0 and 30


@dataclass
class SimRun:
    packets: list[EncodedPacket]
    seconds: float


@pytest.fixture(scope="module")
def sim_runs() -> dict[str, SimRun]:
    """Main and sub of one sim camera, pulled at the same time (as the relay would)."""

    async def run(stream: str) -> SimRun:
        start = time.monotonic()
        packets = await take(open_source(f"sim://cam-0042?stream={stream}"), SIM_PACKETS)
        return SimRun(packets, time.monotonic() - start)

    async def both() -> dict[str, SimRun]:
        main, sub = await asyncio.gather(run("main"), run("sub"))
        return {"main": main, "sub": sub}

    return asyncio.run(both())


@pytest.mark.parametrize("stream", ["main", "sub"])
def test_sim_keyframes_every_30_frames_with_parameter_sets(
    sim_runs: dict[str, SimRun], stream: str
) -> None:
    packets = sim_runs[stream].packets
    assert len(packets) == SIM_PACKETS
    assert all(is_annexb(p.data) for p in packets)
    assert [i for i, p in enumerate(packets) if p.keyframe] == [0, 30]
    for p in packets:
        kinds = nal_types(p.data)
        if p.keyframe:
            assert params_before_idr(p.data), kinds
        else:
            assert NAL_IDR not in kinds and NAL_SPS not in kinds, kinds


@pytest.mark.parametrize(("stream", "size"), [("main", (1280, 720)), ("sub", (640, 360))])
def test_sim_decodes_at_its_size_and_the_clock_reads_back(
    sim_runs: dict[str, SimRun], stream: str, size: tuple[int, int]
) -> None:
    pairs = decode(sim_runs[stream].packets)
    assert len(pairs) == SIM_PACKETS
    for packet, frame in pairs:
        assert (frame.width, frame.height) == size
        burned = read_burned_clock(frame)
        assert burned is not None
        assert abs(burned - packet.captured) < 0.1
        # The code holds the capture time in whole milliseconds, exactly.
        assert abs(burned - packet.captured) <= 0.0006
    rgb = pairs[-1][1].reformat(format="rgb24")  # other pixel formats read too
    assert read_burned_clock(rgb) == read_burned_clock(pairs[-1][1])


@pytest.mark.parametrize("stream", ["main", "sub"])
def test_sim_paces_15_fps_on_the_wall_clock(sim_runs: dict[str, SimRun], stream: str) -> None:
    packets = sim_runs[stream].packets
    span = packets[-1].captured - packets[0].captured
    assert (len(packets) - 1) / span == pytest.approx(15, abs=0.5)
    steps = np.diff([p.pts for p in packets])
    assert (steps > 0).all()
    assert float(np.mean(steps)) == pytest.approx(6000, rel=0.03)  # 90 kHz / 15 fps
    # pts and captured tell the same story: pts is capture time on a 90 kHz clock.
    assert (packets[-1].pts - packets[0].pts) / 90_000 == pytest.approx(span, abs=0.01)


def test_read_burned_clock_is_none_without_a_code() -> None:
    frame = av.VideoFrame.from_ndarray(np.full((540, 640), 128, np.uint8), format="yuv420p")
    assert read_burned_clock(frame) is None
    tiny = av.VideoFrame.from_ndarray(np.zeros((120, 160), np.uint8), format="yuv420p")
    assert read_burned_clock(tiny) is None


def test_sim_thread_runs_only_while_iterated() -> None:
    async def scenario() -> tuple[list[str], list[str], list[str]]:
        before = source_threads()
        task = asyncio.create_task(take(open_source("sim://idle-cam?stream=sub"), 10_000))
        await asyncio.sleep(0.5)
        during = source_threads()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return before, during, source_threads()

    before, during, after = asyncio.run(scenario())
    assert "sim://idle-cam/sub" not in before
    assert "sim://idle-cam/sub" in during
    assert "sim://idle-cam/sub" not in after  # cancelled: thread stopped and joined


# ---------------------------------------------------------------- file://


@pytest.mark.parametrize("suffix", ["mp4", "mkv", "ts"])
def test_file_loops_as_annexb_with_growing_pts(tmp_path: Path, suffix: str) -> None:
    clip = tmp_path / f"clip.{suffix}"
    make_clip(clip, frames=10)
    start = time.monotonic()
    packets = asyncio.run(take(open_source(clip.as_uri()), 16))  # 1.6 passes
    elapsed = time.monotonic() - start
    assert all(is_annexb(p.data) for p in packets)
    assert [i for i, p in enumerate(packets) if p.keyframe] == [0, 5, 10, 15]
    assert all(params_before_idr(p.data) for p in packets if p.keyframe)
    steps = np.diff([p.pts for p in packets])
    assert (steps > 0).all()
    # Across the loop seam (packet 9 -> 10) too: one frame, ~6000 ticks at 15 fps.
    assert steps.tolist() == pytest.approx([6000] * 15, abs=60)
    assert elapsed == pytest.approx(15 / 15, abs=0.25)  # paced in real time
    frames = decode(packets)
    assert len(frames) == 16
    assert all((f.width, f.height) == (320, 240) for _, f in frames)


def test_file_with_b_frames_is_refused(tmp_path: Path) -> None:
    clip = tmp_path / "bframes.mp4"
    make_clip(clip, frames=10, bframes=2)
    with pytest.raises(SourceError, match="B-frames"):
        asyncio.run(take(open_source(clip.as_uri()), 30))


def test_missing_file_fails_when_pulled(tmp_path: Path) -> None:
    source = open_source((tmp_path / "nope.mp4").as_uri())
    with pytest.raises(SourceError, match="cannot open"):
        asyncio.run(take(source, 1))
    assert not [n for n in source_threads() if "nope.mp4" in n]


def test_file_that_is_not_h264_is_refused(tmp_path: Path) -> None:
    clip = tmp_path / "mpeg4.mp4"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("mpeg4", rate=15)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((180, 160), np.uint8), format="yuv420p")
        container.mux(stream.encode(frame))
        container.mux(stream.encode())
    with pytest.raises(SourceError, match=r"only H\.264"):
        asyncio.run(take(open_source(clip.as_uri()), 1))
