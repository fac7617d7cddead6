"""A real RTSP camera behind ``citywall relay``: killing the camera turns it offline in
Redis (through the data plane: relay → citywall:cameras → aggregator), bringing it
back turns it online and playing again, without anyone acting."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from pathlib import Path

import redis
import requests

from core.keys import Keys
from core.localhost import free_port
from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.redis_server import EmbeddedRedis
from testkit.citywall import RunningWall, start_wall
from testkit.whep import WhepViewer
from tests.rtsp import RtspServer, one_camera_inventory

TOKEN = secrets.token_urlsafe(32)  # a fresh key per run: none is published
CONFIG = """
version: 1
wall: {{title: 测试, columns: 1, rows: 1, screen: {{width: 1920, height: 1080}}}}
tiles:
  - {{id: one, type: camera, x: 0, y: 0, cameras: [RT-001]}}
cameras: {{inventory: {inventory}}}
map: {{center: [28.689, 112.889], zoom: 14, bounds: [[28.64, 112.83], [28.74, 112.95]]}}
relay: {{port: {port}, token: {token}, grace_s: {grace_s}}}
"""


def start_relay(
    camera: RtspServer, tmp_path: Path, grace_s: float, redis_url: str | None = None
) -> RunningWall:
    """``citywall relay`` for a wall of one camera, the RTSP server's."""
    inventory = one_camera_inventory(tmp_path / "cameras.csv", camera)
    port = free_port()
    config = tmp_path / "wall_config.yaml"
    config.write_text(
        CONFIG.format(inventory=inventory, port=port, token=TOKEN, grace_s=grace_s),
        encoding="utf-8",
    )
    args = ["relay", "--config", str(config)]
    args += ["--redis-url", redis_url] if redis_url else []
    return start_wall(args, tmp_path / "relay.log", port)


def camera_state(client: redis.Redis, aggregator: Aggregator) -> str | None:
    aggregator.drain(idle_rounds=1)
    raw = client.hget(Keys().cameras, "RT-001")
    return None if raw is None else str(json.loads(raw)["status"])


def wait_state(client: redis.Redis, aggregator: Aggregator, wanted: str, timeout: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if camera_state(client, aggregator) == wanted:
            return time.monotonic() - began
        time.sleep(0.2)
    raise AssertionError(f"camera not {wanted} within {timeout} s")


def test_a_killed_camera_goes_offline_and_comes_back_by_itself(
    redis_server: EmbeddedRedis, redis_client: redis.Redis, tmp_path: Path
) -> None:
    with RtspServer(paths=["/cam1"]) as camera:
        relay = start_relay(camera, tmp_path, grace_s=30, redis_url=redis_server.url)
        aggregator = Aggregator(redis_client, AggregatorSettings(consumer="test"))
        aggregator.ensure_groups()
        try:
            asyncio.run(watch_through_an_outage(relay.url, camera, redis_client, aggregator))
        finally:
            relay.stop()
            aggregator.close()


async def watch_through_an_outage(
    relay: str, camera: RtspServer, client: redis.Redis, aggregator: Aggregator
) -> None:
    viewer = WhepViewer(relay, TOKEN)
    try:
        assert await viewer.connect("RT-001", "sub") == 201
        assert await viewer.wait_frames(10, timeout=10)
        await asyncio.to_thread(wait_state, client, aggregator, "online", 10)

        camera.kill()
        await asyncio.to_thread(wait_state, client, aggregator, "offline", 10)
        reason = json.loads(client.hget(Keys().cameras, "RT-001") or "{}").get("reason")
        assert reason and "disconnected" in reason
        relay_view = json.loads(client.hget("citywall:relay:cameras", "RT-001") or "{}")
        assert relay_view["status"] in ("offline", "connecting")  # retrying meanwhile

        camera.start()  # same port; the relay retries every second at first
        back = await asyncio.to_thread(wait_state, client, aggregator, "online", 30)
        assert back < 15
        # The same session plays again: frames keep coming (a count, not a rate).
        assert await viewer.wait_frames(viewer.frames + 15, timeout=15)
    finally:
        await viewer.close()


def test_two_viewers_of_a_real_camera_share_one_upstream_that_stops_after_the_grace(
    tmp_path: Path,
) -> None:
    with RtspServer(paths=["/cam1"]) as camera:
        relay = start_relay(camera, tmp_path, grace_s=1)
        try:
            asyncio.run(two_viewers_then_none(relay.url))
        finally:
            relay.stop()


def upstreams(relay: str) -> int:
    text = requests.get(f"{relay}/metrics", timeout=5).text
    line = next(row for row in text.splitlines() if row.startswith("citywall_relay_upstreams "))
    return int(float(line.split()[1]))


async def two_viewers_then_none(relay: str) -> None:
    viewers = [WhepViewer(relay, TOKEN), WhepViewer(relay, TOKEN)]
    try:
        for viewer in viewers:
            assert await viewer.connect("RT-001", "sub") == 201
        for viewer in viewers:
            assert await viewer.wait_frames(10, timeout=10)  # both decode the camera
        assert await asyncio.to_thread(upstreams, relay) == 1  # one pull for both
    finally:
        left = time.monotonic()  # before the DELETEs: the grace starts after the last one
        for viewer in viewers:
            await viewer.delete()
            await viewer.close()
    # Watched, not slept through: the pull stops, and not before the grace (1 s) is over.
    while await asyncio.to_thread(upstreams, relay) > 0:
        assert time.monotonic() - left < 15, "still pulling long after the grace"
        await asyncio.sleep(0.05)
    assert time.monotonic() - left >= 1.0, "the pull stopped within the grace"
