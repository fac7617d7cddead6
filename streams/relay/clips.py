"""Evidence clips (执法取证): what the hub kept of a camera plus what follows, as an MP4.

Only the relay holds a camera's last seconds (``CameraHub.history``), already encoded: a
clip costs no decoding or encoding, the camera's own H.264 is remuxed as it came (PyAV,
in memory, ``+faststart`` so a browser plays it before it has all of it).

Each request needs ``Authorization: Bearer <clip token for that camera>`` else 401; an
unknown camera is 404, one relayed by another node 421 ``{"error", "owner"}``.
``POST /clips/{camera}`` ``{"before_s": 0..60 = 10, "max_s": 1..300 = 300}`` → 201
``{"id", "camera_id", "stream", "before_s", "started_ms"}`` (400 bad body, 429 when
``MAX_RECORDINGS`` are held); ``GET /clips/{camera}/{id}`` → ``{"id", "camera_id",
"stream", "recording", "seconds", "packets", "ended"}``; ``POST .../{id}/stop`` → the
``video/mp4`` (``X-Clip-Seconds``, ``X-Clip-Started-Ms``, ``X-Clip-Stream``), then the
recording is forgotten (503 if it holds no picture). ``max_s`` bounds the whole clip,
pre-roll included; a recording that ended by itself waits ``KEEP_ENDED_S`` for its stop,
then is dropped: nobody may hold the relay's memory for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import io
import json
import logging
import math
import secrets
import time
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import av
from aiohttp import web

from streams.packets import CLOCK_RATE, EncodedPacket, StreamName
from streams.relay.guard import json_error, token_refusal
from streams.relay.hub import CameraHub
from streams.relay.snapshot import snapshot_stream as clip_stream
from streams.sources.annexb import NAL_PPS, NAL_SPS, join_nals, nal_type, split_nals

log = logging.getLogger(__name__)

ClipCheck = Callable[[str, str], bool]  # (token, camera id): a fresh clip token
MAX_BEFORE_S, MAX_CLIP_S = 60.0, 300.0
MAX_RECORDINGS = 16  # held at once on a relay, ended ones waiting for their stop included
MAX_CLIP_BYTES = 512 * 1024 * 1024  # 300 s of a 12 Mbit/s stream is 450 MB
KEEP_ENDED_S = 15 * 60.0
FIRST_PACKET_WAIT_S = 5.0  # for the started_ms of a cold camera (no pre-roll)
FALLBACK_INTERVAL = CLOCK_RATE // 25  # the duration of a clip's only packet
STOPPED, MAX_S, MAX_BYTES, RESTARTED, SHUTDOWN = (
    "stopped", "max_s", "max_bytes", "source_restarted", "shutdown",
)  # fmt: skip


class ClipRecorder:
    """A hub viewer keeping every packet from a keyframe on: the history first, then the
    live packets (those the subscription's GOP burst repeats are skipped by their pts)."""

    def __init__(
        self,
        camera_id: str,
        stream: StreamName,
        history: Sequence[EncodedPacket],
        max_s: float = MAX_CLIP_S,
        on_end: Callable[[ClipRecorder], None] | None = None,
    ) -> None:
        self.id = secrets.token_urlsafe(12)
        self.camera_id, self.stream = camera_id, stream
        self.packets: list[EncodedPacket] = []
        self.bytes = 0
        self.ended: str | None = None  # why it stopped recording
        self.before_s = 0.0  # the pre-roll it had when it joined the live stream
        self.first_packet = asyncio.Event()
        self.expiry: asyncio.TimerHandle | None = None  # set by ClipStore once it ended
        self._max_ticks = round(max_s * CLOCK_RATE)
        self._on_end = on_end
        self._hub: CameraHub | None = None
        for packet in history:
            self.deliver(packet, burst=True)

    @property
    def seconds(self) -> float:
        return (self.packets[-1].pts - self.packets[0].pts) / CLOCK_RATE if self.packets else 0.0

    def attach(self, hub: CameraHub) -> None:
        """Join the live stream (starting the upstream if it is not pulled);
        RuntimeError if the hub is closed."""
        self.before_s = self.seconds
        if self.ended is not None:
            return
        hub.subscribe(self.camera_id, self.stream, self)
        self._hub = hub
        if self.ended is not None:  # during the burst: it could not unsubscribe yet
            self._leave()

    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        if self.ended is not None:
            return
        if self.packets:
            last = self.packets[-1].pts
            if packet.pts <= last:  # a repeat from the burst, or the camera's clock restarted
                if packet.keyframe and not burst and packet.pts < last:
                    self.stop(RESTARTED)
                return
            if packet.pts - self.packets[0].pts > self._max_ticks:
                self.stop(MAX_S)
                return
            if self.bytes + len(packet.data) > MAX_CLIP_BYTES:
                self.stop(MAX_BYTES)
                return
        elif not packet.keyframe:
            return  # a clip starts at a keyframe
        self.packets.append(packet)
        self.bytes += len(packet.data)
        self.first_packet.set()
        if packet.pts - self.packets[0].pts >= self._max_ticks:
            self.stop(MAX_S)

    def stop(self, reason: str = STOPPED) -> None:
        if self.ended is not None:
            return
        self.ended = reason
        self._leave()
        if self._on_end is not None:
            self._on_end(self)

    def _leave(self) -> None:
        hub, self._hub = self._hub, None
        if hub is not None:
            hub.unsubscribe(self.camera_id, self.stream, self)


class ClipStore:
    """The relay's recordings by id, from their start to their stop (or expiry)."""

    def __init__(self, hub: CameraHub, keep_ended_s: float = KEEP_ENDED_S) -> None:
        self._hub, self._keep_ended_s = hub, keep_ended_s
        self._clips: dict[str, ClipRecorder] = {}

    def __len__(self) -> int:
        return len(self._clips)

    def get(self, clip_id: str) -> ClipRecorder | None:
        return self._clips.get(clip_id)

    def start(
        self, camera_id: str, stream: StreamName, before_s: float, max_s: float
    ) -> ClipRecorder:
        """RuntimeError if the hub is closed."""
        history = self._hub.history(camera_id, stream, before_s)
        recorder = ClipRecorder(camera_id, stream, history, max_s, on_end=self._ended)
        self._clips[recorder.id] = recorder
        try:
            recorder.attach(self._hub)
        except RuntimeError:
            self.take(recorder.id)
            raise
        return recorder

    def take(self, clip_id: str, reason: str = STOPPED) -> ClipRecorder | None:
        """Stop the recording (if it still records) and forget it."""
        recorder = self._clips.pop(clip_id, None)
        if recorder is not None:
            recorder.stop(reason)
            if recorder.expiry is not None:
                recorder.expiry.cancel()
        return recorder

    def _ended(self, recorder: ClipRecorder) -> None:
        if recorder.ended != STOPPED:  # else its stop is answering right now
            loop = asyncio.get_running_loop()
            recorder.expiry = loop.call_later(self._keep_ended_s, self._expire, recorder)

    def _expire(self, recorder: ClipRecorder) -> None:
        if self._clips.pop(recorder.id, None) is not None:
            log.warning("clip %s of %s/%s (%s, %.1f s) was not stopped within %.0f s of its end:"
                        " dropped", recorder.id, recorder.camera_id, recorder.stream,
                        recorder.ended, recorder.seconds, self._keep_ended_s)  # fmt: skip

    def close(self) -> None:
        """Stop every recording (unsubscribed from the hub) and forget them."""
        for clip_id in list(self._clips):
            self.take(clip_id, SHUTDOWN)


# ---------------------------------------------------------------------------- remux
def _durations(packets: Sequence[EncodedPacket]) -> list[int]:
    """Each packet lasts until the next; the last as long as the one before it."""
    gaps = [b.pts - a.pts for a, b in pairwise(packets)]
    return [*gaps, gaps[-1] if gaps else FALLBACK_INTERVAL]


def clip_seconds(packets: Sequence[EncodedPacket]) -> float:
    """The MP4's duration: the span plus the last packet's duration."""
    return sum(_durations(packets)) / CLOCK_RATE if packets else 0.0


def remux_mp4(packets: Sequence[EncodedPacket]) -> bytes:
    """The packets, bit for bit, in an MP4 (blocking: call it in a thread). The first must
    be a keyframe with its SPS and PPS: they become the MP4's avcC; movenc turns the
    Annex B access units into length-prefixed samples. Nothing is decoded."""
    if not packets or not packets[0].keyframe:
        raise ValueError("a clip starts at a keyframe")
    first = packets[0]
    parameter_sets = [n for n in split_nals(first.data) if nal_type(n) in (NAL_SPS, NAL_PPS)]
    if {nal_type(n) for n in parameter_sets} != {NAL_SPS, NAL_PPS}:
        raise ValueError("the first keyframe carries no SPS and PPS")
    extradata = join_nals(parameter_sets)
    parser = av.CodecContext.create("h264", "r")  # its bitstream parser reads the size
    parser.parse(first.data)
    parser.parse(None)
    if not parser.width:
        raise ValueError("the SPS gives no picture size")
    time_base = fractions.Fraction(1, CLOCK_RATE)
    buffer = io.BytesIO()

    def reopen(url: str, flags: int, options: dict[str, Any]) -> io.BytesIO:
        # +faststart moves the index to the front by reading the written file again, which
        # FFmpeg cannot do by itself on a Python file object: it reads a copy instead.
        return io.BytesIO(buffer.getvalue())

    # The stream is described by probing the parameter sets alone: no picture to decode.
    with av.open(io.BytesIO(extradata), format="h264") as described:
        output = av.open(buffer, "w", format="mp4", options={"movflags": "+faststart"},
                         io_open=reopen)  # fmt: skip
        stream = output.add_stream_from_template(described.streams.video[0], opaque=True)
    with output:
        stream.time_base = time_base
        stream.codec_context.width = parser.width
        stream.codec_context.height = parser.height
        stream.codec_context.extradata = extradata  # the camera's own bytes
        for packet, duration in zip(packets, _durations(packets), strict=True):
            out = av.Packet(packet.data)
            out.stream = stream
            out.time_base = time_base
            out.pts = out.dts = packet.pts - first.pts  # no B-frames: decode order is display
            out.duration = duration
            out.is_keyframe = packet.keyframe
            output.mux(out)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- HTTP
CLIPS = web.AppKey("clips", ClipStore)


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}")
    return float(value)


async def _read_body(request: web.Request) -> tuple[float, float]:
    raw = await request.read()
    body = json.loads(raw) if raw.strip() else {}  # ValueError: not JSON
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    before_s = _number(body, "before_s", 10.0, 0.0, MAX_BEFORE_S)
    return before_s, _number(body, "max_s", MAX_CLIP_S, 1.0, MAX_CLIP_S)


def add_clip_routes(
    app: web.Application,
    hub: CameraHub,
    check: ClipCheck,
    owner_elsewhere: Callable[[str], str | None] = lambda _camera_id: None,
    first_packet_wait_s: float = FIRST_PACKET_WAIT_S,
) -> ClipStore:
    """The three routes; ``app[CLIPS]`` is the store, closed at the app's cleanup."""
    clips = app[CLIPS] = ClipStore(hub)

    def refuse(request: web.Request, clip_id: str | None) -> web.Response | None:
        camera_id = request.match_info["camera_id"]
        refused = token_refusal(request, check, "clip")
        if refused is not None:
            return refused
        if clip_stream(hub, camera_id) is None:
            return json_error(404, f"no camera {camera_id!r}")
        recorder = clips.get(clip_id) if clip_id is not None else None
        if recorder is not None and recorder.camera_id == camera_id:
            return None  # a recording held here is answered here, whoever owns it now
        if (owner := owner_elsewhere(camera_id)) is not None:
            return json_error(421, f"camera {camera_id!r} is relayed by {owner}", owner=owner)
        return None if clip_id is None else json_error(404, f"no recording {clip_id!r}")

    async def start(request: web.Request) -> web.Response:
        camera_id = request.match_info["camera_id"]
        refused = refuse(request, None)
        if refused is not None:
            return refused
        try:
            before_s, max_s = await _read_body(request)
        except (ValueError, RecursionError) as exc:  # RecursionError: [[[[...]]]]
            return json_error(400, str(exc))
        stream = clip_stream(hub, camera_id)
        assert stream is not None  # refuse() answered 404 otherwise
        if len(clips) >= MAX_RECORDINGS:
            return json_error(429, f"{MAX_RECORDINGS} recordings are held on this relay already")
        try:
            recorder = clips.start(camera_id, stream, min(before_s, max_s), max_s)
        except RuntimeError as exc:  # the hub is closing
            return json_error(503, f"camera {camera_id}: {exc}")
        if not recorder.packets:  # a cold camera: its first keyframe dates the clip
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(first_packet_wait_s):
                    await recorder.first_packet.wait()
        first = recorder.packets[0].captured if recorder.packets else time.time()
        log.info("clip %s of %s/%s: %.1f s of pre-roll", recorder.id, camera_id, stream,
                 recorder.before_s)  # fmt: skip
        before_s, started_ms = round(recorder.before_s, 3), round(first * 1000)
        answer = {"id": recorder.id, "camera_id": camera_id, "stream": stream,
                  "before_s": before_s, "started_ms": started_ms}  # fmt: skip
        return web.json_response(answer, status=201)

    async def status(request: web.Request) -> web.Response:
        clip_id = request.match_info["clip_id"]
        refused = refuse(request, clip_id)
        recorder = clips.get(clip_id)
        if refused is not None or recorder is None:
            return refused or json_error(404, f"no recording {clip_id!r}")
        return web.json_response({
            "id": recorder.id, "camera_id": recorder.camera_id, "stream": recorder.stream,
            "recording": recorder.ended is None, "seconds": round(recorder.seconds, 3),
            "packets": len(recorder.packets), "ended": recorder.ended,
        })  # fmt: skip

    async def stop(request: web.Request) -> web.Response:
        clip_id = request.match_info["clip_id"]
        refused = refuse(request, clip_id)
        recorder = clips.take(clip_id) if refused is None else None
        if refused is not None or recorder is None:
            return refused or json_error(404, f"no recording {clip_id!r}")
        if not recorder.packets:
            return json_error(503, f"camera {recorder.camera_id} sent no picture for this clip")
        try:
            mp4 = await asyncio.to_thread(remux_mp4, recorder.packets)
        except (ValueError, av.FFmpegError) as exc:  # the same packets would fail again
            log.exception("clip %s of %s: remux failed", recorder.id, recorder.camera_id)
            return json_error(503, f"camera {recorder.camera_id}: cannot write the clip: {exc}")
        seconds = clip_seconds(recorder.packets)
        log.info("clip %s of %s/%s: %.1f s, %d bytes (%s)", recorder.id, recorder.camera_id,
                 recorder.stream, seconds, len(mp4), recorder.ended)  # fmt: skip
        started_ms = str(round(recorder.packets[0].captured * 1000))
        headers = {"X-Clip-Seconds": f"{seconds:.3f}", "X-Clip-Started-Ms": started_ms,
                   "X-Clip-Stream": recorder.stream, "Cache-Control": "no-store"}  # fmt: skip
        return web.Response(body=mp4, content_type="video/mp4", headers=headers)

    async def close(_: web.Application) -> None:
        clips.close()

    app.router.add_post("/clips/{camera_id}", start)
    app.router.add_get("/clips/{camera_id}/{clip_id}", status)
    app.router.add_post("/clips/{camera_id}/{clip_id}/stop", stop)
    app.on_cleanup.append(close)
    return clips
