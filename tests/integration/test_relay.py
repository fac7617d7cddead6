"""The relay end to end, in-process: sim:// cameras, the real aiohttp WHEP server on a
free port, real aiortc viewers that POST offers over HTTP and decode what they get."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import redis.asyncio

from core.camera_status import CameraStatus
from core.keys import Keys
from core.localhost import free_port
from core.tokens import sign_viewer_token
from data_feeds.redis_server import EmbeddedRedis
from streams.packets import EncodedPacket, PacketSource, SourceError, StreamName
from streams.relay.hub import CameraHub
from streams.relay.server import HUB, RelaySettings, create_app
from streams.relay.status import StatusSink, redis_status_sink
from streams.sources.sim import SimSource
from testkit.whep import WhepViewer

TOKEN = secrets.token_urlsafe(32)  # a fresh key per run: none is published
CAMERAS: dict[str, dict[StreamName, str]] = {
    "cam-1": {"main": "sim://cam-1?stream=main", "sub": "sim://cam-1?stream=sub&fps=15&gop=2"},
    "cam-2": {"sub": "sim://cam-2?stream=sub&fps=15&gop=2"},
}


@dataclass
class Relay:
    url: str
    hub: CameraHub
    opens: list[str]

    def running(self) -> int:
        return sum(s.running for s in self.hub.stats())

    async def get(self, path: str, **kwargs: object) -> tuple[int, dict[str, str], str]:
        async with aiohttp.ClientSession() as http, http.get(self.url + path, **kwargs) as r:  # type: ignore[arg-type]
            return r.status, dict(r.headers), await r.text()

    async def request(self, method: str, path: str, **kwargs: object) -> aiohttp.ClientResponse:
        async with aiohttp.ClientSession() as http:
            response = await http.request(method, self.url + path, **kwargs)  # type: ignore[arg-type]
            await response.read()
            response.release()
            return response


@asynccontextmanager
async def relay(
    factory: Callable[[str], PacketSource] = SimSource,
    sink: StatusSink | None = None,
    grace_s: float = 10.0,
    schedule: Callable[[int], float] | None = None,
) -> AsyncIterator[Relay]:
    from aiohttp import web

    opens: list[str] = []

    def counting(url: str) -> PacketSource:
        opens.append(url)
        return factory(url)

    settings = RelaySettings(token=TOKEN, grace_s=grace_s, cors_origins=("http://wall.test",))
    extra = {} if schedule is None else {"schedule": schedule}
    app = create_app(settings, CAMERAS, counting, sink, **extra)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Relay(f"http://127.0.0.1:{port}", app[HUB], opens)
    finally:
        await runner.cleanup()


def metric(text: str, name: str) -> float:
    """The sum of every sample of ``name`` (all label sets)."""
    pattern = re.compile(rf"^{name}(\{{[^}}]*\}})? (\S+)$", re.M)
    return sum(float(m.group(2)) for m in pattern.finditer(text))


def sim_threads() -> int:
    return sum(t.name.startswith("sim://") for t in threading.enumerate())


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(60):
            await scenario()

    asyncio.run(bounded())


def test_viewer_gets_decoded_frames_fast_and_delete_releases_it() -> None:
    async def scenario() -> None:
        async with relay() as r:
            viewer = WhepViewer(r.url, TOKEN)
            assert await viewer.connect("cam-1", "sub") == 201
            assert viewer.location is not None
            assert re.fullmatch(r"/whep/cam-1/sessions/[\w-]+", viewer.location)
            assert "H264/90000" in viewer.answer and "VP8" not in viewer.answer
            assert await viewer.wait_frames(10, timeout=3.0), f"{viewer.frames} frames in 3 s"
            assert viewer.sizes == {(640, 360)}
            assert viewer.first_frame is not None and viewer.first_frame < 1.0
            print(f"\ncold start: first decoded frame after {viewer.first_frame * 1000:.0f} ms")
            assert sum(s.viewers for s in r.hub.stats()) == 1
            assert await viewer.delete() == 200
            assert sum(s.viewers for s in r.hub.stats()) == 0
            assert await viewer.delete() == 404  # already gone
            status, _, health = await r.get("/healthz")
            assert status == 200 and json.loads(health)["viewers"] == 0
            await viewer.close()
        assert r.running() == 0

    run(scenario)


def test_two_viewers_share_one_upstream_and_the_second_starts_mid_gop() -> None:
    async def scenario() -> None:
        async with relay() as r:
            _, _, before = await r.get("/metrics")
            assert metric(before, "citywall_relay_upstreams") == 0
            first = WhepViewer(r.url, TOKEN)
            assert await first.connect("cam-1", "sub") == 201
            assert await first.wait_frames(10, timeout=3.0)
            await asyncio.sleep(0.7)  # about 1 s into the 2 s GOP
            second = WhepViewer(r.url, TOKEN)
            assert await second.connect("cam-1", "sub") == 201
            assert await second.wait_frames(10, timeout=3.0), f"{second.frames} frames"
            assert second.first_frame is not None and second.first_frame < 0.5
            print(
                f"\nwarm start (mid-GOP, GOP burst): first frame {second.first_frame * 1000:.0f} ms"
            )
            assert r.opens == ["sim://cam-1?stream=sub&fps=15&gop=2"]
            _, _, during = await r.get("/metrics")
            assert metric(during, "citywall_relay_upstreams") == 1
            assert metric(during, "citywall_relay_viewers") == 2
            assert metric(during, "citywall_relay_sessions") == 2
            assert metric(during, "citywall_relay_bytes_sent_total") > 0
            _, _, health = await r.get("/healthz")
            assert json.loads(health) == {
                "status": "ok", "cameras": 2, "upstreams": 1, "viewers": 2
            }  # fmt: skip
            for viewer in (first, second):
                assert await viewer.delete() == 200
                await viewer.close()
            _, _, after = await r.get("/metrics")
            assert metric(after, "citywall_relay_viewers") == 0
            assert metric(after, "citywall_relay_sessions") == 0

    run(scenario)


def test_upstream_stops_after_the_grace_period_and_restarts() -> None:
    async def scenario() -> None:
        async with relay(grace_s=0.5) as r:
            viewer = WhepViewer(r.url, TOKEN)
            assert await viewer.connect("cam-2") == 201
            assert await viewer.wait_frames(5, timeout=3.0)
            left = time.monotonic()  # before the DELETE: the grace starts after it
            assert await viewer.delete() == 200
            await viewer.close()
            # Watched, not slept through: when it stops shows both that it waited out the
            # grace and that it did stop (fixed sleeps around 0.5 s assumed an idle loop).
            while r.running():
                assert time.monotonic() - left < 10, "still pulling long after the grace period"
                await asyncio.sleep(0.01)
            assert time.monotonic() - left >= 0.5, "stopped before the grace period"
            _, _, text = await r.get("/metrics")
            assert metric(text, "citywall_relay_upstreams") == 0
            for _ in range(50):  # the sim encoder thread ends with the iteration
                if sim_threads() == 0:
                    break
                await asyncio.sleep(0.02)
            assert sim_threads() == 0
            again = WhepViewer(r.url, TOKEN)
            assert await again.connect("cam-2") == 201
            assert await again.wait_frames(5, timeout=3.0)
            assert len(r.opens) == 2
            await again.close()

    run(scenario)


def test_auth_names_and_cors() -> None:
    async def scenario() -> None:
        async with relay() as r:
            offer = "v=0\r\n"
            sdp = {"Content-Type": "application/sdp"}
            no_token = await r.request("POST", "/whep/cam-1", data=offer, headers=sdp)
            assert no_token.status == 401
            assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
            wrong = {**sdp, "Authorization": "Bearer nope"}
            assert (await r.request("POST", "/whep/cam-1", data=offer, headers=wrong)).status == 401

            def good(camera: str) -> dict[str, str]:
                return {**sdp, "Authorization": f"Bearer {sign_viewer_token(TOKEN, 'u', camera)}"}

            # A token signed for another camera, or expired, or with another key: 401.
            other = good("cam-2")
            assert (await r.request("POST", "/whep/cam-1", data=offer, headers=other)).status == 401
            stale = sign_viewer_token(TOKEN, "u", "cam-1", now=time.time() - 120)
            old = {**sdp, "Authorization": f"Bearer {stale}"}
            assert (await r.request("POST", "/whep/cam-1", data=offer, headers=old)).status == 401
            forged = {**sdp, "Authorization": f"Bearer {sign_viewer_token('x', 'u', 'cam-1')}"}
            assert (
                await r.request("POST", "/whep/cam-1", data=offer, headers=forged)
            ).status == 401
            nope = good("nope")
            assert (await r.request("POST", "/whep/nope", data=offer, headers=nope)).status == 404
            bad_stream = await r.request(
                "POST", "/whep/cam-1?stream=hd", data=offer, headers=good("cam-1")
            )
            assert bad_stream.status == 400
            no_main = await r.request(
                "POST", "/whep/cam-2?stream=main", data=offer, headers=good("cam-2")
            )
            assert no_main.status == 404
            garbage = await r.request("POST", "/whep/cam-1", data="hello", headers=good("cam-1"))
            assert garbage.status == 400
            assert r.running() <= 1  # the garbage offer's subscription was released
            delete = await r.request("DELETE", "/whep/cam-1/sessions/x")
            assert delete.status == 401
            origin = {"Origin": "http://wall.test", "Access-Control-Request-Method": "POST"}
            preflight = await r.request("OPTIONS", "/whep/cam-1", headers=origin)
            assert preflight.status == 204
            assert preflight.headers["Access-Control-Allow-Origin"] == "http://wall.test"
            assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
            assert "Location" in preflight.headers["Access-Control-Expose-Headers"]
            other = await r.request("OPTIONS", "/whep/cam-1", headers={"Origin": "http://evil"})
            assert "Access-Control-Allow-Origin" not in other.headers
            patch = await r.request("PATCH", "/whep/cam-1/sessions/x", headers=good("cam-1"))
            assert patch.status == 405

    run(scenario)


class FlakySource:
    """Refuses the first ``failures`` opens (SourceError), then is a sim camera."""

    opened = 0

    def __init__(self, url: str, failures: int) -> None:
        self.url = url
        FlakySource.opened += 1
        self._fail = FlakySource.opened <= failures

    async def packets(self) -> AsyncIterator[EncodedPacket]:
        await asyncio.sleep(0.01)
        if self._fail:
            raise SourceError("connection refused (test)")
        async for packet in SimSource("sim://cam-2?stream=sub").packets():
            yield packet


def test_failing_source_goes_offline_then_reconnects_by_itself() -> None:
    seen: list[tuple[str, CameraStatus]] = []

    async def scenario() -> None:
        FlakySource.opened = 0
        with EmbeddedRedis() as server:
            client = redis.asyncio.Redis.from_url(server.url)
            to_redis = redis_status_sink(client, Keys().cameras)

            async def sink(camera_id: str, status: CameraStatus) -> None:
                seen.append((camera_id, status))
                await to_redis(camera_id, status)

            def factory(url: str) -> PacketSource:
                return FlakySource(url, failures=3)

            started = time.monotonic()
            async with relay(factory, sink, schedule=lambda attempt: 0.2) as r:
                viewer = WhepViewer(r.url, TOKEN)
                assert await viewer.connect("cam-2") == 201
                assert await viewer.wait_frames(5, timeout=5.0), f"{viewer.frames} frames"
                print(f"\nflaky source: frames after {time.monotonic() - started:.2f} s")
                _, _, text = await r.get("/metrics")
                assert metric(text, "citywall_relay_reconnects_total") == 3
                await asyncio.sleep(0.1)  # the status writer is asynchronous
                raw = await client.hget(Keys().cameras, "cam-2")
                await viewer.close()
            await client.aclose()
        assert raw is not None
        assert json.loads(raw)["status"] == "online"

    run(scenario)
    statuses = [(camera, s.status, s.reason) for camera, s in seen]
    assert statuses[0] == ("cam-2", "connecting", None)
    assert ("cam-2", "offline", "connection refused (test)") in statuses
    assert statuses[-1] == ("cam-2", "online", None)
    assert all(isinstance(s.t, int) and s.t > 1_600_000_000_000 for _, s in seen)
