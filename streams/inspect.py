"""What a camera stream really sends, measured before installation (``citywall cameras check``).

Real halls' cameras (mostly Hikvision, Dahua) default to H.265, or to H.264 High with
B-frames and long GOPs; the relay passes through only H.264 without B-frames, SPS/PPS
with keyframes. This module connects to a stream the way the relay does (the same
PyAV options: ``open_rtsp``), reads it for a bounded time (until the second keyframe,
or ``budget_s``) and reports codec, profile, size, frame rate, GOP, B-frames and where
the parameter sets come from; ``streams.advice`` turns that into what to change.

RTSP cameras are asked first with the relay's own prober (OPTIONS + DESCRIBE), so a
refusal, a timeout or a wrong password is named exactly as the e-map names it, and a
camera that would not serve video is not opened at all. Pure video plane: no wall code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from urllib.parse import urlsplit

import av
import av.bitstream

from streams.packets import CLOCK_RATE, PacketSource, SourceError
from streams.relay.prober import probe_rtsp
from streams.sources.annexb import NAL_IDR, NAL_PPS, NAL_SPS, avcc_config_nals, split_nals
from streams.sources.file import parse_file_url
from streams.sources.registry import open_source
from streams.sources.rtsp import open_rtsp
from streams.sources.sps import (
    H265_IRAP,
    H265_PPS,
    H265_SPS,
    H265_VPS,
    BitstreamError,
    SpsInfo,
    h264_slice_type,
    h265_nal_type,
    parse_h264_sps,
    parse_h265_sps,
)

CODEC_NAMES = {"h264": "H.264", "hevc": "H.265"}
_PARAMS = {"h264": frozenset({NAL_SPS, NAL_PPS}), "hevc": frozenset({H265_VPS, H265_SPS, H265_PPS})}
RTSP_ATTEMPTS, RTSP_RETRY_S = 3, 0.5  # opening a camera that answers 5xx
MIN_FRAMES = 8  # read at least this many, so that all-intra streams still show a frame rate


@dataclass
class StreamFacts:
    """One stream, as measured. ``connection`` is "ok" or why not: "auth failed",
    "refused", "timeout", "unreachable", "no video", "no file", "RTSP <code>", "error"."""

    connection: str = "ok"
    error: str | None = None  # the one-line reason behind "error" (no password in it)
    codec: str | None = None  # "H.264", "H.265", or FFmpeg's name of another codec
    profile: str | None = None
    level: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    gop_frames: int | None = None  # from one keyframe to the next
    gop_s: float | None = None
    gop_over_s: float | None = None  # fewer than two keyframes seen: the GOP is longer
    b_frames: bool | None = None
    sps_pps_in_band: bool | None = None  # before every keyframe seen
    sps_pps_seen: bool | None = None  # before some keyframe (the relay remembers them)
    sps_pps_in_sdp: bool | None = None  # in the SDP / container header (the relay re-inserts)
    frames: int = 0
    keyframes: int = 0


@dataclass
class Observer:
    """Access units fed in decode order -> ``StreamFacts`` (no I/O: unit-testable).

    ``codec`` is FFmpeg's name ("h264", "hevc", ...); ``header`` is the parameter sets
    the stream was announced with (SDP sprop-parameter-sets, an avcC record): b"" for
    none, None where a source has no such thing (sim://)."""

    codec: str
    header: bytes | None = None
    sps: SpsInfo | None = None
    times: list[float | None] = field(default_factory=list)  # pts in seconds, per frame
    arrivals: list[float] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)  # indices of the keyframes
    with_params: list[bool] = field(default_factory=list)  # per keyframe: SPS/PPS before it
    b_slices: bool = False
    reordered: bool = False
    live_since: float | None = None  # a live source: when reading began (time.monotonic())
    live_until: float | None = None  # ... and ended
    _pending: set[int] = field(default_factory=set)  # parameter sets since the last picture
    _latest: float | None = None

    def __post_init__(self) -> None:
        self.header_params = frozenset(self._kinds(self._header_nals()))
        for nal in self._header_nals():
            self._read_sps(nal)

    def _header_nals(self) -> list[bytes]:
        if not self.header:
            return []
        if self.codec == "h264":
            return avcc_config_nals(self.header)  # Annex B or avcC
        return split_nals(self.header) if self.header[:3] in (b"\0\0\1", b"\0\0\0") else []

    def _kinds(self, nals: list[bytes]) -> list[int]:
        if self.codec == "h264":
            return [nal[0] & 0x1F for nal in nals]
        if self.codec == "hevc":
            return [h265_nal_type(nal) for nal in nals if len(nal) >= 2]
        return []

    def _read_sps(self, nal: bytes) -> None:
        if self.sps is not None or not nal:
            return
        with contextlib.suppress(BitstreamError, KeyError):
            if self.codec == "h264" and nal[0] & 0x1F == NAL_SPS:
                self.sps = parse_h264_sps(nal)
            elif self.codec == "hevc" and h265_nal_type(nal) == H265_SPS:
                self.sps = parse_h265_sps(nal)

    def feed(self, data: bytes, pts_s: float | None, flagged_key: bool, arrival: float) -> None:
        """One packet (Annex B for H.264/H.265); packets without a picture only add to
        the parameter sets in front of the next one."""
        nals = split_nals(data) if self.codec in _PARAMS else []
        kinds = self._kinds(nals)
        params = _PARAMS.get(self.codec, frozenset())
        picture_at = next((i for i, kind in enumerate(kinds) if self._is_picture(kind)), None)
        if self.codec in _PARAMS and picture_at is None:
            self._pending.update(k for k in kinds if k in params)
            for nal in nals:
                self._read_sps(nal)
            return
        before = self._pending | {k for k in kinds[:picture_at] if k in params}
        self._pending = set()
        for nal in nals:
            self._read_sps(nal)
            if self.codec == "h264" and h264_slice_type(nal) == "B":
                self.b_slices = True
        key = flagged_key or any(self._is_key(kind) for kind in kinds)
        if key:
            self.keys.append(len(self.times))
            self.with_params.append(params <= before)
        if pts_s is not None:
            if self._latest is not None and pts_s < self._latest:
                self.reordered = True  # shown before a frame decoded earlier: B-frames
            self._latest = pts_s if self._latest is None else max(self._latest, pts_s)
        self.times.append(pts_s)
        self.arrivals.append(arrival)

    def _is_picture(self, kind: int) -> bool:
        return kind in (1, NAL_IDR) if self.codec == "h264" else kind < 32

    def _is_key(self, kind: int) -> bool:
        return kind == NAL_IDR if self.codec == "h264" else kind in H265_IRAP

    def done(self, keyframes: int) -> bool:
        return len(self.keys) >= keyframes and len(self.times) >= MIN_FRAMES

    def _span(self, first: int, last: int) -> float:
        """Seconds from frame ``first`` to frame ``last``: by pts, else by arrival."""
        start, end = self.times[first], self.times[last]
        if start is not None and end is not None:
            return end - start
        return self.arrivals[last] - self.arrivals[first]

    def _gop_longer_than(self) -> float:
        """Fewer than two keyframes: the one before the reading began is older than its
        start, the next one later than its end, so the GOP is longer than the longer gap
        around the keyframe seen (than the whole reading if none). A live source's
        reading is timed by the clock (at least ``budget_s``, so the bound is at least
        half of it); a file's by its timestamps."""
        if self.live_since is not None and self.live_until is not None:
            marks = [self.live_since, *(self.arrivals[k] for k in self.keys[:1]), self.live_until]
            return max(later - earlier for earlier, later in itertools.pairwise(marks))
        end = len(self.times) - 1
        if not self.keys:
            return self._span(0, end)
        return max(self._span(0, self.keys[0]), self._span(self.keys[0], end))

    def facts(self) -> StreamFacts:
        facts = StreamFacts(codec=CODEC_NAMES.get(self.codec, self.codec))
        facts.frames, facts.keyframes = len(self.times), len(self.keys)
        if self.sps is not None:
            facts.profile, facts.level = self.sps.profile, self.sps.level
            facts.width, facts.height = self.sps.width, self.sps.height
        stamps = sorted(t for t in self.times if t is not None)
        steps = [b - a for a, b in itertools.pairwise(stamps) if b > a]
        if steps:
            facts.fps = round(1 / statistics.median(steps), 2)
        if len(self.keys) >= 2:
            first, second = self.keys[0], self.keys[1]
            facts.gop_frames = second - first
            span = self._span(first, second)
            if (self.times[first] is None or self.times[second] is None) and facts.fps:
                span = facts.gop_frames / facts.fps  # the first packet often has no pts
            facts.gop_s = round(span, 2)
        elif self.times:
            facts.gop_over_s = round(self._gop_longer_than(), 2)
        if len(self.times) >= 4:
            facts.b_frames = self.b_slices or self.reordered
        if self.keys:
            facts.sps_pps_in_band = all(self.with_params)
            facts.sps_pps_seen = any(self.with_params)
        readable = not self.header or self.header[:1] != b"\x01" or self.codec == "h264"
        if self.codec in _PARAMS and self.header is not None and readable:  # not hvcC
            facts.sps_pps_in_sdp = _PARAMS[self.codec] <= self.header_params
        return facts


@dataclass(frozen=True)
class CheckSettings:
    budget_s: float = 8.0  # reading one stream, after it is open
    keyframes: int = 2  # stop at the second keyframe: one whole GOP seen
    connect_timeout_s: float = 5.0  # the RTSP probe, and opening the stream
    read_timeout_s: float = 2.0  # silence that ends the reading (as the relay's)
    concurrency: int = 8  # streams checked at once


def read_container(
    container: av.container.InputContainer, settings: CheckSettings, live: bool
) -> StreamFacts:
    """Read the first video stream of an open container until ``settings.keyframes``
    keyframes or for ``settings.budget_s``. MP4/MKV's length-prefixed NAL units are
    turned into Annex B with the relay's filter, so the facts are what the relay sees.
    ``live``: a camera, whose timing is the clock's (a file is read faster)."""
    started = time.monotonic()
    deadline = started + settings.budget_s
    if not container.streams.video:
        return StreamFacts(connection="no video")
    stream = container.streams.video[0]
    codec = stream.codec_context
    extradata = codec.extradata
    observer = Observer(codec.name, extradata or b"", live_since=started if live else None)
    bsf = None
    if extradata is not None and extradata[:1] == b"\x01" and codec.name in ("h264", "hevc"):
        # avcC / hvcC: the packets are length-prefixed, not Annex B
        bsf = av.bitstream.BitStreamFilterContext(f"{codec.name}_mp4toannexb", stream)
    time_base = stream.time_base or Fraction(1, CLOCK_RATE)
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            for out in bsf.filter(packet) if bsf is not None else [packet]:
                pts = None if out.pts is None else float(out.pts * time_base)
                observer.feed(bytes(out), pts, out.is_keyframe, time.monotonic())
            if observer.done(settings.keyframes) or time.monotonic() >= deadline:
                break
    except (av.ExitError, av.error.TimeoutError):
        pass  # silence: judge what came before it
    observer.live_until = time.monotonic() if live else None
    if not observer.times:
        return StreamFacts(connection="no video", codec=CODEC_NAMES.get(codec.name, codec.name))
    facts = observer.facts()
    if facts.width is None and codec.width > 0:
        facts.width, facts.height = codec.width, codec.height
    return facts


def read_rtsp(url: str, settings: CheckSettings) -> StreamFacts:
    """Blocking: open ``url`` as the relay does and read it. A 5xx answer (503: a camera
    at its session limit, or still tearing down the session the probe just closed, as
    gst-rtsp-server does) is asked again, twice, half a second apart."""
    for attempt in range(1, RTSP_ATTEMPTS + 1):
        try:
            container = open_rtsp(url, settings.read_timeout_s, settings.connect_timeout_s)
            break
        except av.error.HTTPServerError as exc:
            if attempt == RTSP_ATTEMPTS:
                return connection_failure(exc)
            time.sleep(RTSP_RETRY_S)  # a worker thread's pause, not the event loop's
        except (OSError, av.FFmpegError) as exc:
            return connection_failure(exc)
    try:
        return read_container(container, settings, live=True)
    except (OSError, av.FFmpegError) as exc:
        return connection_failure(exc)
    finally:
        container.close()


def read_file(url: str, settings: CheckSettings) -> StreamFacts:
    """Blocking: a recording, read as fast as it decodes (no pacing)."""
    try:
        path = parse_file_url(url)
    except SourceError as exc:
        return StreamFacts(connection="error", error=str(exc))
    if not path.is_file():
        return StreamFacts(connection="no file", error=str(path))
    try:
        container = av.open(str(path), "r")
    except (OSError, av.FFmpegError) as exc:
        return StreamFacts(connection="error", error=f"{path}: {reason(exc)}")
    try:
        return read_container(container, settings, live=False)
    except (OSError, av.FFmpegError) as exc:
        return StreamFacts(connection="error", error=f"{path}: {reason(exc)}")
    finally:
        container.close()


async def read_source(source: PacketSource, settings: CheckSettings) -> StreamFacts:
    """Any other source (sim://) through its packets: H.264 access units on 90 kHz."""
    observer = Observer("h264", live_since=time.monotonic())
    try:
        async with asyncio.timeout(settings.budget_s):
            async with contextlib.aclosing(source.packets()) as packets:  # type: ignore[type-var]
                async for packet in packets:
                    observer.feed(packet.data, packet.pts / CLOCK_RATE, packet.keyframe,
                                  time.monotonic())  # fmt: skip
                    if observer.done(settings.keyframes):
                        break
    except TimeoutError:
        pass
    except SourceError as exc:
        return StreamFacts(connection="error", error=str(exc))
    observer.live_until = time.monotonic()
    if not observer.times:
        return StreamFacts(connection="no video")
    return observer.facts()


def connection_failure(exc: BaseException) -> StreamFacts:
    """FFmpeg's error as the prober names it (the message itself may hold the password)."""
    named: list[tuple[type[BaseException], str]] = [
        (av.error.HTTPUnauthorizedError, "auth failed"),
        (ConnectionRefusedError, "refused"),
        (av.error.HTTPNotFoundError, "RTSP 404"),
        (av.error.HTTPForbiddenError, "RTSP 403"),
        (av.error.HTTPBadRequestError, "RTSP 400"),
        (av.error.HTTPServerError, "RTSP 5xx"),
        (av.ExitError, "timeout"),
        (TimeoutError, "timeout"),
    ]
    for kind, connection in named:
        if isinstance(exc, kind):
            return StreamFacts(connection=connection)
    return StreamFacts(connection="error", error=reason(exc))


def reason(exc: BaseException) -> str:
    """The error without the URL FFmpeg appends (it may hold a password)."""
    return f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}"


async def check_url(url: str, settings: CheckSettings, pool: ThreadPoolExecutor) -> StreamFacts:
    """One stream's facts, bounded in time: connect_timeout_s (twice for RTSP: probe and
    open) plus budget_s at most."""
    loop = asyncio.get_running_loop()
    scheme = urlsplit(url).scheme.lower()
    if scheme == "rtsp":
        finding = await probe_rtsp(url, settings.connect_timeout_s)
        if finding.status != "online":
            return StreamFacts(connection=finding.reason or "offline")
    if scheme in ("rtsp", "rtsps"):
        return await loop.run_in_executor(pool, read_rtsp, url, settings)
    if scheme == "file":
        return await loop.run_in_executor(pool, read_file, url, settings)
    try:
        source = open_source(url)
    except SourceError as exc:
        return StreamFacts(connection="error", error=str(exc))
    return await read_source(source, settings)


def check_urls(
    urls: Sequence[str],
    settings: CheckSettings = CheckSettings(),  # frozen: shared safely
    done: Callable[[int, StreamFacts], None] | None = None,
) -> list[StreamFacts]:
    """Every URL's facts, in order, at most ``settings.concurrency`` at once; ``done`` is
    called as each finishes (its index, its facts), e.g. for progress."""

    async def run() -> list[StreamFacts]:
        limit = asyncio.Semaphore(max(1, settings.concurrency))
        with ThreadPoolExecutor(max(1, settings.concurrency), "camera-check") as pool:

            async def one(index: int, url: str) -> StreamFacts:
                async with limit:
                    try:
                        facts = await check_url(url, settings, pool)
                    except Exception as exc:  # one odd camera must not stop the others
                        facts = StreamFacts(connection="error", error=reason(exc))
                if done is not None:
                    done(index, facts)
                return facts

            return list(await asyncio.gather(*(one(i, url) for i, url in enumerate(urls))))

    return asyncio.run(run())
