"""Recovery when a relay node or the Redis master is killed (issue 14), with real
processes, beside a baseline measured in the same run.

- relay node: two ``citywall relay`` nodes on one Redis; a viewer plays a camera owned
  by node B; B gets SIGKILL; the viewer starts over as the player does (every 300 ms:
  ask who owns the camera now, offer there) until frames come from node A. Baseline:
  a first play of a camera on a running node.
- Redis master: a master, a replica and three Sentinels; ``citywall aggregate`` on the
  Sentinel URL; a producer writes a case every 100 ms (``replicas_to_ack`` 1). The
  master gets SIGKILL; timed until a case written after the kill is counted in the
  KPIs. Baseline: the same, event → counted, with no kill. The old master is started
  again as soon as the replica is promoted (as systemd would): it rejoins as a replica,
  and only then are writes confirmed again.

``python -m bench.failover [--rounds 3] [--markdown]``; exits 1 if a round could not be made.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import redis

from bench.report import markdown_table, run_reporting
from core.keys import Keys
from core.localhost import free_port
from core.redis_url import connect
from core.relay_nodes import live_nodes, now_ms, owner_of
from data_feeds.kpis import KpiReader
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.citywall import RunningWall, citywall_command, shipped_config_copy, start_wall
from testkit.sentinel import SentinelCluster
from testkit.whep import WhepViewer
from tests.case_story import SHANGHAI, CaseStory

RETRY_S = 0.3  # the player's first retry


def _until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> float:
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"timed out: {what}")
        time.sleep(0.02)
    return time.monotonic() - began


async def _play(url: str, key: str, camera: str) -> bool:
    viewer = WhepViewer(url, key)
    try:
        if await viewer.connect(camera) != 201:
            return False
        return await viewer.wait_frames(3, timeout=10)
    except OSError:
        return False
    finally:
        await viewer.close()


def relay_rounds(work: Path, rounds: int) -> tuple[list[float], list[float]]:
    """(first plays on a running node, kill → playing from the survivor), seconds."""
    firsts, moves = [], []
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)
        config = shipped_config_copy(work / "wall_config.yaml")
        env = {**os.environ, "REDIS_URL": server.url}
        env.pop("CITYWALL_RELAY_KEY", None)
        ports = {"A": free_port(), "B": free_port()}

        def node(name: str) -> RunningWall:
            args = ["relay", "--config", str(config), "--port", str(ports[name]), "--node", name]
            return start_wall(args, work / f"relay-{name}.log", ports[name], env=env)

        nodes = {"A": node("A"), "B": node("B")}
        try:
            _until(
                lambda: len(live_nodes(client.hgetall(Keys().relay_nodes), now_ms())) == 2,
                "2 nodes",
            )
            raw_key = client.get(Keys().relay_key)
            key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            for n in range(rounds):
                beating = live_nodes(client.hgetall(Keys().relay_nodes), now_ms())
                on_b = [f"XY-{i:03d}" for i in range(1 + 40 * n, 41 + 40 * n)
                        if (o := owner_of(f"XY-{i:03d}", beating)) and o.id == "B"]  # fmt: skip
                camera, fresh = on_b[0], on_b[1]
                began = time.monotonic()
                assert asyncio.run(_play(nodes["B"].url, key, fresh)), "no first play"
                firsts.append(time.monotonic() - began)
                assert asyncio.run(_play(nodes["B"].url, key, camera))
                nodes["B"].process.send_signal(signal.SIGKILL)
                killed = time.monotonic()

                def moved(camera: str = camera) -> bool:
                    owner = owner_of(
                        camera, live_nodes(client.hgetall(Keys().relay_nodes), now_ms())
                    )
                    ok = (
                        owner is not None
                        and owner.id == "A"
                        and asyncio.run(_play(nodes["A"].url, key, camera))
                    )
                    if not ok:
                        time.sleep(RETRY_S)
                    return ok

                _until(moved, "the camera playing from A")
                moves.append(time.monotonic() - killed)
                print(f"  relay round {n + 1}: first play {firsts[-1]:.2f} s; node killed → "
                      f"playing from the survivor {moves[-1]:.2f} s", flush=True)  # fmt: skip
                nodes["B"] = node("B")
                _until(
                    lambda: len(live_nodes(client.hgetall(Keys().relay_nodes), now_ms())) == 2,
                    "B back",
                )
        finally:
            for part in nodes.values():
                part.stop()
    return firsts, moves


class Producer(threading.Thread):
    """A case every 100 ms, each acknowledged by a replica; the ids written, in order."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.writer = EventWriter(connect(url, socket_timeout=2), replicas=1)
        self.written: list[tuple[float, int]] = []  # (time acknowledged, cases so far)
        self.stop = threading.Event()

    def run(self) -> None:
        start = datetime.now(SHANGHAI) - timedelta(minutes=30)
        n = 0
        while not self.stop.is_set():
            n += 1
            self.writer.write(
                CaseStory(f"F{n:05d}", start + timedelta(seconds=n)).at(0, "reported").events
            )
            self.written.append((time.monotonic(), n))
            time.sleep(0.1)


def redis_rounds(
    work: Path, rounds: int, replicas: int = 1
) -> tuple[list[float], list[float], list[float], list[float]]:
    """(event → counted without a kill; from the kill: promoted, a write confirmed by a
    replica again, a new event counted)."""
    steady, promoted, counted, confirmed = [], [], [], []
    with SentinelCluster(work / "ha", replicas=replicas) as ha:
        config = shipped_config_copy(work / "wall_config.yaml")
        env = {**os.environ, "REDIS_URL": ha.url}
        log = (work / "aggregate.log").open("wb")
        aggregator = subprocess.Popen([citywall_command(), "aggregate", "--config", str(config)],
                                      stdout=log, stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True)  # fmt: skip
        client = connect(ha.url, socket_timeout=2)
        day = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
        reader = KpiReader(client)

        def reported() -> int:
            try:
                value = reader.summary(day - timedelta(days=1), day + timedelta(days=2))["value"][
                    "reported"
                ]
                return int(value) if value == value else 0
            except redis.RedisError:
                return -1

        producer = Producer(ha.url)
        producer.start()
        try:
            for n in range(rounds):
                _until(lambda: len(producer.written) > 5, "the producer writing")
                for _ in range(5):  # baseline: a case acknowledged → counted
                    at, count = producer.written[-1]
                    _until(partial(_at_least, reported, count), "counted")
                    steady.append(time.monotonic() - at)
                    time.sleep(0.2)
                old = ha.kill_master()
                killed = time.monotonic()
                ha.wait_for_failover(old)
                promoted.append(time.monotonic() - killed)
                # As systemd would: the old master starts again and rejoins as a replica;
                # until then no write is confirmed by a replica (replicas_to_ack 1).
                ha.restart(old)

                def counted_after_kill(killed: float = killed) -> bool:
                    after = [c for t, c in producer.written if t > killed]
                    return bool(after) and reported() >= after[0]

                _until(counted_after_kill, "a case written after the kill counted", 120)
                counted.append(time.monotonic() - killed)
                first_write = min(t for t, _ in producer.written if t > killed)
                confirmed.append(first_write - killed)
                print(f"  redis ({replicas} replica(s)) round {n + 1}: promoted "
                      f"{promoted[-1]:.2f} s, a write confirmed by a replica again "
                      f"{confirmed[-1]:.2f} s, a new case counted "
                      f"{counted[-1]:.2f} s after the kill", flush=True)  # fmt: skip
                ha.wait_for_replicas(replicas)
        finally:
            producer.stop.set()
            producer.join(5)
            aggregator.terminate()
            aggregator.wait(20)
            log.close()
    return steady, promoted, confirmed, counted


def _at_least(read: Callable[[], int], count: int) -> bool:
    return read() >= count


def run(args: argparse.Namespace) -> list[str]:
    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s (max {max(values):.2f})"

    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp:
        work = Path(tmp)
        (work / "relay").mkdir()
        (work / "redis").mkdir()
        (work / "redis2").mkdir()
        firsts, moves = relay_rounds(work / "relay", args.rounds)
        steady, promoted, confirmed, counted = redis_rounds(work / "redis", args.rounds)
        steady2, promoted2, confirmed2, counted2 = redis_rounds(work / "redis2", args.rounds, 2)
    move_ratio = statistics.median(moves) / statistics.median(firsts)
    count_ratio = statistics.median(counted) / statistics.median(steady)
    rows = [["killed", "until", "median (max)", "baseline, same run", "÷ baseline"],
            ["relay node (SIGKILL)", "its camera plays from the survivor", cell(moves),
             f"first play {cell(firsts)}", f"{move_ratio:.1f}"],
            ["Redis master, 1 replica", "a replica promoted by the Sentinels", cell(promoted),
             "", ""],
            ["Redis master, 1 replica", "a write confirmed by a replica again (the old master "
             "rejoined)", cell(confirmed), "", ""],
            ["Redis master, 1 replica", "a case written after the kill is counted",
             cell(counted), f"case → counted {cell(steady)}", f"{count_ratio:.1f}"],
            ["Redis master, 2 replicas", "a replica promoted", cell(promoted2), "", ""],
            ["Redis master, 2 replicas", "a write confirmed by a replica again",
             cell(confirmed2), "", ""],
            ["Redis master, 2 replicas", "a case written after the kill is counted",
             cell(counted2), f"case → counted {cell(steady2)}",
             f"{statistics.median(counted2) / statistics.median(steady2):.1f}"]]  # fmt: skip
    print(
        "\n" + (markdown_table(rows) if args.markdown else "\n".join(" | ".join(r) for r in rows))
    )
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    return run_reporting(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
