"""Evidence snapshots end to end: the real relay (``run_relay`` in a thread, on a free
port) with sim:// cameras, a real RTSP camera (GStreamer) and a dead one; a real Redis;
``SnapshotStore`` and its Flask routes on a bare Flask app."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import av
import flask
import numpy as np
import pytest
import redis
import requests

from core.keys import Keys
from core.localhost import free_port
from core.tokens import sign_snapshot_token, sign_viewer_token
from streams.relay.server import RelaySettings, run_relay
from streams.sources.registry import open_source
from tests.rtsp import RtspServer
from wall.auth.audit import AuditLog
from wall.auth.gate import Identity
from wall.cli_video import camera_urls
from wall.config import WallConfig, parse_config
from wall.control.snapshots import SnapshotError, SnapshotStore
from wall.snapshot_routes import install_snapshot_routes

TOKEN = secrets.token_urlsafe(32)  # a fresh key per run: none is published
PREFIX = "snaptest:"


def config_text(relay_port: int, rtsp_url: str, dead_url: str) -> str:
    def camera(camera_id: str, name: str, main: str, sub: str) -> str:
        return (
            f'    - {{id: {camera_id}, name: {name}, lat: 28.69, lon: 112.89, grid: "1", '
            f'main: "{main}", sub: "{sub}"}}\n'
        )

    return (
        "version: 1\nwall:\n  title: 测试大厅\n  timezone: Asia/Shanghai\n"
        "tiles:\n  - {id: clock, type: clock, x: 0, y: 0}\n"
        "cameras:\n  items:\n"
        + camera(
            "cam-1", "文星路与洞庭大道交叉口", "sim://cam-1?stream=main", "sim://cam-1?stream=sub"
        )
        + camera("rt-1", "RTSP camera", rtsp_url, rtsp_url)
        + camera("dead", "坏掉的摄像机", dead_url, dead_url)
        + "map:\n  center: [28.689, 112.889]\n  bounds: [[28.64, 112.83], [28.74, 112.95]]\n"
        f'redis:\n  prefix: "{PREFIX}"\n'
        f"relay:\n  host: 0.0.0.0\n  port: {relay_port}\n  token: {TOKEN}\n  grace_s: 3\n"
    )


class RelayThread:
    """``run_relay`` (the relay process's own code) on its own event loop and thread."""

    def __init__(self, config: WallConfig, port: int) -> None:
        self.settings = RelaySettings(token=TOKEN, host="127.0.0.1", port=port, grace_s=3.0)
        self.cameras = camera_urls(config)
        self.url = f"http://127.0.0.1:{port}"
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        await run_relay(self.settings, self.cameras, open_source, stop=self._stop)

    def start(self) -> RelayThread:
        self._thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("the relay did not start")

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._ready.wait(5)
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)
        assert not self._thread.is_alive(), "the relay did not stop"

    def snapshot(self, camera_id: str, token: str | None = None) -> requests.Response:
        bearer = sign_snapshot_token(TOKEN, "tester", camera_id) if token is None else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return requests.get(f"{self.url}/snapshot/{camera_id}", headers=headers, timeout=20)

    def upstreams(self) -> int:
        return int(requests.get(self.url + "/healthz", timeout=2).json()["upstreams"])


@pytest.fixture(scope="module")
def rtsp() -> Iterator[RtspServer]:
    with RtspServer(paths=["/cam1"], size="640x360") as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, rtsp: RtspServer) -> WallConfig:
    text = config_text(free_port(), rtsp.url("/cam1"), f"rtsp://127.0.0.1:{free_port()}/none")
    return parse_config(text, "wall_config.yaml", tmp_path, environ={})


@pytest.fixture
def relay(config: WallConfig) -> Iterator[RelayThread]:
    running = RelayThread(config, config.relay.port).start()
    yield running
    running.stop()


def decode_jpeg(data: bytes) -> np.ndarray:
    frames = av.CodecContext.create("mjpeg", "r").decode(av.Packet(data))
    assert len(frames) == 1
    return frames[0].to_ndarray(format="gray")


def test_the_relay_snapshot_is_the_main_streams_picture_cold_then_warm(
    relay: RelayThread,
) -> None:
    assert relay.upstreams() == 0
    started = time.monotonic()
    cold = relay.snapshot("cam-1")
    cold_s = time.monotonic() - started
    assert cold.status_code == 200, cold.text
    assert cold.headers["Content-Type"] == "image/jpeg"
    picture = decode_jpeg(cold.content)
    assert picture.shape == (720, 1280)  # the main stream, not the 640x360 sub
    assert float(picture.std()) > 10, "a uniform picture"
    captured = int(cold.headers["X-Captured-At"])
    assert abs(captured / 1000 - time.time()) < 3
    assert relay.upstreams() == 1  # opened on demand, kept for the grace period
    time.sleep(1.5)  # late in the 2 s GOP: the cache holds a keyframe and ~20 frames
    started = time.monotonic()
    warm = relay.snapshot("cam-1")
    warm_s = time.monotonic() - started
    assert warm.status_code == 200
    assert decode_jpeg(warm.content).shape == (720, 1280)
    assert int(warm.headers["X-Captured-At"]) > captured
    print(f"\nsnapshot 1280x720: cold {cold_s * 1000:.0f} ms, warm {warm_s * 1000:.0f} ms")
    assert cold_s < 3 and warm_s < 1
    deadline = time.monotonic() + 8
    while relay.upstreams() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert relay.upstreams() == 0, "the snapshot's upstream outlived the grace period"


def test_a_real_rtsp_camera_at_its_own_resolution(relay: RelayThread) -> None:
    started = time.monotonic()
    response = relay.snapshot("rt-1")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    picture = decode_jpeg(response.content)
    assert picture.shape == (360, 640)
    assert float(picture.std()) > 5
    print(f"\nRTSP snapshot (cold): {elapsed * 1000:.0f} ms")


def test_only_a_snapshot_token_for_that_camera_opens_it(relay: RelayThread) -> None:
    for token in (
        "",  # no Authorization header
        "garbage",
        sign_viewer_token(TOKEN, "tester", "cam-1"),  # a WHEP viewer's token
        sign_snapshot_token(TOKEN, "tester", "rt-1"),  # another camera's
        sign_snapshot_token("another-key", "tester", "cam-1"),
        sign_snapshot_token(TOKEN, "tester", "cam-1", ttl_s=-5),  # expired
    ):
        response = relay.snapshot("cam-1", token)
        assert response.status_code == 401, token
        assert "WWW-Authenticate" in response.headers
    assert relay.snapshot("nope").status_code == 404
    assert relay.upstreams() == 0  # nothing was opened for any of them


def test_a_dead_camera_answers_503_naming_it_quickly(relay: RelayThread) -> None:
    started = time.monotonic()
    response = relay.snapshot("dead")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "dead" in response.json()["error"]
    assert elapsed < 6.5, f"{elapsed:.1f} s"


def make_store(client: redis.Redis, config: WallConfig, directory: Path) -> SnapshotStore:
    return SnapshotStore(client, config, directory, relay_key=TOKEN)


def test_take_stores_the_file_the_register_entry_and_the_audit(
    relay: RelayThread, config: WallConfig, redis_client: redis.Redis, tmp_path: Path
) -> None:
    store = make_store(redis_client, config, tmp_path / "snapshots")
    started = time.monotonic()
    snapshot = store.take("cam-1", "zhang", "XY-2026:0042")
    print(
        f"\nSnapshotStore.take (cold, with caption): {(time.monotonic() - started) * 1000:.0f} ms"
    )
    path = store.path_of(snapshot.id)
    assert path is not None and path == tmp_path / "snapshots" / snapshot.path
    day = datetime.fromtimestamp(snapshot.at_ms / 1000, ZoneInfo("Asia/Shanghai"))
    assert path.parent.name == snapshot.id[:8] == f"{day:%Y%m%d}"  # the hall's day
    data = path.read_bytes()
    assert snapshot.bytes == len(data) and snapshot.sha256 == hashlib.sha256(data).hexdigest()
    picture = decode_jpeg(data)
    assert picture.shape[1] == 1280 and picture.shape[0] > 720  # + the caption strip
    strip = picture[722:]
    assert strip.max() > 200 and np.median(strip) < 40  # white text on black
    assert b"operator zhang case XY-2026:0042" in data  # the JPEG comment
    assert (snapshot.camera_id, snapshot.camera_name) == ("cam-1", "文星路与洞庭大道交叉口")
    assert (snapshot.operator, snapshot.case_id) == ("zhang", "XY-2026:0042")
    assert 0 <= snapshot.at_ms - snapshot.captured_ms < 3000
    entries = cast(
        list[tuple[bytes, dict[bytes, bytes]]], redis_client.xrange(PREFIX + "snapshots")
    )
    ((_, fields),) = entries
    assert fields[b"operator"] == b"zhang" and fields[b"case_id"] == b"XY-2026:0042"
    assert fields[b"sha256"].decode() == snapshot.sha256
    assert store.latest(10) == [snapshot]
    (entry,) = AuditLog(redis_client, Keys(PREFIX)).latest(10)
    assert (entry.who, entry.action) == ("zhang", "snapshot.take")
    assert entry.after == snapshot.as_json()
    second = store.take("cam-1", "li", None)
    assert second.case_id is None and second.id != snapshot.id
    assert [s.id for s in store.latest(10)] == [second.id, snapshot.id]


def test_take_refuses_bad_input_and_reports_camera_and_relay_failures(
    relay: RelayThread, config: WallConfig, redis_client: redis.Redis, tmp_path: Path
) -> None:
    store = make_store(redis_client, config, tmp_path)
    for bad in ("../etc", "a b", "-x", "x" * 65, "案件1"):
        with pytest.raises(ValueError, match="case id"):
            store.take("cam-1", "zhang", bad)
    with pytest.raises(ValueError, match="camera id"):
        store.take("../cam-1", "zhang", None)
    with pytest.raises(SnapshotError, match="no camera") as unknown:
        store.take("cam-9", "zhang", None)
    assert unknown.value.status == 404
    with pytest.raises(SnapshotError, match="dead") as dead:
        store.take("dead", "zhang", None)
    assert dead.value.status == 503
    relay.stop()
    with pytest.raises(SnapshotError, match="unreachable") as down:
        store.take("cam-1", "zhang", None)
    assert down.value.status == 502
    assert redis_client.xlen(PREFIX + "snapshots") == 0
    assert not list(tmp_path.rglob("*.jpg"))


def test_path_of_takes_only_well_formed_ids(
    config: WallConfig, redis_client: redis.Redis, tmp_path: Path
) -> None:
    directory = tmp_path / "snapshots"
    (directory / "20260101").mkdir(parents=True)
    good = "20260101-120000-000-abcdef"
    (directory / "20260101" / f"{good}.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "secret.jpg").write_bytes(b"x")
    store = make_store(redis_client, config, directory)
    assert store.path_of(good) == directory / "20260101" / f"{good}.jpg"
    for bad in (
        "../secret",
        "..",
        "",
        f"{good}/../../secret",
        "20260101-120000-000-ABCDEF",
        "20260101-120000-000-abcdef.jpg",
        "/etc/passwd",
        "20260101-120000-000-abcde\x00",
        "20260101-120000-000-abcdeg",
    ):
        assert store.path_of(bad) is None, bad
    assert store.path_of("20260101-120000-000-abcde0") is None  # well formed, no such file


def routes_app(store: SnapshotStore | None) -> flask.Flask:
    app = flask.Flask(__name__)

    @app.before_request
    def _identity() -> None:
        role = flask.request.headers.get("X-Test-Role")
        if role in ("viewer", "operator", "admin"):
            flask.g.identity = Identity(name=f"{role}-user", role=role)  # type: ignore[arg-type]

    install_snapshot_routes(app, store)
    return app


def test_routes_enforce_the_operator_role(
    relay: RelayThread, config: WallConfig, redis_client: redis.Redis, tmp_path: Path
) -> None:
    client = routes_app(make_store(redis_client, config, tmp_path)).test_client()
    viewer, operator = {"X-Test-Role": "viewer"}, {"X-Test-Role": "operator"}
    assert client.post("/snapshots", data={"camera": "cam-1"}, headers=viewer).status_code == 403
    assert client.post("/snapshots", data={"camera": "cam-1"}).status_code == 403  # nobody
    assert client.get("/snapshots", headers=viewer).status_code == 403
    assert redis_client.xlen(PREFIX + "snapshots") == 0
    taken = client.post("/snapshots", json={"camera": "cam-1", "case_id": "C-1"}, headers=operator)
    assert taken.status_code == 201, taken.get_json()
    body = taken.get_json()
    assert body["operator"] == "operator-user" and body["case_id"] == "C-1"
    assert client.get(body["url"], headers=viewer).status_code == 403
    image = client.get(body["url"], headers=operator)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert hashlib.sha256(image.data).hexdigest() == body["sha256"]
    listed = client.get("/snapshots", headers={"X-Test-Role": "admin"}).get_json()["snapshots"]
    assert [s["id"] for s in listed] == [body["id"]]
    form = client.post(
        "/snapshots", data={"camera": "cam-1", "case_id": "bad id"}, headers=operator
    )
    assert form.status_code == 400 and "case id" in form.get_json()["error"]
    assert client.post("/snapshots", data={}, headers=operator).status_code == 400
    assert client.post("/snapshots", json=["cam-1"], headers=operator).status_code == 400
    assert client.post("/snapshots", json={"camera": "cam-9"}, headers=operator).status_code == 404
    dead = client.post("/snapshots", json={"camera": "dead"}, headers=operator)
    assert dead.status_code == 503 and "dead" in dead.get_json()["error"]
    missing = client.get("/snapshots/20260101-120000-000-abcdef.jpg", headers=operator)
    assert missing.status_code == 404
    assert client.get("/snapshots/..%2F..%2Fetc.jpg", headers=operator).status_code == 404


def test_routes_without_redis_answer_503() -> None:
    client = routes_app(None).test_client()
    operator = {"X-Test-Role": "operator"}
    taken = client.post("/snapshots", json={"camera": "cam-1"}, headers=operator)
    assert taken.status_code == 503 and "no Redis" in taken.get_json()["error"]
    assert client.get("/snapshots", headers=operator).status_code == 503
    assert client.post("/snapshots", json={"camera": "cam-1"}).status_code == 403
