"""Relay nodes (issue 14): two ``citywall relay`` processes beating in one Redis share
the cameras by rendezvous hashing. The wall's server sends each player to its camera's
node; the other node refuses that camera (421, naming the owner), so there is one
upstream per camera; when the owner dies its cameras move to the survivor and play
from there."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from core.keys import Keys
from core.localhost import free_port
from core.redis_url import connect
from core.relay_nodes import DEAD_AFTER_MS, live_nodes, now_ms, owner_of
from data_feeds.redis_server import EmbeddedRedis
from testkit.citywall import RunningWall, citywall_command, shipped_config_copy, start_wall
from testkit.sentinel import SentinelCluster
from testkit.signin import http_session
from testkit.whep import WhepViewer


def wait_until(condition, what: str, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Fleet:
    def __init__(self, tmp_path: Path, redis_url: str) -> None:
        self.tmp = tmp_path
        self.config = shipped_config_copy(tmp_path / "wall_config.yaml")
        self.env = {**os.environ, "REDIS_URL": redis_url, "RELAY_PORT": str(free_port())}
        self.env.pop("CITYWALL_RELAY_KEY", None)
        self.relays: dict[str, RunningWall] = {}
        self.web: RunningWall | None = None

    def relay(self, name: str) -> RunningWall:
        port = free_port()
        args = ["relay", "--config", str(self.config), "--port", str(port), "--node", name]
        self.relays[name] = start_wall(args, self.tmp / f"relay-{name}.log", port, env=self.env)
        return self.relays[name]

    def serve(self) -> RunningWall:
        port = free_port()
        args = ["serve", "--config", str(self.config), "--port", str(port)]
        self.web = start_wall(args, self.tmp / "web.log", port, env=self.env)
        return self.web

    def stop(self) -> None:
        for part in [*self.relays.values(), *([self.web] if self.web else [])]:
            part.stop()


@pytest.fixture
def fleet(tmp_path: Path, redis_server: EmbeddedRedis) -> Iterator[Fleet]:
    parts = Fleet(tmp_path, redis_server.url)
    try:
        yield parts
    finally:
        parts.stop()


@pytest.fixture(params=["redis", "sentinel"])
def any_redis(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, redis.Redis]]:
    """The relays' Redis: one server, or a master, a replica and three Sentinels."""
    if request.param == "redis":
        with EmbeddedRedis() as server:
            yield server.url, redis.Redis.from_url(server.url)
    else:
        with SentinelCluster(tmp_path / "ha") as ha:
            yield ha.url, connect(ha.url, socket_timeout=2)


def _live(client: redis.Redis) -> list[str]:
    return [n.id for n in live_nodes(client.hgetall(Keys().relay_nodes), now_ms())]


async def _frames(relay_url: str, key: str, camera: str, count: int = 10) -> int:
    """POST an offer to ``relay_url``; the HTTP status, or 200 once ``count`` frames decoded."""
    viewer = WhepViewer(relay_url, key)
    try:
        status = await viewer.connect(camera)
        if status != 201:
            return status
        return 200 if await viewer.wait_frames(count, timeout=30) else 0
    finally:
        await viewer.close()


def test_each_camera_plays_from_its_node_and_moves_when_the_node_dies(
    tmp_path: Path, any_redis: tuple[str, redis.Redis]
) -> None:
    url, redis_client = any_redis
    fleet = Fleet(tmp_path, url)
    try:
        _plays_from_its_node_and_moves(fleet, redis_client)
    finally:
        fleet.stop()


def _plays_from_its_node_and_moves(fleet: Fleet, redis_client: redis.Redis) -> None:
    a, b = fleet.relay("node-a"), fleet.relay("node-b")
    web = fleet.serve()
    wait_until(lambda: sorted(_live(redis_client)) == ["node-a", "node-b"], "both nodes beating")
    nodes = live_nodes(redis_client.hgetall(Keys().relay_nodes), now_ms())
    cameras = [f"XY-{n:03d}" for n in range(1, 41)]
    on_b = [c for c in cameras if (o := owner_of(c, nodes)) and o.id == "node-b"]
    on_a = [c for c in cameras if c not in on_b]
    assert on_a and on_b, "rendezvous hashing spreads the cameras over both nodes"
    camera = on_b[0]

    # The wall's server sends the player to node B, and there it plays.
    viewer = http_session(web.url, "viewer")
    grant = viewer.get(f"{web.url}/video/token?camera={camera}", timeout=10).json()
    assert grant["relay"] == b.url
    key = redis_client.get(Keys().relay_key)
    assert key is not None
    assert asyncio.run(_frames(b.url, key.decode(), camera)) == 200
    # Node A refuses B's camera (one upstream per camera), naming the owner.
    assert asyncio.run(_frames(a.url, key.decode(), camera)) == 421
    answer = requests.get(
        f"{a.url}/snapshot/{camera}", headers={"Authorization": "Bearer x"}, timeout=10
    )
    assert answer.status_code == 401  # no token, no answer: not even who owns it

    # B dies (no goodbye): its beat ages out, its cameras move to A and play there.
    killed = time.monotonic()
    b.process.kill()
    b.process.wait()
    moved = wait_until(
        lambda: (
            viewer.get(f"{web.url}/video/token?camera={camera}", timeout=10).json()["relay"]
            == a.url
        ),
        "the camera to move to node A",
        timeout=DEAD_AFTER_MS / 1000 + 10,
    )
    assert moved
    # A player starts over until it plays (node A may judge B dead a beat later).
    wait_until(lambda: asyncio.run(_frames(a.url, key.decode(), camera)) == 200, "play from A")
    print(
        f"\nnode B killed -> {camera} playing from node A after {time.monotonic() - killed:.1f} s"
    )
    assert a.process.poll() is None


def test_relay_workers_run_one_node_per_worker_kept_running(
    fleet: Fleet, redis_client: redis.Redis
) -> None:
    """``citywall relay --workers 2``: two nodes beat; one killed comes back; SIGTERM
    stops both, and they leave the fleet (their beats are removed)."""
    port = free_port()
    args = ["relay", "--config", str(fleet.config), "--port", str(port), "--workers", "2",
            "--node", "hall"]  # fmt: skip
    relays = start_wall(args, fleet.tmp / "workers.log", port, env=fleet.env)
    fleet.relays["workers"] = relays
    wait_until(lambda: sorted(_live(redis_client)) == ["hall-0", "hall-1"], "two nodes beating")
    second = requests.get(f"http://127.0.0.1:{port + 1}/healthz", timeout=5)
    assert second.status_code == 200
    beats = redis_client.hgetall(Keys().relay_nodes)
    assert {n.public_url for n in live_nodes(beats, now_ms())} == {
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{port + 1}",
    }
    # Kill node 1's process: the supervisor starts it again and it beats again.
    pid = wait_until(lambda: _pid_listening(port + 1), "node 1's pid")
    os.kill(pid, 9)
    wait_until(lambda: _pid_listening(port + 1) not in (None, pid), "node 1 restarted")
    wait_until(lambda: sorted(_live(redis_client)) == ["hall-0", "hall-1"], "node 1 beating again")
    # citywall status asks every node that beats.
    done = subprocess.run(
        [citywall_command(), "status", "--json", "--config", str(fleet.config)],
        capture_output=True, text=True, env=fleet.env, timeout=60, check=False,
    )  # fmt: skip
    nodes = next(p for p in json.loads(done.stdout)["parts"] if p["name"] == "relay-nodes")
    assert nodes["state"] == "up" and "hall-0" in nodes["summary"] and "hall-1" in nodes["summary"]
    relays.stop()
    wait_until(lambda: not redis_client.hgetall(Keys().relay_nodes), "both nodes left")
    assert "relay-1" in relays.output() and "restarting" in relays.output()


def _pid_listening(port: int) -> int | None:
    """The pid of the process that listens on ``port`` on this machine (from /proc)."""
    inode = None
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text(encoding="ascii").splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inode = fields[9]
    if inode is None:
        return None
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            links = [fd.readlink() for fd in (process / "fd").iterdir()]
        except OSError:
            continue
        if Path(f"socket:[{inode}]") in links:
            return int(process.name)
    return None
