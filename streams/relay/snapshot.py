"""``GET /snapshot/{camera_id}``: a camera's current picture as a JPEG (evidence, 取证).

``Authorization: Bearer <snapshot token>`` (``core.tokens``, signed for that
camera; a WHEP viewer token is refused). The picture comes from the camera's main
stream (its sub stream if it has no main): while the upstream runs, the hub's GOP cache
(the last keyframe and every packet since) is decoded to its latest frame; otherwise the
snapshot joins as a viewer for a moment, opening the upstream, takes the first keyframe
and leaves (the grace period then applies as for any viewer). Decoding and JPEG
encoding run in a thread, never on the event loop.

200 ``image/jpeg`` at the source's resolution, ``X-Captured-At`` (ms since the epoch,
when the picture reached the relay); 401 bad token; 404 unknown camera; 503
``{"error": ...}`` when the camera gives no picture in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

import av
from aiohttp import web
from PIL import Image

from streams.packets import EncodedPacket, StreamName
from streams.relay.guard import json_error, token_refusal
from streams.relay.hub import CameraHub

log = logging.getLogger(__name__)

SnapshotCheck = Callable[[str, str], bool]  # (token, camera id): a fresh snapshot token
WAIT_S = 5.0  # for a keyframe when the upstream was not running (or had none yet)
POLL_S = 0.05  # how often the upstream's state is looked at while waiting
JPEG_QUALITY = 90


class NoPictureError(Exception):
    """The camera gave no picture; ``str()`` says why, naming the camera."""


class _Grab:
    """A one-off viewer: keeps the packets from the latest keyframe on."""

    def __init__(self) -> None:
        self.packets: list[EncodedPacket] = []
        self.live = asyncio.Event()  # a keyframe came after subscribing (not the cache)

    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        if packet.keyframe:
            self.packets = [packet]
        elif self.packets:
            self.packets.append(packet)
        else:
            return
        if not burst:
            self.live.set()


def snapshot_stream(hub: CameraHub, camera_id: str) -> StreamName | None:
    streams = hub.streams_of(camera_id)
    if "main" in streams:
        return "main"
    return streams[0] if streams else None


async def grab_packets(
    hub: CameraHub, camera_id: str, stream: StreamName, wait_s: float = WAIT_S
) -> list[EncodedPacket]:
    """The keyframe and packets after it that make up the current picture;
    ``NoPictureError`` if the upstream fails or sends no keyframe within ``wait_s``."""
    grab = _Grab()
    try:
        hub.subscribe(camera_id, stream, grab)  # the GOP cache is delivered right here
    except RuntimeError as exc:  # the hub is closing
        raise NoPictureError(f"camera {camera_id}: {exc}") from None
    try:
        if grab.packets:
            return grab.packets
        deadline = time.monotonic() + wait_s
        while not grab.packets:
            if _state(hub, camera_id, stream) == "offline":
                status = hub.camera_status(camera_id)
                why = status.reason if status is not None and status.reason else "offline"
                raise NoPictureError(f"camera {camera_id} is offline: {why}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoPictureError(f"camera {camera_id} sent no picture within {wait_s:g} s")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(POLL_S, left)):
                    await grab.live.wait()
        return grab.packets
    finally:
        hub.unsubscribe(camera_id, stream, grab)


def _state(hub: CameraHub, camera_id: str, stream: StreamName) -> str | None:
    for stats in hub.stats():
        if stats.camera_id == camera_id and stats.stream == stream:
            return stats.state
    return None


def decode_latest(packets: Sequence[EncodedPacket], quality: int = JPEG_QUALITY) -> bytes:
    """Decode H.264 from a keyframe on and encode the last frame as a JPEG (blocking)."""
    codec = av.CodecContext.create("h264", "r")
    codec.thread_count = 1  # a handful of frames: threads would only add start-up time
    last: av.VideoFrame | None = None
    try:
        for packet in packets:
            for frame in codec.decode(av.Packet(packet.data)):
                last = frame
        for frame in codec.decode(None):  # flush
            last = frame
    except av.FFmpegError as exc:
        if last is None:
            raise NoPictureError(f"cannot decode the picture: {exc}") from None
        log.warning("snapshot: decoding stopped early: %s", exc)
    if last is None:
        raise NoPictureError("the stream held no decodable picture")
    out = io.BytesIO()
    picture = Image.fromarray(last.to_ndarray(format="rgb24"))
    picture.save(out, format="JPEG", quality=quality)
    return out.getvalue()


async def take_snapshot(
    hub: CameraHub, camera_id: str, wait_s: float = WAIT_S
) -> tuple[bytes, int]:
    """(JPEG, when the picture reached the relay in ms) for a configured camera."""
    stream = snapshot_stream(hub, camera_id)
    if stream is None:
        raise KeyError(camera_id)
    packets = await grab_packets(hub, camera_id, stream, wait_s)
    captured_ms = round(packets[-1].captured * 1000)
    try:
        jpeg = await asyncio.to_thread(decode_latest, packets)
    except NoPictureError as exc:
        raise NoPictureError(f"camera {camera_id}: {exc}") from None
    return jpeg, captured_ms


def snapshot_handler(
    hub: CameraHub,
    check: SnapshotCheck,
    wait_s: float = WAIT_S,
    owner_elsewhere: Callable[[str], str | None] = lambda _camera_id: None,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def get_snapshot(request: web.Request) -> web.Response:
        camera_id = request.match_info["camera_id"]
        refused = token_refusal(request, check, "snapshot")
        if refused is not None:
            return refused
        if snapshot_stream(hub, camera_id) is None:
            return json_error(404, f"no camera {camera_id!r}")
        owner = owner_elsewhere(camera_id)
        if owner is not None:  # its upstream is on that node, not here
            return web.json_response(
                {"error": f"camera {camera_id!r} is relayed by {owner}", "owner": owner}, status=421
            )
        started = time.monotonic()
        try:
            jpeg, captured_ms = await take_snapshot(hub, camera_id, wait_s)
        except NoPictureError as exc:
            log.warning("snapshot refused: %s", exc)
            return json_error(503, str(exc))
        took_ms = round((time.monotonic() - started) * 1000)
        log.info("snapshot of %s: %d bytes in %d ms", camera_id, len(jpeg), took_ms)
        headers = {
            "X-Captured-At": str(captured_ms),
            "X-Snapshot-Ms": str(took_ms),
            "Cache-Control": "no-store",
        }
        return web.Response(body=jpeg, content_type="image/jpeg", headers=headers)

    return get_snapshot


def add_snapshot_route(
    app: web.Application,
    hub: CameraHub,
    check: SnapshotCheck,
    wait_s: float = WAIT_S,
    owner_elsewhere: Callable[[str], str | None] = lambda _camera_id: None,
) -> None:
    handler = snapshot_handler(hub, check, wait_s, owner_elsewhere)
    app.router.add_get("/snapshot/{camera_id}", handler)
