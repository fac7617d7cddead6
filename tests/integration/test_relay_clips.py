"""Evidence clips end to end: the real relay app (aiohttp on a free port) pulling sim://
cameras, its /clips API over HTTP, and the MP4 it returns opened and decoded with PyAV."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import av
from aiohttp import web

from core.localhost import free_port
from core.tokens import check_clip_token, sign_clip_token, sign_snapshot_token, sign_viewer_token
from streams.packets import EncodedPacket, StreamName
from streams.relay.clips import CLIPS, MAX_RECORDINGS, add_clip_routes
from streams.relay.hub import CameraHub
from streams.relay.server import HUB, RelaySettings, create_app
from streams.sources.annexb import NAL_SPS, avcc_config_nals, nal_type, split_nals
from streams.sources.sim import SimSource

TOKEN = secrets.token_urlsafe(32)  # a fresh key per run: none is published
CAMERAS: dict[str, dict[StreamName, str]] = {
    "cam-1": {"main": "sim://cam-1?stream=main&fps=10&gop=1", "sub": "sim://cam-1?stream=sub"},
    "cam-2": {"sub": "sim://cam-2?stream=sub&fps=10&gop=1"},
}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Relay:
    url: str
    hub: CameraHub
    app: web.Application

    async def call(
        self, method: str, path: str, token: str | None = "", body: object = None
    ) -> Answer:
        """``token`` None: no Authorization; "": a fresh clip token for the path's camera."""
        if token == "":
            token = sign_clip_token(TOKEN, "tester", path.split("/")[2])
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.url + path, headers=headers, json=body) as response,
        ):
            return Answer(response.status, dict(response.headers), await response.read())

    async def wait_status(
        self, path: str, done: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> dict[str, Any]:
        """Poll ``GET path`` until ``done(status)``."""
        deadline = time.monotonic() + timeout
        while True:
            answer = await self.call("GET", path)
            assert answer.status == 200, answer.body
            status: dict[str, Any] = answer.json()
            if done(status):
                return status
            assert time.monotonic() < deadline, f"still {status}"
            await asyncio.sleep(0.1)


@asynccontextmanager
async def relay() -> AsyncIterator[Relay]:
    app = create_app(RelaySettings(token=TOKEN, grace_s=2.0), CAMERAS, SimSource)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Relay(f"http://127.0.0.1:{port}", app[HUB], app)
    finally:
        await runner.cleanup()


class Watcher:
    """A viewer pulling the camera, keeping every packet it sent, by pts."""

    def __init__(self) -> None:
        self.packets: dict[int, EncodedPacket] = {}

    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        self.packets[packet.pts] = packet


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.05)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(90):
            await scenario()

    asyncio.run(bounded())


def sps_of(data: bytes) -> bytes:
    (sps,) = [nal for nal in split_nals(data) if nal_type(nal) == NAL_SPS]
    return sps


def samples(data: bytes) -> list[tuple[float, list[bytes]]]:
    """(pts in s from the clip's start, NAL units) of every sample of an MP4's video."""
    out = []
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None or packet.time_base is None:
                continue  # the demuxer's flush
            body, nals = bytes(packet), []
            while body:  # avcC samples: 4-byte lengths, not start codes
                length = int.from_bytes(body[:4], "big")
                nals.append(body[4 : 4 + length])
                body = body[4 + length :]
            out.append((float(packet.pts * packet.time_base), nals))
    return out


def open_clip(data: bytes) -> tuple[str, tuple[int, int], float, bytes, int]:
    """(codec, size, duration in s, the avcC's SPS, frames decoded) of an MP4."""
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        assert container.duration is not None and stream.codec_context.extradata is not None
        extradata = stream.codec_context.extradata
        assert extradata[0] == 1, "extradata is not an avcC record"
        (sps,) = [n for n in avcc_config_nals(extradata) if nal_type(n) == NAL_SPS]
        frames = sum(1 for _ in container.decode(stream))
        size = (stream.codec_context.width, stream.codec_context.height)
        return stream.codec_context.name, size, container.duration / 1e6, sps, frames


def test_a_clip_with_pre_roll_is_the_cameras_own_h264_in_an_mp4() -> None:
    async def scenario() -> None:
        async with relay() as r:
            watcher = Watcher()
            r.hub.subscribe("cam-1", "main", watcher)
            await until(lambda: len(r.hub.history("cam-1", "main", 60)) > 0)
            await until(lambda: _span(r.hub.history("cam-1", "main", 60)) >= 3.0)
            posted = time.time()
            answer = await r.call("POST", "/clips/cam-1", body={"before_s": 2})
            assert answer.status == 201, answer.body
            started = answer.json()
            assert set(started) == {"id", "camera_id", "stream", "before_s", "started_ms"}
            assert (started["camera_id"], started["stream"]) == ("cam-1", "main")
            assert 2.0 <= started["before_s"] <= 3.2  # back to a keyframe (1 s GOPs)
            assert abs(started["started_ms"] / 1000 - (posted - started["before_s"])) < 1.0
            path = f"/clips/cam-1/{started['id']}"
            status = await r.wait_status(path, lambda s: s["seconds"] >= started["before_s"] + 2)
            assert status["recording"] is True and status["ended"] is None
            assert status["packets"] >= 10 * status["seconds"]
            stopped = await r.call("POST", path + "/stop")
            assert stopped.status == 200, stopped.body
            assert stopped.headers["Content-Type"] == "video/mp4"
            assert stopped.headers["X-Clip-Stream"] == "main"
            assert stopped.headers["X-Clip-Started-Ms"] == str(started["started_ms"])
            assert stopped.body[4:8] == b"ftyp"
            assert stopped.body.index(b"moov") < stopped.body.index(b"mdat")  # +faststart
            codec, size, duration, sps, frames = open_clip(stopped.body)
            print(f"\nclip: {duration:.2f} s, {len(stopped.body)} bytes, {frames} frames")
            assert (codec, size) == ("h264", (1280, 720))
            assert abs(duration - status["seconds"]) <= 1.0
            assert abs(duration - float(stopped.headers["X-Clip-Seconds"])) < 0.01
            assert frames >= 1 and frames >= 10 * (duration - 1)
            keyframes = [p for p in watcher.packets.values() if p.keyframe]
            assert sps == sps_of(keyframes[-1].data)  # byte for byte
            # Every sample is the camera's access unit, NAL for NAL: nothing was re-encoded.
            first_pts = next(
                p.pts for p in keyframes if round(p.captured * 1000) == started["started_ms"]
            )
            clip = samples(stopped.body)
            assert len(clip) == frames
            for at, nals in clip:
                original = watcher.packets[first_pts + round(at * 90_000)]
                assert nals == split_nals(original.data), at
            assert (await r.call("POST", path + "/stop")).status == 404  # forgotten
            assert (await r.call("GET", path)).status == 404
            r.hub.unsubscribe("cam-1", "main", watcher)

    run(scenario)


def _span(packets: list[EncodedPacket]) -> float:
    return (packets[-1].pts - packets[0].pts) / 90_000 if packets else 0.0


def test_only_a_clip_token_for_that_camera_opens_the_api() -> None:
    async def scenario() -> None:
        async with relay() as r:
            refused = [
                None,  # no Authorization header
                "garbage",
                sign_viewer_token(TOKEN, "tester", "cam-1"),
                sign_snapshot_token(TOKEN, "tester", "cam-1"),
                sign_clip_token(TOKEN, "tester", "cam-2"),  # another camera's
                sign_clip_token("another-key", "tester", "cam-1"),
                sign_clip_token(TOKEN, "tester", "cam-1", ttl_s=-5),  # expired
            ]
            for token in refused:
                for method, path in (("POST", "/clips/cam-1"), ("GET", "/clips/cam-1/x"),
                                     ("POST", "/clips/cam-1/x/stop")):  # fmt: skip
                    answer = await r.call(method, path, token)
                    assert answer.status == 401, (token, path)
                    assert "WWW-Authenticate" in answer.headers and answer.json()["error"]
            assert (await r.call("POST", "/clips/nope")).status == 404
            assert (await r.call("GET", "/clips/cam-1/unknown")).status == 404
            assert (await r.call("POST", "/clips/cam-1/unknown/stop")).status == 404
            for body in ({"before_s": 61}, {"before_s": -1}, {"before_s": "2"}, {"max_s": 0},
                         {"max_s": 301}, {"max_s": True}, [2], "x"):  # fmt: skip
                answer = await r.call("POST", "/clips/cam-1", body=body)
                assert answer.status == 400 and answer.json()["error"], body
            assert sum(s.running for s in r.hub.stats()) == 0  # nothing was opened

    run(scenario)


def test_a_cold_camera_records_to_max_s_then_waits_for_its_stop_and_the_limit_holds() -> None:
    async def scenario() -> None:
        async with relay() as r:
            answer = await r.call("POST", "/clips/cam-2", body={"before_s": 5, "max_s": 1})
            assert answer.status == 201, answer.body
            started = answer.json()
            assert started["stream"] == "sub"  # it has no main stream
            assert started["before_s"] == 0.0  # it was not pulled: no pre-roll
            path = f"/clips/cam-2/{started['id']}"
            status = await r.wait_status(path, lambda s: not s["recording"])
            assert status["ended"] == "max_s" and 0.8 <= status["seconds"] <= 1.0
            held = [(await r.call("POST", "/clips/cam-2", body={})) for _ in range(15)]
            assert all(a.status == 201 for a in held)  # 16 with the ended one
            too_many = await r.call("POST", "/clips/cam-2", body={})
            assert too_many.status == 429 and str(MAX_RECORDINGS) in too_many.json()["error"]
            stopped = await r.call("POST", path + "/stop")
            assert stopped.status == 200, stopped.body
            seconds = float(stopped.headers["X-Clip-Seconds"])  # + the last frame's 1/10 s
            assert status["seconds"] < seconds <= status["seconds"] + 0.2
            codec, size, duration, _, frames = open_clip(stopped.body)
            assert (codec, size, frames) == ("h264", (640, 360), status["packets"])
            assert abs(duration - seconds) < 0.01
            recorders = [r.app[CLIPS].get(a.json()["id"]) for a in held]
            assert all(rec is not None and rec.ended is None for rec in recorders)
            upstream = next(s for s in r.hub.stats() if s.camera_id == "cam-2")
            assert upstream.viewers == 15
        # The relay shut down: every recorder left its upstream.
        assert {rec.ended for rec in recorders if rec is not None} == {"shutdown"}

    run(scenario)


def test_a_camera_relayed_by_another_node_is_refused_with_its_owner() -> None:
    async def scenario() -> None:
        hub = CameraHub(CAMERAS, SimSource)
        app = web.Application()
        add_clip_routes(
            app,
            hub,
            lambda token, camera_id: check_clip_token(TOKEN, token, camera_id),
            owner_elsewhere=lambda camera_id: "10.0.0.2:8889" if camera_id == "cam-2" else None,
        )
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        r = Relay(f"http://127.0.0.1:{port}", hub, app)
        try:
            for method, path in (("POST", "/clips/cam-2"), ("GET", "/clips/cam-2/x"),
                                 ("POST", "/clips/cam-2/x/stop")):  # fmt: skip
                answer = await r.call(method, path, body={})
                assert answer.status == 421, path
                assert answer.json()["owner"] == "10.0.0.2:8889"
                assert "10.0.0.2:8889" in answer.json()["error"]
            assert (await r.call("POST", "/clips/cam-2", token=None)).status == 401
            assert sum(s.running for s in hub.stats()) == 0
        finally:
            await runner.cleanup()
            await hub.close()

    run(scenario)
