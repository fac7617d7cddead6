"""A real WHEP viewer in-process: aiortc offers recvonly H.264, POSTs the offer to the
relay with a viewer token, and counts what its receiver gives back (frames, their
sizes, the time to the first one). Tests and the relay benchmark both watch with it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from core.tokens import sign_viewer_token
from streams.relay.sdp import h264_preferences


def _peer_connection() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))  # loopback: no STUN


@dataclass
class WhepViewer:
    base_url: str  # the relay, http://127.0.0.1:port
    key: str  # the relay's key: each request carries a viewer token signed with it
    # One session for many viewers (the benchmark's hundreds); None: one per request.
    http: aiohttp.ClientSession | None = None
    on_frame: Callable[[object], None] | None = None  # sees every frame out of the receiver
    # Entered while aiortc builds the receiver: a benchmark swaps its jitter buffer there.
    receiver_context: Callable[[], AbstractContextManager[object]] = nullcontext
    who: str = "testkit"  # the viewer token's subject
    frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)
    posted: float | None = None  # time.monotonic() right before the offer's POST
    first_frame_at: float | None = None  # time.monotonic() of the first frame out
    status: int | None = None
    location: str | None = None  # the session's URL path (for DELETE)
    answer: str = ""
    camera_id: str = ""
    pc: RTCPeerConnection = field(default_factory=_peer_connection)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def first_frame(self) -> float | None:
        """Seconds from the POST of the offer to the first frame out of the receiver."""
        if self.first_frame_at is None or self.posted is None:
            return None
        return self.first_frame_at - self.posted

    async def connect(self, camera_id: str, stream: str = "sub") -> int:
        """POST the offer; on 201 apply the answer. Returns the HTTP status."""
        with self.receiver_context():
            transceiver = self.pc.addTransceiver("video", direction="recvonly")
        transceiver.setCodecPreferences(h264_preferences())
        self.pc.on("track", self._on_track)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self.camera_id = camera_id
        url = f"{self.base_url}/whep/{camera_id}?stream={stream}"
        headers = {"Content-Type": "application/sdp", **self._bearer()}
        self.posted = time.monotonic()
        async with (
            self._session() as http,
            http.post(url, data=self.pc.localDescription.sdp, headers=headers) as response,
        ):
            self.status = response.status
            self.location = response.headers.get("Location")
            self.answer = await response.text()
            content_type = response.content_type
        if self.status == 201:
            if content_type != "application/sdp":
                raise RuntimeError(f"POST {url}: 201 with {content_type}, not SDP")
            await self.pc.setRemoteDescription(RTCSessionDescription(self.answer, "answer"))
        return self.status

    async def play(self, camera_id: str, stream: str = "sub") -> None:
        """``connect``, raising with the relay's answer unless it is 201."""
        if await self.connect(camera_id, stream) != 201:
            raise RuntimeError(f"WHEP {camera_id}/{stream}: {self.status} {self.answer}")

    async def wait_frames(self, count: int, timeout: float) -> bool:
        """Whether ``count`` frames in all have come out within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.frames < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.frames >= count

    async def packets(self) -> tuple[int, int]:
        """(packets received, packets lost) from the inbound-rtp stats."""
        report = await self.pc.getStats()
        for stats in report.values():
            if getattr(stats, "type", "") == "inbound-rtp":
                return int(stats.packetsReceived), int(stats.packetsLost)
        return 0, 0

    async def delete(self, token: str | None = None) -> int:
        """DELETE the session (with ``token`` instead of a fresh one, to test refusals)."""
        if self.location is None:
            raise RuntimeError("no session to delete: the offer was not accepted")
        headers = {"Authorization": f"Bearer {token}"} if token else self._bearer()
        async with (
            self._session() as http,
            http.delete(self.base_url + self.location, headers=headers) as response,
        ):
            return response.status

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _bearer(self) -> dict[str, str]:
        token = sign_viewer_token(self.key, self.who, self.camera_id)
        return {"Authorization": f"Bearer {token}"}

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[aiohttp.ClientSession]:
        if self.http is not None:
            yield self.http
            return
        async with aiohttp.ClientSession() as http:
            yield http

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if self.first_frame_at is None:
                self.first_frame_at = time.monotonic()
            # A benchmark's counting receiver gives placeholders: no size, (0, 0).
            self.sizes.add((getattr(frame, "width", 0), getattr(frame, "height", 0)))
            self.frames += 1
            if self.on_frame is not None:
                self.on_frame(frame)
