"""Switching a live WHEP session to another camera, end to end: a real relay on a free
port, sim:// cameras, a real aiortc viewer that decodes what it gets. The two cameras
are told apart by the decoded frame size: cam-a only has a 640x360 stream, cam-b a
1280x720 one."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from core.localhost import free_port
from core.tokens import sign_viewer_token
from streams.packets import StreamName
from streams.relay.hub import CameraHub
from streams.relay.server import HUB, RelaySettings, create_app
from streams.relay.whep import SESSIONS, Sessions
from streams.sources.sim import SimSource
from testkit.whep import WhepViewer

TOKEN = secrets.token_urlsafe(32)  # a fresh key per run: none is published
GRACE_S = 0.3
CAMERAS: dict[str, dict[StreamName, str]] = {
    "cam-a": {"sub": "sim://cam-a?stream=sub&fps=15&gop=2"},
    "cam-b": {"main": "sim://cam-b?stream=main&fps=15&gop=2"},
}
A_SIZE, B_SIZE = (640, 360), (1280, 720)


@dataclass
class Relay:
    url: str
    hub: CameraHub
    sessions: Sessions

    def viewers(self, camera: str) -> int:
        return sum(s.viewers for s in self.hub.stats() if s.camera_id == camera)

    def running(self, camera: str) -> bool:
        return any(s.running for s in self.hub.stats() if s.camera_id == camera)

    async def idle(self, camera: str, timeout: float = 3.0) -> bool:
        """Whether the camera's upstream stops (its last viewer gone, grace over)."""
        deadline = time.monotonic() + timeout
        while self.running(camera) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return not self.running(camera)

    async def call(self, method: str, path: str, camera: str | None) -> tuple[int, str | None]:
        """(status, Location) of a request with a fresh viewer token for ``camera``."""
        headers = {}
        if camera is not None:
            headers["Authorization"] = f"Bearer {sign_viewer_token(TOKEN, 'u', camera)}"
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.url + path, headers=headers) as response,
        ):
            await response.read()
            return response.status, response.headers.get("Location")

    async def switch(
        self, location: str, camera: str, token_for: str | None = None, stream: str = "main"
    ) -> tuple[int, str | None]:
        path = f"{location}/switch?camera={camera}&stream={stream}"
        return await self.call("POST", path, camera if token_for is None else token_for)

    async def metrics(self) -> str:
        async with aiohttp.ClientSession() as http, http.get(self.url + "/metrics") as response:
            return await response.text()


def metric(text: str, sample: str) -> float:
    """The value of one sample (its name and labels as written), parsed."""
    (line,) = [row for row in text.splitlines() if row.rsplit(" ", 1)[0] == sample]
    return float(line.rsplit(" ", 1)[1])


@asynccontextmanager
async def relay() -> AsyncIterator[Relay]:
    app = create_app(RelaySettings(token=TOKEN, grace_s=GRACE_S), CAMERAS, SimSource)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Relay(f"http://127.0.0.1:{port}", app[HUB], app[SESSIONS])
    finally:
        await runner.cleanup()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(90):
            await scenario()

    asyncio.run(bounded())


async def playing_a(r: Relay) -> WhepViewer:
    viewer = WhepViewer(r.url, TOKEN)
    assert await viewer.connect("cam-a", "sub") == 201
    assert await viewer.wait_frames(10, timeout=5.0), f"{viewer.frames} frames of cam-a"
    assert viewer.sizes == {A_SIZE}
    return viewer


async def shows_up(viewer: WhepViewer, size: tuple[int, int], timeout: float = 5.0) -> bool:
    """Whether a frame of this size is decoded within ``timeout`` (checked every 5 ms)."""
    deadline = time.monotonic() + timeout
    while size not in viewer.sizes and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    return size in viewer.sizes


async def shows_only(viewer: WhepViewer, size: tuple[int, int], frames: int = 15) -> bool:
    """Whether the next ``frames`` decoded frames all have this size."""
    viewer.sizes.clear()
    arrived = await viewer.wait_frames(viewer.frames + frames, timeout=5.0)
    return arrived and viewer.sizes == {size}


async def fresh_first_frames(r: Relay, camera: str, cold: bool, count: int = 3) -> list[float]:
    """Seconds from the offer to the first decoded frame of ``count`` new sessions, each
    started like the switch it is compared with (cold: the upstream idle before)."""
    times = []
    for _ in range(count):
        assert await r.idle(camera) if cold else r.running(camera)
        viewer = WhepViewer(r.url, TOKEN)
        assert await viewer.connect(camera, "main") == 201
        assert await viewer.wait_frames(1, timeout=5.0)
        assert viewer.first_frame is not None
        times.append(viewer.first_frame)
        assert await viewer.delete() == 200
        await viewer.close()
    return times


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_switch_shows_the_new_camera_on_the_same_connection_and_moves_the_viewer(
    warm: bool,
) -> None:
    """cold: nobody watches cam-b before; warm: another viewer does (GOP cache burst)."""

    async def scenario() -> None:
        async with relay() as r:
            keeper = WhepViewer(r.url, TOKEN)
            if warm:
                assert await keeper.connect("cam-b", "main") == 201
                assert await keeper.wait_frames(5, timeout=5.0)
            fresh_ms = [t * 1000 for t in await fresh_first_frames(r, "cam-b", not warm)]
            viewer = await playing_a(r)
            assert viewer.location is not None
            session_id = viewer.location.rsplit("/", 1)[1]
            relay_pc = r.sessions.open[session_id].pc
            assert await r.idle("cam-b") if not warm else r.running("cam-b")

            started = time.monotonic()
            status, location = await r.switch(viewer.location, "cam-b")
            answered = time.monotonic() - started
            assert status == 200
            assert location == f"/whep/cam-b/sessions/{session_id}"
            # The viewer moved from cam-a's upstream to cam-b's at once (cam-a in its grace).
            assert (r.viewers("cam-a"), r.viewers("cam-b")) == (0, 1 + warm)
            text = await r.metrics()
            assert metric(text, 'citywall_relay_viewers{camera="cam-b",stream="main"}') == 1 + warm
            assert metric(text, 'citywall_relay_viewers{camera="cam-a",stream="sub"}') == 0
            assert await shows_up(viewer, B_SIZE), f"no cam-b frame after 5 s: {viewer.sizes}"
            switch_ms = (time.monotonic() - started) * 1000
            assert await shows_only(viewer, B_SIZE), f"after the switch: {viewer.sizes}"
            mode = "warm" if warm else "cold"
            print(
                f"\nswitch A->B ({mode}): 200 after {answered * 1000:.0f} ms, first cam-b frame "
                f"after {switch_ms:.0f} ms; fresh cam-b session: first frame after "
                f"{' / '.join(f'{t:.0f}' for t in fresh_ms)} ms, "
                f"median {statistics.median(fresh_ms):.0f} ms"
            )
            # The same peer connection on both sides: no new offer/answer, ICE or DTLS.
            assert session_id in r.sessions.open and len(r.sessions.open) == 1 + warm
            assert r.sessions.open[session_id].pc is relay_pc
            assert relay_pc.connectionState == viewer.pc.connectionState == "connected"
            assert viewer.pc.signalingState == "stable"
            assert viewer.pc.remoteDescription.sdp == viewer.answer

            # cam-a's upstream is released after its grace; cam-b's keeps the viewer.
            assert await r.idle("cam-a"), "cam-a still pulled after the grace period"
            assert (r.viewers("cam-a"), r.viewers("cam-b")) == (0, 1 + warm)
            text = await r.metrics()
            assert 'citywall_relay_viewers{camera="cam-a"' not in text
            assert metric(text, "citywall_relay_upstreams") == 1
            assert metric(text, "citywall_relay_sessions") == 1 + warm
            await viewer.close()
            await keeper.close()

    run(scenario)


def test_refused_switches_leave_the_session_alone() -> None:
    async def scenario() -> None:
        async with relay() as r:
            viewer = await playing_a(r)
            location = viewer.location
            assert location is not None
            # A token for cam-a (not cam-b), or none: 401, and cam-a plays on.
            assert await r.switch(location, "cam-b", token_for="cam-a") == (401, None)
            status, _ = await r.call("POST", f"{location}/switch?camera=cam-b&stream=main", None)
            assert status == 401
            # Unknown camera, a stream cam-a has not, an unknown session: 404; no such
            # stream name at all: 400, as for a new session.
            assert (await r.switch(location, "nope"))[0] == 404
            assert (await r.switch(location, "cam-a", stream="main"))[0] == 404
            assert (await r.switch(location, "cam-b", stream="hd"))[0] == 400
            assert (await r.switch("/whep/cam-a/sessions/unknown", "cam-b"))[0] == 404
            assert (r.viewers("cam-a"), r.running("cam-b")) == (1, False)
            assert await shows_only(viewer, A_SIZE), f"after refusals: {viewer.sizes}"

            status, new_location = await r.switch(location, "cam-b")
            assert status == 200 and new_location is not None
            assert await shows_up(viewer, B_SIZE)
            # The old path names a camera the session no longer plays: 404, nothing moves.
            assert (await r.switch(location, "cam-a", stream="sub"))[0] == 404
            assert (await r.switch(location, "cam-b"))[0] == 404
            assert await r.call("DELETE", location, "cam-a") == (404, None)
            assert (r.viewers("cam-a"), r.viewers("cam-b")) == (0, 1)
            assert await shows_only(viewer, B_SIZE), f"after the switch: {viewer.sizes}"
            await viewer.close()

    run(scenario)


def test_delete_on_the_new_location_ends_the_session_and_releases_the_new_camera() -> None:
    async def scenario() -> None:
        async with relay() as r:
            viewer = await playing_a(r)
            assert viewer.location is not None
            status, location = await r.switch(viewer.location, "cam-b")
            assert status == 200 and location is not None
            assert re.fullmatch(r"/whep/cam-b/sessions/[\w-]+", location)
            assert await shows_up(viewer, B_SIZE)
            assert await shows_only(viewer, B_SIZE, frames=5)
            assert await r.call("DELETE", location, "cam-a") == (401, None)  # B's session now
            assert await r.call("DELETE", location, "cam-b") == (200, None)
            assert (r.viewers("cam-a"), r.viewers("cam-b"), len(r.sessions.open)) == (0, 0, 0)
            assert await r.call("DELETE", location, "cam-b") == (404, None)
            assert await r.idle("cam-b") and await r.idle("cam-a")
            async with aiohttp.ClientSession() as http, http.get(r.url + "/healthz") as response:
                health = json.loads(await response.text())
            assert (health["viewers"], health["upstreams"]) == (0, 0)
            await viewer.close()

    run(scenario)


def test_a_warmed_camera_is_pulled_before_anyone_watches_and_released_after_grace() -> None:
    """What a tour asks before its next step: the camera starts at the relay, so the
    switch finds a keyframe waiting; nobody coming, it stops after the grace."""

    async def scenario() -> None:
        async with relay() as r:
            assert (await r.call("POST", "/whep/cam-b/warm?stream=main", None))[0] == 401
            assert (await r.call("POST", "/whep/cam-b/warm?stream=main", "cam-a"))[0] == 401
            assert (await r.call("POST", "/whep/nope/warm?stream=main", "nope"))[0] == 404
            assert (await r.call("POST", "/whep/cam-b/warm?stream=sub", "cam-b"))[0] == 404
            assert not r.running("cam-b")
            assert (await r.call("POST", "/whep/cam-b/warm?stream=main", "cam-b"))[0] == 202
            assert r.running("cam-b") and r.viewers("cam-b") == 0
            assert await r.idle("cam-b"), "a warm-up nobody used must end with the grace"

    run(scenario)
