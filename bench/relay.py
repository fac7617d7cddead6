"""Video relay benchmark (issue 4): what the citywall relay costs and how fast it shows video,
beside a baseline in the same run.

The relay runs in its own process (spawned), the viewers in this one, so the CPU of each
side is measured apart (``/proc/<pid>/stat`` for the relay, ``getrusage`` here).

1. Viewers per core at 720p15: one camera whose source replays pre-encoded 1280x720
   packets (~1 Mbit/s, IDR every 2 s) paced at 15 fps (no encoder in the measurement),
   watched by N aiortc WHEP viewers. The viewers do not decode: the receiver's decoder
   thread is swapped for one that counts the frames the jitter buffer completes; RTP
   loss comes from ``getStats()`` (inbound-rtp packetsLost). Relay CPU per viewer ->
   viewers per core. Baseline: aiortc's ``MediaRelay`` fanning out one track returning
   the same ``av.Packet``s to the same viewers. Goal >= 80 viewers per core, no loss.
2. Tile switch -> first decoded frame: from the POST of the WHEP offer to the first
   frame out of the viewer's decoder, for a camera already pulled (an anchor viewer is
   attached), joining at a random point of the 2 s GOP. Baseline: the same relay with
   the GOP cache bypassed (``CameraHub.subscribe`` monkeypatched in the relay process to
   see an empty cache, so the viewer waits for the next IDR). Goal p95 < 200 ms.
3. Glass-to-glass latency on loopback: a viewer decodes ``sim://`` main (720p15)
   through the relay and reads the capture time burned into each frame. Drift = median
   of the last minute - median of the first minute (30 s halves with ``--quick``).
   Baseline: the same sim source's packets decoded at once in-process (encoder +
   decoder only). Goal p95 < 100 ms, drift < 5 ms per 10 min.

``python -m bench.relay [--quick] [--minutes 10] [--viewers 10,20,40] [--switches 20]``;
``python -m bench.relay --transcode`` measures a transcoded stream's CPU instead
(``bench/transcode.py``: H.265 → H.264 per watched stream, beside passthrough).
Exits 0 only when every measurement is whole (else 1, saying what is missing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import fractions
import io
import multiprocessing as mp
import os
import platform
import pstats
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any, Final

import aiohttp
import av
from aiohttp import web
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    rtcrtpreceiver,
)
from aiortc.contrib.media import MediaRelay
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamTrack
from av.stream import Stream

from bench.janus_peer import JanusProcess, JanusViewer
from bench.janus_peer import installed as janus_installed
from bench.report import print_exception, run_reporting
from core.localhost import free_port
from streams.packets import CLOCK_RATE, EncodedPacket, PacketSource, StreamName
from streams.relay.hub import CameraHub, Viewer
from streams.relay.sdp import h264_preferences
from streams.relay.server import RelaySettings, create_app
from streams.sources.clock_reader import read_burned_clock
from streams.sources.sim import SimSource
from streams.sources.sim_picture import SimPicture
from testkit.whep import WhepViewer

TOKEN: Final = "bench-token"
CAMERA: Final = "cam-1"
FPS: Final = 15
GOP_S: Final = 2.0
LOOP_FRAMES: Final = 60  # two GOPs of pre-encoded 720p, replayed in a loop
SHARED_LOOP: list[EncodedPacket] | None = None  # set by run(): every relay replays these
BITRATE: Final = 1_000_000
TIME_BASE: Final = fractions.Fraction(1, CLOCK_RATE)
CLK_TCK: Final = os.sysconf("SC_CLK_TCK")
GOAL_VIEWERS_PER_CORE: Final = 80.0
GOAL_SWITCH_P95_MS: Final = 200.0
GOAL_LATENCY_P95_MS: Final = 100.0
GOAL_DRIFT_MS_PER_10MIN: Final = 5.0


# --------------------------------------------------------------- pre-encoded source
def encode_loop(frames: int = LOOP_FRAMES) -> list[EncodedPacket]:
    """``frames`` sim pictures at 1280x720, 1 Mbit/s, IDR every 2 s, Annex B."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = 1280, 720, "yuv420p"
    codec.time_base = TIME_BASE
    codec.framerate = fractions.Fraction(FPS, 1)
    keyint = round(FPS * GOP_S)
    codec.gop_size = keyint
    codec.max_b_frames = 0
    codec.bit_rate = BITRATE
    codec.thread_count = 1
    kbps = BITRATE // 1000
    codec.options = {
        "preset": "ultrafast",
        "tune": "zerolatency",
        "x264-params": f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes=0"
        f":repeat-headers=1:annexb=1:aud=0:vbv-maxrate={kbps}:vbv-bufsize={kbps}",
    }
    codec.open()
    picture = SimPicture(CAMERA, "main 1280x720 15 fps", 1280, 720, FPS)
    out: list[EncodedPacket] = []
    start = time.time()
    for index in range(frames):
        frame = av.VideoFrame.from_ndarray(picture.draw(index, start + index / FPS), "yuv420p")
        frame.pts = index * CLOCK_RATE // FPS
        frame.time_base = TIME_BASE
        for packet in codec.encode(frame):
            out.append(EncodedPacket(bytes(packet), index * CLOCK_RATE // FPS,
                                     packet.is_keyframe, 0.0))  # fmt: skip
    for packet in codec.encode(None):
        pts = len(out) * CLOCK_RATE // FPS
        out.append(EncodedPacket(bytes(packet), pts, packet.is_keyframe, 0.0))
    assert out[0].keyframe, "the loop must start at an IDR"
    return out


async def paced(loop_packets: Sequence[EncodedPacket]) -> AsyncIterator[tuple[int, bytes, bool]]:
    """(pts, data, keyframe) of the loop, forever, at 15 fps on an absolute schedule."""
    start = time.monotonic()
    index = 0
    while True:
        delay = start + index / FPS - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        packet = loop_packets[index % len(loop_packets)]
        yield index * CLOCK_RATE // FPS, packet.data, packet.keyframe
        index += 1


class LoopSource:
    """A ``PacketSource`` replaying the pre-encoded packets in real time."""

    def __init__(self, url: str, loop_packets: Sequence[EncodedPacket]) -> None:
        self.url = url
        self._packets = loop_packets

    async def packets(self) -> AsyncIterator[EncodedPacket]:
        async for pts, data, key in paced(self._packets):
            yield EncodedPacket(data, pts, key, time.time())


class LoopTrack(MediaStreamTrack):
    """The same packets as an aiortc track (for the ``MediaRelay`` baseline)."""

    kind = "video"

    def __init__(self, loop_packets: Sequence[EncodedPacket]) -> None:
        super().__init__()
        self._iterator = paced(loop_packets)

    async def recv(self) -> av.Packet[Stream]:
        pts, data, _ = await self._iterator.__anext__()
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = TIME_BASE
        return packet


# ------------------------------------------------------------------- relay process
def _no_gop_cache() -> None:
    """Baseline for the switch: ``subscribe`` sees an empty GOP cache (forward from now)."""
    original = CameraHub.subscribe

    def subscribe(self: CameraHub, camera_id: str, stream: StreamName, viewer: Viewer) -> None:
        upstream = self._upstreams[(camera_id, stream)]
        saved, upstream.gop = upstream.gop, []
        try:
            original(self, camera_id, stream, viewer)
        finally:
            upstream.gop = saved

    CameraHub.subscribe = subscribe  # type: ignore[method-assign]


def _mediarelay_app(loop_packets: Sequence[EncodedPacket]) -> web.Application:
    """A bare WHEP endpoint: aiortc ``MediaRelay`` fans one packet track out."""
    relay = MediaRelay()
    source = LoopTrack(loop_packets)
    pcs: set[RTCPeerConnection] = set()

    async def offer(request: web.Request) -> web.Response:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.add(pc)
        sender = pc.addTrack(relay.subscribe(source))
        for transceiver in pc.getTransceivers():
            if transceiver.sender is sender:
                transceiver.setCodecPreferences(h264_preferences())
        await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.Response(status=201, text=pc.localDescription.sdp,
                            content_type="application/sdp")  # fmt: skip

    async def close_all(_: web.Application) -> None:
        await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)

    app = web.Application()
    app.router.add_post("/whep/{camera_id}", offer)
    app.on_shutdown.append(close_all)
    return app


async def _serve(
    mode: str, port: int, ready: MpEvent, stop: MpEvent, shared: Sequence[EncodedPacket] | None
) -> None:
    loop_packets = shared or encode_loop()  # the same bytes as the other relay: shared
    if mode == "mediarelay":
        app = _mediarelay_app(loop_packets)
    else:
        factory: Callable[[str], PacketSource]
        if mode == "sim":
            url, factory = "sim://cam-1?stream=main", SimSource
        else:
            url = "loop://cam-1"

            def factory(u: str) -> PacketSource:
                return LoopSource(u, loop_packets)

            if mode == "nocache":
                _no_gop_cache()
        settings = RelaySettings(token=TOKEN, host="127.0.0.1", port=port)
        app = create_app(settings, {CAMERA: {"main": url}}, factory)
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ready.set()
    while not stop.is_set():
        await asyncio.sleep(0.2)
    with contextlib.suppress(Exception):
        async with asyncio.timeout(10):
            await runner.cleanup()


def relay_process(
    mode: str,
    port: int,
    ready: MpEvent,
    stop: MpEvent,
    profile_to: str | None = None,
    shared: Sequence[EncodedPacket] | None = None,
) -> None:
    if profile_to is None:
        asyncio.run(_serve(mode, port, ready, stop, shared))
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(_serve(mode, port, ready, stop, shared))
    finally:
        profiler.disable()
        profiler.dump_stats(profile_to)


@dataclass
class RelayProcess:
    mode: str  # citywall | mediarelay | nocache | sim
    profile_to: str | None = None  # cProfile the relay's main thread into this file
    shared: Sequence[EncodedPacket] | None = None  # the loop, encoded once by the bench
    port: int = field(default_factory=free_port)
    process: Any = None
    stop: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        context = mp.get_context("spawn")
        ready, self.stop = context.Event(), context.Event()
        self.process = context.Process(
            target=relay_process,
            args=(
                self.mode,
                self.port,
                ready,
                self.stop,
                self.profile_to,
                self.shared or SHARED_LOOP,
            ),
            daemon=True,
        )
        self.process.start()
        deadline = time.monotonic() + 60
        while not ready.wait(0.2):
            self.check()  # a relay that died (a port taken, an import error) is not waited for
            if time.monotonic() > deadline:
                raise RuntimeError(f"relay ({self.mode}) did not start within 60 s")

    def check(self) -> None:
        """Raise if the relay process has died: every figure after that is void."""
        if not self.process.is_alive():
            raise RuntimeError(f"relay ({self.mode}) died: exit code {self.process.exitcode}")

    def cpu(self) -> float:
        """Core-seconds used so far by the relay process (all threads)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def close(self) -> None:
        self.stop.set()
        self.process.join(15)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


# ---------------------------------------------------------------------- viewers
COUNT_ONLY = False  # while True, new receivers count frames instead of decoding them
_COUNTED: Final = object()
_decoder_worker = rtcrtpreceiver.decoder_worker


def _counting_worker(
    loop: asyncio.AbstractEventLoop, input_q: Any, output_q: Any, decode_error: Any
) -> None:
    while True:
        task = input_q.get()
        asyncio.run_coroutine_threadsafe(output_q.put(None if task is None else _COUNTED), loop)
        if task is None:
            return


def _worker(*args: Any) -> None:
    (_counting_worker if COUNT_ONLY else _decoder_worker)(*args)


class MarkerJitterBuffer(JitterBuffer):
    """aiortc's buffer, but a frame is complete at its RTP marker bit (as in libwebrtc),
    not when the next frame's first packet arrives (which holds every frame one frame
    interval, 67 ms at 15 fps, in aiortc's own receiver)."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._origin is None:
            return None
        packets: list[Any] = []
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None
            if packets and packet.timestamp != packets[0].timestamp:
                return self._take(packets, count)  # no marker: complete now, as aiortc
            packets.append(packet)
            if packet.marker:
                return self._take(packets, count + 1)
        return None

    def _take(self, packets: Sequence[Any], count: int) -> JitterFrame:
        frame = JitterFrame(b"".join(p._data for p in packets), packets[0].timestamp)
        self.remove(count)
        return frame


MARKER_FRAMES = False  # while True, new receivers use MarkerJitterBuffer


def _jitter_buffer(capacity: int, prefetch: int = 0, is_video: bool = False) -> JitterBuffer:
    if MARKER_FRAMES and is_video:
        return MarkerJitterBuffer(capacity, prefetch, is_video)
    return JitterBuffer(capacity, prefetch, is_video)


setattr(rtcrtpreceiver, "JitterBuffer", _jitter_buffer)  # noqa: B010 (private name)
rtcrtpreceiver.decoder_worker = _worker  # type: ignore[assignment]  # looked up when a receiver starts


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def marker_receiver() -> Iterator[None]:
    """While aiortc builds a viewer's receiver: frames complete on the marker bit."""
    global MARKER_FRAMES
    MARKER_FRAMES = True
    try:
        yield
    finally:
        MARKER_FRAMES = False


async def watch(
    url: str, http: aiohttp.ClientSession, on_frame: Callable[[Any], None] | None = None,
    marker: bool = False,
) -> WhepViewer:  # fmt: skip
    """A viewer of the bench camera's main stream, playing (or an error: no 201)."""
    receiver = marker_receiver if marker else contextlib.nullcontext
    viewer = WhepViewer(url, TOKEN, http, on_frame, receiver, who="bench")
    await viewer.play(CAMERA, "main")
    return viewer


async def hang_up(viewer: WhepViewer) -> None:
    """DELETE the session (best effort: the relay may be gone), then close the peer."""
    if viewer.location is not None:
        with contextlib.suppress(Exception):
            await viewer.delete()
    await viewer.close()


async def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


# ----------------------------------------------------------------- 1. fan-out cost
# A new viewer's offer (or, for Janus, its "watch") to its first frame out, ms, by mode.
FIRST_FRAMES: dict[str, list[float]] = {}


@dataclass
class FanoutRound:
    mode: str
    viewers: int
    seconds: float
    relay_cpu: float  # core-seconds per second
    viewer_cpu: float
    fps_min: float
    fps_median: float
    packets: int
    lost: int

    @property
    def per_core(self) -> float:
        return self.viewers / self.relay_cpu if self.relay_cpu > 0 else float("inf")


async def fanout(
    mode: str, counts: Sequence[int], window: float, rounds: int, log: Callable[[str], None],
    results: list[FanoutRound],
) -> None:  # fmt: skip
    """Rounds appended to ``results`` as measured: a failed run still reports them."""
    global COUNT_ONLY
    COUNT_ONLY = True
    relay: RelayProcess | JanusProcess = (
        JanusProcess(SHARED_LOOP or encode_loop(), FPS) if mode == "janus" else RelayProcess(mode)
    )
    relay.start()
    viewers: list[WhepViewer] = []
    try:
        async with aiohttp.ClientSession() as http:
            for n in counts:
                added = len(viewers)
                while len(viewers) < n:
                    if mode == "janus":
                        viewers.append(JanusViewer(relay.url, TOKEN))
                        await viewers[-1].connect(CAMERA)
                    else:
                        viewers.append(await watch(relay.url, http))
                if not await wait_for(lambda: all(v.frames > 0 for v in viewers), 30):
                    relay.check()
                    raise RuntimeError(f"{mode}: {sum(v.frames == 0 for v in viewers)} of "
                                       f"{n} viewers got no frame within 30 s")  # fmt: skip
                FIRST_FRAMES.setdefault(mode, []).extend(
                    1000 * f for v in viewers[added:] if (f := v.first_frame) is not None
                )
                await asyncio.sleep(6.0)  # settle: handshakes done, GOP bursts drained
                for _ in range(rounds):
                    frames0 = [v.frames for v in viewers]
                    stats0 = [await v.packets() for v in viewers]
                    t0, r0, c0 = time.monotonic(), relay.cpu(), own_cpu()
                    await asyncio.sleep(window)
                    t1, r1, c1 = time.monotonic(), relay.cpu(), own_cpu()
                    frames1 = [v.frames for v in viewers]
                    stats1 = [await v.packets() for v in viewers]
                    relay.check()  # a relay that died in the window: the round is void
                    seconds = t1 - t0
                    rates = [(b - a) / seconds for a, b in zip(frames0, frames1, strict=True)]
                    results.append(FanoutRound(
                        mode, n, seconds, (r1 - r0) / seconds, (c1 - c0) / seconds,
                        min(rates), statistics.median(rates),
                        sum(b[0] - a[0] for a, b in zip(stats0, stats1, strict=True)),
                        sum(b[1] - a[1] for a, b in zip(stats0, stats1, strict=True)),
                    ))  # fmt: skip
                    last = results[-1]
                    log(f"  {mode:10} N={n:3}: relay {last.relay_cpu:.2f} cores, viewers "
                        f"{last.viewer_cpu:.2f}, fps min {last.fps_min:.1f}, "
                        f"lost {last.lost}/{last.packets}")  # fmt: skip
            await asyncio.gather(*(v.close() for v in viewers), return_exceptions=True)
    finally:
        COUNT_ONLY = False
        relay.close()


async def profile_fanout(mode: str, viewers: int, seconds: float, top: int = 18) -> str:
    """cProfile of the relay process (main thread) serving ``viewers`` for ``seconds``."""
    global COUNT_ONLY
    handle, path = tempfile.mkstemp(suffix=".prof", prefix="bench-relay-")
    os.close(handle)
    relay = RelayProcess(mode, profile_to=path)
    relay.start()
    COUNT_ONLY = True
    try:
        async with aiohttp.ClientSession() as http:
            clients = [await watch(relay.url, http) for _ in range(viewers)]
            await asyncio.sleep(seconds)
            relay.check()
            await asyncio.gather(*(v.close() for v in clients), return_exceptions=True)
    finally:
        COUNT_ONLY = False
        relay.close()
    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    Path(path).unlink(missing_ok=True)
    return out.getvalue()


# ------------------------------------------------------------------ 2. tile switch
async def switches(
    mode: str, count: int, seed: int, log: Callable[[str], None], out: list[float]
) -> None:
    """Milliseconds from the POST to the first decoded frame, ``count`` times, appended
    to ``out`` as measured (infinite: no frame within 10 s)."""
    rng = random.Random(seed)
    relay = RelayProcess(mode)
    relay.start()
    try:
        async with aiohttp.ClientSession() as http:
            anchor = await watch(relay.url, http)  # keeps the upstream running
            if not await wait_for(lambda: anchor.frames > 0, 30):
                relay.check()
                raise RuntimeError(f"{mode}: the anchor viewer got no frame within 30 s")
            for _ in range(count):
                await asyncio.sleep(rng.uniform(0.3, 0.3 + GOP_S))  # a random GOP phase
                viewer = await watch(relay.url, http)
                await wait_for(lambda v=viewer: v.first_frame is not None, 10)  # type: ignore[misc]
                # No frame within 10 s: infinite, counted as a gap by gaps().
                out.append(
                    float("inf") if viewer.first_frame is None else viewer.first_frame * 1000
                )
                await hang_up(viewer)
            await hang_up(anchor)
            relay.check()
    finally:
        relay.close()
    log(f"  {mode:10}: p50 {pct(out, 50):.0f} ms, p95 {pct(out, 95):.0f} ms ({len(out)})")


# -------------------------------------------------------------------- 3. latency
@dataclass
class Latency:
    samples: list[tuple[float, float]] = field(default_factory=list)  # (t, latency ms)
    unreadable: int = 0

    def note(self, frame: Any) -> None:
        now = time.time()
        captured = read_burned_clock(frame)
        if captured is None:
            self.unreadable += 1
        else:
            self.samples.append((time.monotonic(), (now - captured) * 1000))

    def values(self) -> list[float]:
        return [v for _, v in self.samples]

    def drift(self, span: float) -> float:
        """Median of the last ``span`` s minus the median of the first ``span`` s."""
        if not self.samples:
            return float("nan")
        t0, t1 = self.samples[0][0], self.samples[-1][0]
        first = [v for t, v in self.samples if t < t0 + span]
        last = [v for t, v in self.samples if t > t1 - span]
        return statistics.median(last) - statistics.median(first)


async def relay_latency(seconds: float, log: Callable[[str], None]) -> tuple[Latency, Latency]:
    """(marker-bit receiver, stock aiortc receiver): two viewers, both decoding."""
    relay = RelayProcess("sim")
    relay.start()
    marker, stock = Latency(), Latency()
    try:
        async with aiohttp.ClientSession() as http:
            viewers = [await watch(relay.url, http, marker.note, marker=True),
                       await watch(relay.url, http, stock.note)]  # fmt: skip
            if not await wait_for(lambda: all(v.frames > 0 for v in viewers), 30):
                relay.check()
                raise RuntimeError("latency: the viewers got no frame within 30 s")
            await asyncio.sleep(1.0)  # past the GOP burst: steady state only
            marker.samples.clear()
            stock.samples.clear()
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                await asyncio.sleep(min(30.0, end - time.monotonic()))
                m, a = marker.values()[-FPS * 30 :], stock.values()[-FPS * 30 :]
                if m and a:
                    log(f"  relay latency, last 30 s p50: marker-bit {pct(m, 50):.1f} ms, "
                        f"aiortc {pct(a, 50):.1f} ms ({len(marker.samples)} frames)")  # fmt: skip
            relay.check()
            for viewer in viewers:
                await hang_up(viewer)
    finally:
        relay.close()
    return marker, stock


async def direct_latency(seconds: float) -> Latency:
    """The sim source's packets decoded at once, in-process: encoder + decoder only."""
    latency = Latency()
    decoder = av.CodecContext.create("h264", "r")
    source = SimSource("sim://cam-1?stream=main")
    iterator = source.packets()
    end = time.monotonic() + seconds
    try:
        async for packet in iterator:
            for frame in decoder.decode(av.Packet(packet.data)):
                latency.note(frame)
            if time.monotonic() > end:
                break
    finally:
        await iterator.aclose()
    return latency


# ------------------------------------------------------------------------ report
def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in rows]  # fmt: skip
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(
    fan: Sequence[FanoutRound],
    switch: dict[str, list[float]],
    lat: Latency,
    stock: Latency,
    direct: Latency,
    drift_span: float,
    minutes: float,
    loop_kbps: float,
) -> str:
    rows = [["measurement", "citywall", "baseline", "ratio", "goal", ""]]
    counts = sorted({r.viewers for r in fan})
    for n in counts:
        city = [r for r in fan if r.mode == "citywall" and r.viewers == n]
        base = [r for r in fan if r.mode == "mediarelay" and r.viewers == n]
        c_core, b_core = med([r.relay_cpu for r in city]), med([r.relay_cpu for r in base])
        c_pc, b_pc = med([r.per_core for r in city]), med([r.per_core for r in base])
        c_lost, b_lost = sum(r.lost for r in city), sum(r.lost for r in base)
        c_pk, b_pk = sum(r.packets for r in city), sum(r.packets for r in base)
        c_fps, b_fps = med([r.fps_min for r in city]), med([r.fps_min for r in base])
        last = n == counts[-1]
        ok = c_pc >= GOAL_VIEWERS_PER_CORE and c_lost == 0 and c_fps >= FPS - 1
        rows += [
            [f"N={n}: relay CPU (cores)", f"{c_core:.2f}", f"{b_core:.2f}",
             f"{c_core / b_core:.2f}x", "", ""],
            [f"N={n}: relay CPU per viewer (ms/s)", f"{1000 * c_core / n:.1f}",
             f"{1000 * b_core / n:.1f}", "", "", ""],
            [f"{'**' if last else ''}N={n}: viewers per core{'**' if last else ''}",
             f"{c_pc:.0f}", f"{b_pc:.0f}", f"{c_pc / b_pc:.2f}x",
             "≥ 80, no loss" if last else "", verdict(ok) if last else ""],
            [f"N={n}: RTP packets lost / received", f"{c_lost} / {c_pk}",
             f"{b_lost} / {b_pk}", "", "", ""],
            [f"N={n}: slowest viewer (fps, median round)", f"{c_fps:.1f}", f"{b_fps:.1f}",
             "", "", ""],
            [f"N={n}: viewer process CPU (cores)",
             f"{med([r.viewer_cpu for r in city]):.2f}",
             f"{med([r.viewer_cpu for r in base]):.2f}", "", "", ""],
        ]  # fmt: skip
    if len(counts) > 1:
        lo, hi = counts[0], counts[-1]

        def marginal(mode: str) -> float:
            def cores(n: int) -> float:
                return med([r.relay_cpu for r in fan if r.mode == mode and r.viewers == n])

            return 1000 * (cores(hi) - cores(lo)) / (hi - lo)

        c_m, b_m = marginal("citywall"), marginal("mediarelay")
        rows.append([f"relay CPU per added viewer, N={lo}->{hi} (ms/s)", f"{c_m:.1f}",
                     f"{b_m:.1f}", f"{c_m / b_m:.2f}x", "", ""])  # fmt: skip
    cache, nocache = switch.get("citywall", []), switch.get("nocache", [])
    if cache:
        rows += [
            [f"switch -> first frame p50 (ms, {len(cache)} switches)",
             f"{pct(cache, 50):.0f}", f"{pct(nocache, 50):.0f}",
             f"{pct(cache, 50) / pct(nocache, 50):.2f}x", "", ""],
            ["**switch -> first frame p95 (ms)**", f"{pct(cache, 95):.0f}",
             f"{pct(nocache, 95):.0f}", f"{pct(cache, 95) / pct(nocache, 95):.2f}x",
             "< 200 ms", verdict(pct(cache, 95) < GOAL_SWITCH_P95_MS)],
            ["switch -> first frame max (ms)", f"{max(cache):.0f}",
             f"{max(nocache, default=float('nan')):.0f}", "", "", ""],
        ]  # fmt: skip
    if lat.samples:
        values, dvalues = lat.values(), direct.values()
        drift = lat.drift(drift_span)
        # Extrapolated only beyond 10 min: over a shorter run the drift is mostly noise and
        # warm-up, so it is held to the 5 ms as measured.
        per10 = drift * 10 / minutes if minutes > 10 else drift
        rows += [
            [f"glass-to-glass p50 (ms, {len(values)} frames)", f"{pct(values, 50):.1f}",
             f"{pct(dvalues, 50):.1f}", "", "", ""],
            ["**glass-to-glass p95 (ms)**", f"{pct(values, 95):.1f}",
             f"{pct(dvalues, 95):.1f}", "", "< 100 ms",
             verdict(pct(values, 95) < GOAL_LATENCY_P95_MS)],
            ["glass-to-glass max (ms)", f"{max(values):.1f}",
             f"{max(dvalues, default=float('nan')):.1f}", "", "", ""],
            [f"**drift: last − first {drift_span:.0f} s median (ms, over {minutes:g} min)**",
             f"{drift:+.1f}", f"{direct.drift(min(drift_span, 10)):+.1f}", "",
             "< 5 ms / 10 min", verdict(abs(per10) < GOAL_DRIFT_MS_PER_10MIN)],
            ["frames without a readable clock", str(lat.unreadable), str(direct.unreadable),
             "", "", ""],
            ["aiortc's own receiver: glass-to-glass p50 / p95 (ms)",
             f"{pct(stock.values(), 50):.1f} / {pct(stock.values(), 95):.1f}",
             "", "", "", ""],
        ]  # fmt: skip
    notes = [
        f"loop source: {LOOP_FRAMES} pre-encoded 1280x720 frames, {loop_kbps:.0f} kbit/s, "
        f"{FPS} fps, IDR every {GOP_S:g} s; relay CPU from /proc/<pid>/stat of the relay "
        "process, medians of the rounds; viewers count frames without decoding.",
        "switch baseline: the same relay with CameraHub.subscribe patched to see an empty "
        "GOP cache (waits for the next IDR); latency baseline: sim packets decoded "
        "in-process at once (encoder + decoder only). Glass-to-glass rows: a viewer whose "
        "receiver completes frames on the RTP marker bit, like a browser; the last row: "
        "aiortc's stock receiver, which holds each frame until the next one starts.",
    ]
    return table(rows) + "\n\n" + "\n".join(notes)


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError), Path("/proc/cpuinfo").open() as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import aiortc

    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, aiortc {aiortc.__version__}, "
            f"PyAV {av.__version__}")  # fmt: skip


@dataclass
class Measured:
    """What a run measured; partial if it stopped early."""

    fan: list[FanoutRound] = field(default_factory=list)
    switch: dict[str, list[float]] = field(default_factory=dict)
    lat: Latency = field(default_factory=Latency)
    stock: Latency = field(default_factory=Latency)
    direct: Latency = field(default_factory=Latency)


async def measure(args: argparse.Namespace, got: Measured, log: Callable[[str], None]) -> None:
    counts = [int(n) for n in args.viewers.split(",")]
    log("1. fan-out cost")
    for mode in fanout_modes():
        await fanout(mode, counts, args.window, args.rounds, log, got.fan)
    log("2. tile switch")
    for mode in ("citywall", "nocache"):
        await switches(mode, args.switches, 4, log, got.switch.setdefault(mode, []))
    log("3. latency: direct baseline")
    got.direct = await direct_latency(args.direct_seconds)
    log(f"  direct: p50 {pct(got.direct.values(), 50):.1f} ms ({len(got.direct.samples)})")
    log(f"3. latency through the relay, {args.minutes:g} min")
    got.lat, got.stock = await relay_latency(args.minutes * 60, log)


def fanout_modes() -> tuple[str, ...]:
    """citywall, aiortc's MediaRelay, and Janus where Debian's janus is installed."""
    return ("citywall", "mediarelay", "janus") if janus_installed() else ("citywall", "mediarelay")


def peers_table(fan: Sequence[FanoutRound]) -> str:
    """The peers side by side: viewers per core, loss and a new viewer's first frame."""
    modes = [m for m in fanout_modes() if any(r.mode == m for r in fan)]
    rows = [["measurement", *modes]]
    for n in sorted({r.viewers for r in fan}):
        rounds = {m: [r for r in fan if r.mode == m and r.viewers == n] for m in modes}
        rows.append([f"N={n}: viewers per core",
                     *(f"{med([r.per_core for r in rounds[m]]):.0f}" for m in modes)])  # fmt: skip
        rows.append([f"N={n}: RTP packets lost / received",
                     *(f"{sum(r.lost for r in rounds[m])} / {sum(r.packets for r in rounds[m])}"
                       for m in modes)])  # fmt: skip
    for q in (50, 95):
        rows.append([f"new viewer: offer -> first frame p{q} (ms)",
                     *(f"{pct(FIRST_FRAMES.get(m, []), q):.0f}" for m in modes)])  # fmt: skip
    if not janus_installed():
        rows.append(["janus", "not installed (apt-get install janus): not compared", ""])
    return table(rows)


def gaps(args: argparse.Namespace, got: Measured) -> list[str]:
    """Every measurement the run should have and has not (empty: complete)."""
    out = []
    for mode in fanout_modes():
        for n in (int(n) for n in args.viewers.split(",")):
            rounds = [r for r in got.fan if r.mode == mode and r.viewers == n]
            if len(rounds) < args.rounds:
                out.append(f"fan-out {mode} N={n}: {len(rounds)} of {args.rounds} rounds")
            if any(r.fps_min == 0 for r in rounds):
                out.append(f"fan-out {mode} N={n}: a viewer got no frame in a round")
    for mode in ("citywall", "nocache"):
        shown = [v for v in got.switch.get(mode, []) if v != float("inf")]
        if len(shown) < args.switches:
            out.append(f"switch {mode}: {len(shown)} of {args.switches} showed a frame in 10 s")
    for name, latency in (("direct", got.direct), ("relay, marker-bit", got.lat),
                          ("relay, aiortc receiver", got.stock)):  # fmt: skip
        if not latency.samples:
            out.append(f"latency ({name}): no frame with a readable clock")
    return out


async def run(args: argparse.Namespace) -> list[str]:
    """Measure, print the table (partial if a step failed), return the gaps."""
    began = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - began:6.1f} s] {text}", flush=True)

    global SHARED_LOOP
    loop_packets = SHARED_LOOP = encode_loop()
    loop_kbps = sum(len(p.data) for p in loop_packets) * 8 / (len(loop_packets) / FPS) / 1000
    log(f"loop source: {len(loop_packets)} packets, {loop_kbps:.0f} kbit/s")
    got, failed = Measured(), []
    try:
        await measure(args, got, log)
    except Exception as exc:  # the table still shows what was measured; the exit says it failed
        print_exception(exc)
        failed = [f"stopped early: {type(exc).__name__}: {exc}"]
        log("stopped early: the table has what was measured")
    span = 30.0 if args.quick else 60.0
    text = report(got.fan, got.switch, got.lat, got.stock, got.direct, span, args.minutes,
                  loop_kbps)  # fmt: skip
    print("\n" + text, flush=True)
    print("\nThe peers, same loop, same counting viewers:\n\n" + peers_table(got.fan), flush=True)
    return failed + gaps(args, got)


async def profile_all() -> list[str]:
    for mode in ("citywall", "mediarelay"):
        print(f"\n== {mode}, 40 viewers, 30 s ==", flush=True)
        print(await profile_fanout(mode, 40, 30.0), flush=True)
    return []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="1 min latency, shorter rounds")
    parser.add_argument("--minutes", type=float, default=None, help="latency run (default 10)")
    parser.add_argument("--viewers", default="10,20,40", help="viewer counts, ascending")
    parser.add_argument("--switches", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=None, help="windows per viewer count")
    parser.add_argument("--window", type=float, default=None, help="seconds per window")
    parser.add_argument(
        "--profile", action="store_true", help="only cProfile both relays at 40 viewers, 30 s"
    )
    parser.add_argument(
        "--transcode", action="store_true", help="only a transcoded stream's CPU (bench.transcode)"
    )
    args = parser.parse_args(argv)
    if args.transcode:
        from bench.transcode import main as transcode_main

        return transcode_main(["--markdown"] + (["--seconds", "10"] if args.quick else []))
    if args.minutes is None:
        args.minutes = 1.0 if args.quick else 10.0
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.window = args.window or (5.0 if args.quick else 10.0)
    args.direct_seconds = 20.0 if args.quick else 60.0
    print(f"bench.relay on {machine()}", flush=True)
    if args.profile:
        return run_reporting(lambda: asyncio.run(profile_all()))
    return run_reporting(lambda: asyncio.run(run(args)))


if __name__ == "__main__":
    sys.exit(main())
