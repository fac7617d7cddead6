"""A real RTSP camera behind ``citywall relay``: killing the camera turns it offline in
Redis (through the data plane: relay → citywall:cameras → aggregator), bringing it
back turns it online and playing again, without anyone acting."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import redis
import requests

from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.keys import Keys
from data_feeds.redis_server import EmbeddedRedis
from tests.helpers import start_wall
from tests.rtsp import RtspServer
from tests.whep_client import WhepViewer
from wall.localhost import free_port

TOKEN = "status-test-token"
CONFIG = """
version: 1
wall: {{title: 测试, columns: 1, rows: 1, screen: {{width: 1920, height: 1080}}}}
tiles:
  - {{id: one, type: camera, x: 0, y: 0, cameras: [RT-001]}}
cameras: {{inventory: {inventory}}}
map: {{center: [28.689, 112.889], zoom: 14, bounds: [[28.64, 112.83], [28.74, 112.95]]}}
relay: {{port: {port}, token: {token}, grace_s: 30}}
"""


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
        inventory = tmp_path / "cameras.csv"
        inventory.write_text(
            "id,name,lat,lon,grid,main,sub,tags\n"
            f"RT-001,文星路口,28.69,112.89,4306240010101,{camera.url()},{camera.url()},\n",
            encoding="utf-8",
        )
        port = free_port()
        config = tmp_path / "wall_config.yaml"
        config.write_text(
            CONFIG.format(inventory=inventory, port=port, token=TOKEN), encoding="utf-8"
        )
        relay = start_wall(
            ["relay", "--config", str(config), "--redis-url", redis_server.url],
            tmp_path / "relay.log",
            port,
        )
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
        before = viewer.frames
        await asyncio.sleep(2)
        assert viewer.frames - before >= 15  # the same session plays again
    finally:
        await viewer.close()


def test_two_viewers_of_a_real_camera_share_one_upstream_that_stops_after_the_grace(
    tmp_path: Path,
) -> None:
    with RtspServer(paths=["/cam1"]) as camera:
        inventory = tmp_path / "cameras.csv"
        inventory.write_text(
            "id,name,lat,lon,grid,main,sub,tags\n"
            f"RT-001,文星路口,28.69,112.89,4306240010101,{camera.url()},{camera.url()},\n",
            encoding="utf-8",
        )
        port = free_port()
        config = tmp_path / "wall_config.yaml"
        config.write_text(
            CONFIG.format(inventory=inventory, port=port, token=TOKEN).replace(
                "grace_s: 30", "grace_s: 1"
            ),
            encoding="utf-8",
        )
        relay = start_wall(["relay", "--config", str(config)], tmp_path / "relay.log", port)
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
        for viewer in viewers:
            await viewer.delete()
            await viewer.close()
    await asyncio.sleep(0.3)
    assert await asyncio.to_thread(upstreams, relay) == 1  # still within the grace
    await asyncio.sleep(1.5)
    assert await asyncio.to_thread(upstreams, relay) == 0  # then the pull stops
