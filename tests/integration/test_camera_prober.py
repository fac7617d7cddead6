"""Every camera's health, watched or not: ``citywall relay`` probes the cameras nobody
watches (RTSP OPTIONS + DESCRIBE against real GStreamer RTSP cameras), and their state
reaches Redis through the data plane (relay → citywall:cameras → aggregator) with
its reason: a stopped camera goes offline ("refused") within one interval, comes back
online by itself; a camera that never answers is "timeout"; nobody opens a stream."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests

from core.keys import Keys
from core.localhost import free_port
from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.kpis import KpiReader
from data_feeds.redis_server import EmbeddedRedis
from streams.relay.prober import probe
from testkit.citywall import RunningWall, citywall_command, start_wall
from tests.integration.test_camera_status import CONFIG, TOKEN
from tests.rtsp import RtspServer

INTERVAL_S = 1.0


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung camera)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def inventory(path: Path, urls: dict[str, str]) -> Path:
    rows = [f"{cid},路口{n},28.69,112.88{n},4306240010101,{url},{url}," for n, (cid, url)
            in enumerate(urls.items())]  # fmt: skip
    path.write_text("id,name,lat,lon,grid,main,sub,tags\n" + "\n".join(rows) + "\n", "utf-8")
    return path


def start_relay(tmp_path: Path, urls: dict[str, str], redis_url: str) -> RunningWall:
    port = free_port()
    text = CONFIG.format(inventory=inventory(tmp_path / "cameras.csv", urls), port=port,
                         token=TOKEN, grace_s=5)  # fmt: skip
    text = text.replace("grace_s: 5}", f"grace_s: 5, probe_interval_s: {INTERVAL_S}}}")
    config = tmp_path / "wall_config.yaml"
    config.write_text(text.replace("cameras: [RT-001]", f"cameras: [{next(iter(urls))}]"), "utf-8")
    args = ["relay", "--config", str(config), "--redis-url", redis_url]
    return start_wall(args, tmp_path / "relay.log", port)


def states(client: redis.Redis, aggregator: Aggregator) -> dict[str, tuple[str, str | None]]:
    aggregator.drain(idle_rounds=1)
    raw = client.hgetall(Keys().cameras)
    found = {}
    for key, value in raw.items():
        state = json.loads(value)
        found[key.decode()] = (state["status"], state.get("reason"))
    return found


def wait_for(client: redis.Redis, aggregator: Aggregator, camera: str,
             wanted: tuple[str, str | None], timeout: float) -> float:  # fmt: skip
    began = time.monotonic()
    seen = None
    while time.monotonic() - began < timeout:
        seen = states(client, aggregator).get(camera)
        if seen == wanted:
            return time.monotonic() - began
        time.sleep(0.1)
    raise AssertionError(f"{camera}: {seen}, never {wanted} within {timeout} s")


def test_unwatched_cameras_are_probed_and_follow_their_camera(
    redis_server: EmbeddedRedis, redis_client: redis.Redis, tmp_path: Path, silent_port: int
) -> None:
    dead = free_port()
    with RtspServer(paths=["/cam1"]) as camera:
        urls = {"RT-001": camera.url(), "RT-002": f"rtsp://127.0.0.1:{dead}/x",
                "RT-003": f"rtsp://127.0.0.1:{silent_port}/x"}  # fmt: skip
        relay = start_relay(tmp_path, urls, redis_server.url)
        aggregator = Aggregator(redis_client, AggregatorSettings(consumer="test"))
        aggregator.ensure_groups()
        try:
            wait_for(redis_client, aggregator, "RT-001", ("online", None), 20)
            wait_for(redis_client, aggregator, "RT-002", ("offline", "refused"), 20)
            wait_for(redis_client, aggregator, "RT-003", ("offline", "timeout"), 20)
            # 摄像机在线率: exactly the share of the three cameras that answer.
            now = datetime.now(UTC)
            table = KpiReader(redis_client).summary(now - timedelta(hours=1), now)
            rate = table.loc["camera_online_rate"]
            assert (rate["numerator"], rate["denominator"]) == (1, 3)
            assert rate["value"] == pytest.approx(1 / 3)
            # citywall status says the same, and which cameras are offline longest, why.
            config = str(tmp_path / "wall_config.yaml")
            done = subprocess.run(
                [citywall_command(), "status", "--json", "--config", config],
                capture_output=True, text=True, timeout=60, check=False,
                env={**os.environ, "REDIS_URL": redis_server.url},
            )  # fmt: skip
            part = next(p for p in json.loads(done.stdout)["parts"] if p["name"] == "cameras")
            assert part["details"]["online_rate"] == pytest.approx(1 / 3, abs=1e-4)
            longest = {
                item["camera"]: item["reason"] for item in part["details"]["offline_longest"]
            }
            assert longest == {"RT-002": "refused", "RT-003": "timeout"}
            camera.stop()
            took = wait_for(redis_client, aggregator, "RT-001", ("offline", "refused"), 20)
            assert took <= 2 * INTERVAL_S + 3, took  # within an interval (and a round)
            camera.start()
            wait_for(redis_client, aggregator, "RT-001", ("online", None), 20)
            # Probes only: nobody pulled a stream of these cameras.
            assert redis_client.hget(Keys().relay_cameras, "RT-001") is not None
        finally:
            relay.stop()
            aggregator.close()


def test_probe_answers_for_each_kind_of_camera(tmp_path: Path, silent_port: int) -> None:
    with RtspServer(paths=["/cam1"]) as camera:
        found = asyncio.run(probe(camera.url(), 5))
        assert (found.status, found.reason) == ("online", None)
        missing = asyncio.run(probe(camera.url("/nothing-here"), 5))
        assert missing.status == "offline" and missing.reason == "RTSP 404"
    assert asyncio.run(probe(f"rtsp://127.0.0.1:{free_port()}/x", 5)).reason == "refused"
    assert asyncio.run(probe(f"rtsp://127.0.0.1:{silent_port}/x", 1)).reason == "timeout"
    video = tmp_path / "clip.mp4"
    assert asyncio.run(probe(f"file://{video}", 1)).reason == "no file"
    video.write_bytes(b"x")
    assert asyncio.run(probe(f"file://{video}", 1)).status == "online"


def test_key_cameras_are_kept_warm_by_the_relay(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    """relay.keep_warm: the chosen streams are pulled with nobody watching (the relay's
    /healthz counts their upstreams), the others are not."""
    with RtspServer(paths=["/cam1", "/cam2"]) as camera:
        urls = {"RT-001": camera.url("/cam1"), "RT-002": camera.url("/cam2")}
        port = free_port()
        text = CONFIG.format(inventory=inventory(tmp_path / "cameras.csv", urls), port=port,
                             token=TOKEN, grace_s=5)  # fmt: skip
        text = text.replace(
            "grace_s: 5}", "grace_s: 5, keep_warm: {cameras: [RT-002], streams: [sub, main]}}"
        )
        config = tmp_path / "wall_config.yaml"
        config.write_text(text, encoding="utf-8")
        relay = start_wall(["relay", "--config", str(config), "--redis-url", redis_server.url],
                           tmp_path / "relay.log", port)  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            health: dict[str, int] = {}
            while time.monotonic() < deadline:
                health = requests.get(f"{relay.url}/healthz", timeout=5).json()
                if health["upstreams"] == 2:
                    break
                time.sleep(0.1)
            assert health["upstreams"] == 2 and health["viewers"] == 0  # RT-002's two streams
        finally:
            relay.stop()


def test_a_wrong_password_is_auth_failed_and_the_right_one_online() -> None:
    with RtspServer(paths=["/cam1"], user="admin", password="Hik-12345") as camera:
        right = asyncio.run(probe(camera.url(user="admin", password="Hik-12345"), 5))
        assert (right.status, right.reason) == ("online", None)
        wrong = asyncio.run(probe(camera.url(user="admin", password="guess"), 5))
        assert (wrong.status, wrong.reason) == ("offline", "auth failed")
        none = asyncio.run(probe(camera.url(), 5))
        assert (none.status, none.reason) == ("offline", "auth failed")
