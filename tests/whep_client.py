"""A real WHEP viewer in-process: aiortc offers recvonly H.264, POSTs to the relay over
HTTP, decodes what comes back and counts the frames (with their size and timing)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from core.tokens import sign_viewer_token
from streams.relay.sdp import h264_preferences


@dataclass
class WhepViewer:
    base_url: str  # http://127.0.0.1:port
    token: str  # the relay's key: each request carries a viewer token signed with it
    started: float = field(default_factory=time.monotonic)
    frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)
    first_frame: float | None = None  # seconds from ``started`` to the first decoded frame
    status: int | None = None
    location: str | None = None
    answer: str = ""
    camera_id: str = ""
    pc: RTCPeerConnection = field(default_factory=lambda: RTCPeerConnection(
        RTCConfiguration(iceServers=[])))  # fmt: skip
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def connect(self, camera_id: str, stream: str = "sub") -> int:
        """POST the offer; on 201 apply the answer. Returns the HTTP status."""
        self.started = time.monotonic()
        transceiver = self.pc.addTransceiver("video", direction="recvonly")
        transceiver.setCodecPreferences(h264_preferences())

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.ensure_future(self._consume(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        self.camera_id = camera_id
        bearer = sign_viewer_token(self.token, "test-viewer", camera_id)
        headers = {"Content-Type": "application/sdp", "Authorization": f"Bearer {bearer}"}
        url = f"{self.base_url}/whep/{camera_id}?stream={stream}"
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, data=self.pc.localDescription.sdp, headers=headers) as response,
        ):
            self.status = response.status
            self.location = response.headers.get("Location")
            self.answer = await response.text()
            content_type = response.content_type
        if self.status == 201:
            assert content_type == "application/sdp"
            await self.pc.setRemoteDescription(RTCSessionDescription(self.answer, "answer"))
        return self.status

    async def _consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            size = (getattr(frame, "width", 0), getattr(frame, "height", 0))
            self.sizes.add(size)
            self.frames += 1
            if self.first_frame is None:
                self.first_frame = time.monotonic() - self.started

    async def wait_frames(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.frames < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.frames >= count

    async def delete(self, token: str | None = None) -> int:
        assert self.location is not None
        bearer = token or sign_viewer_token(self.token, "test-viewer", self.camera_id)
        headers = {"Authorization": f"Bearer {bearer}"}
        async with (
            aiohttp.ClientSession() as http,
            http.delete(self.base_url + self.location, headers=headers) as response,
        ):
            return response.status

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
