"""Redis high availability with real Sentinels (issue 14): a master, a replica and three
Sentinels, every part of citywall given the ``redis+sentinel://`` URL. The master is
killed while a producer is writing: the replica is promoted, the aggregator, the web
server and the relay carry on by themselves, and the KPIs come out exact — no event the
producer was told is stored is lost (``redis.replicas_to_ack: 1``: WAIT), none is
counted twice (the aggregator's idempotency)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from core.camera_status import camera_statuses
from core.keys import AGGREGATOR_GROUP, Keys
from core.localhost import free_port
from core.redis_url import connect
from core.web_heartbeat import WebBeat
from data_feeds.writer import EventWriter
from testkit.citywall import RunningWall, citywall_command, shipped_config_copy, start_wall
from testkit.sentinel import SentinelCluster
from testkit.whep import WhepViewer
from tests.case_story import CaseStory
from tests.integration.test_aggregator import T0, all_events, kpi_values

CASES = 240  # 720 events, written 12 at a time
CAMERA = "XY-002"


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
        except redis.RedisError as exc:  # the failover is under way: ask again
            last, value = exc, None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SentinelCluster]:
    with SentinelCluster(tmp_path / "ha") as ha:
        yield ha


class Producer(threading.Thread):
    """Writes the cases' events in small batches, each confirmed by a replica."""

    def __init__(self, url: str, events: list, batch: int = 12) -> None:  # type: ignore[type-arg]
        super().__init__(daemon=True)
        self.writer = EventWriter(connect(url, socket_timeout=2), replicas=1)
        self.batches = [events[i : i + batch] for i in range(0, len(events), batch)]
        self.acknowledged = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for batch in self.batches:
                assert self.writer.write(batch)
                self.acknowledged += 1
                time.sleep(0.01)  # a producer's pace, so the failover falls mid-stream
        except BaseException as exc:
            self.error = exc


def _start(tmp_path: Path, config: Path, env: dict[str, str]) -> dict[str, RunningWall]:
    web_port, relay_port = free_port(), int(env["RELAY_PORT"])
    relay = ["relay", "--config", str(config)]
    web = ["serve", "--config", str(config), "--port", str(web_port)]
    return {
        "relay": start_wall(relay, tmp_path / "relay.log", relay_port, env=env),
        "web": start_wall(web, tmp_path / "web.log", web_port, env=env),
    }


def test_a_master_killed_mid_stream_loses_nothing_and_every_part_carries_on(
    cluster: SentinelCluster, tmp_path: Path
) -> None:
    config = shipped_config_copy(tmp_path / "wall_config.yaml")
    text = config.read_text(encoding="utf-8")
    text = text.replace("  url: ${REDIS_URL:-}", "  url: ${REDIS_URL:-}\n  replicas_to_ack: 1")
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "REDIS_URL": cluster.url, "RELAY_PORT": str(free_port())}
    env.pop("CITYWALL_RELAY_KEY", None)
    parts = _start(tmp_path, config, env)
    aggregator_log = (tmp_path / "aggregator.log").open("wb")
    aggregator = subprocess.Popen(
        [citywall_command(), "aggregate", "--config", str(config)],
        stdout=aggregator_log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )  # fmt: skip
    stories = [
        CaseStory(f"HA{n:04d}", T0 + timedelta(seconds=n)).through_dispatch() for n in range(CASES)
    ]
    producer = Producer(cluster.url, all_events(stories))
    client = connect(cluster.url, socket_timeout=2)
    try:
        producer.start()
        wait_until(lambda: producer.acknowledged >= len(producer.batches) // 3, "a third written")
        old = cluster.kill_master()
        killed_at_ms = int(time.time() * 1000)
        new = cluster.wait_for_failover(old)
        assert new != old
        # systemd would restart it; the Sentinels make it a replica of the new master,
        # and the producer's WAIT is answered again.
        cluster.restart(old)
        producer.join(timeout=120)
        assert not producer.is_alive() and producer.error is None, producer.error

        # Every acknowledged event is applied exactly once: the KPIs count each case once.
        def exact() -> bool:
            values = kpi_values(client)
            return values["reported"] == CASES and values["dispatched"] == CASES

        wait_until(exact, "the KPIs of every case", timeout=90)
        wait_until(lambda: _nothing_pending(client), "the aggregator to catch up")
        values = kpi_values(client)
        assert (values["reported"], values["filed"], values["dispatched"]) == (CASES,) * 3

        # The web server's hub follows the new master and sees live data again.
        wait_until(lambda: _web_live_since(client, killed_at_ms), "a live web heartbeat")
        # The relay: a camera plays, and its status reaches the new master.
        key = client.get(Keys().relay_key)
        assert key is not None
        assert asyncio.run(_plays(parts["relay"].url, key.decode()))
        wait_until(
            lambda: camera_statuses(client.hgetall(Keys().relay_cameras)).get(CAMERA) == "online",
            f"{CAMERA} online in Redis",
        )
        assert aggregator.poll() is None, "the aggregator exited"
        # And citywall status, through the Sentinels, sees the whole installation.
        cluster.wait_for_replicas(1)
        status = _status(config, env)
        assert status["redis"]["details"]["role"] == "master", status["redis"]
        assert status["redis"]["details"]["replicas"] == 1, status["redis"]
        assert all(status[p]["state"] == "up" for p in ("redis", "aggregator", "relay", "web"))
    finally:
        producer.join(timeout=1)
        aggregator.terminate()
        aggregator.wait(timeout=20)
        aggregator_log.close()
        for part in parts.values():
            part.stop()


def _status(config: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [citywall_command(), "status", "--json", "--config", str(config)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    return {part["name"]: part for part in json.loads(done.stdout)["parts"]}


def _nothing_pending(client: redis.Redis) -> bool:
    for stream in Keys().streams.values():
        if not client.exists(stream):
            continue
        for group in client.xinfo_groups(stream):
            ours = group["name"] in (AGGREGATOR_GROUP, AGGREGATOR_GROUP.encode())
            if ours and (group["pending"] or (group.get("lag") or 0)):
                return False
    return True


def _web_live_since(client: redis.Redis, since_ms: int) -> bool:
    for key in client.scan_iter(match=Keys().web_heartbeat_prefix + "*"):
        raw = client.get(key)
        beat = WebBeat.from_json(raw) if raw is not None else None
        if beat is not None and beat.t > since_ms and not beat.stale:
            return True
    return False


async def _plays(relay_url: str, key: str) -> bool:
    viewer = WhepViewer(relay_url, key)
    try:
        await viewer.play(CAMERA)
        return await viewer.wait_frames(10, timeout=30)
    finally:
        await viewer.close()


def test_with_no_replica_to_confirm_a_write_is_not_acknowledged(redis_client: redis.Redis) -> None:
    """``replicas_to_ack: 1`` and nobody replicating: the producer keeps the batch
    (retrying, as in an outage) instead of reporting it stored."""
    attempts: list[int] = []

    def stop() -> bool:
        attempts.append(1)
        return len(attempts) > 3

    events = all_events([CaseStory("LONE", T0).through_dispatch()])
    writer = EventWriter(redis_client, replicas=1, stop=stop)
    assert writer.write(events) is False and writer.written == 0
    assert EventWriter(redis_client).write(events) is True  # the master's word alone
