"""Web workers sharing one build (issue 14): Redis commands per update and update →
every worker's state, for 1, 2 and 4 workers, each worker built alone (the baseline,
what every worker did before) and sharing one build (wall.live.shared).

Real parts: a real redis-server, the real aggregator and the shipped wall's live tiles.
Each worker is a ``LiveHub`` on its own connection, in its own thread (as in a
``citywall serve`` process; one process here so that the machine's two cores are not
spent on N interpreters starting). An update is one dispatched case written by a
producer; it is done when every worker's KPI tile shows the new count. Commands are
counted by the server (``INFO commandstats``) and the producer's and aggregator's own
commands (measured with no worker) are subtracted.

``python -m bench.shared_build [--updates 40] [--quick] [--markdown]``
Exits 1 when a measurement could not be made.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import count
from pathlib import Path

import redis

from bench.report import markdown_table, run_reporting
from core.keys import Keys
from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.events import CaseEvent
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from wall.config import load_config
from wall.config.models import WallConfigBase
from wall.live.hub import HubSettings, LiveHub
from wall.live.shared import SharedBuild, build_group
from wall.tile_views import live_tiles, tile_views, wall_translator

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = datetime.now().astimezone().tzinfo
_ids = count(1)


@dataclass(frozen=True)
class Row:
    workers: int
    shared: bool
    commands: float  # Redis commands per update issued by the web workers
    p50_ms: float  # update written -> every worker shows it
    p95_ms: float


def _commands(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(
        int(v["calls"]) for k, v in stats.items() if isinstance(v, dict) and k != "cmdstat_info"
    )


def _case(now: datetime) -> list[CaseEvent]:
    """One case reported, filed and dispatched."""
    case = f"B-{next(_ids):05d}"
    base = {"case_id": case, "kind": "event", "category": "0503", "source": "patrol",
            "priority": "normal", "lat": 28.69, "lon": 112.89, "grid": "430624-0101"}  # fmt: skip
    steps = [
        (0, "reported", {}),
        (1, "filed", {}),
        (2, "dispatched", {"dept": "城管执法大队", "deadline": now + timedelta(hours=2)}),
    ]
    return [
        CaseEvent.model_validate(
            {
                **base,
                **extra,
                "event_id": f"{case}-{status}",
                "status": status,
                "time": now + timedelta(minutes=minutes),
            }
        )
        for minutes, status, extra in steps
    ]


def _dispatched_everywhere(hubs: list[LiveHub], tile: str, want: str) -> bool:
    for hub in hubs:
        values = hub.state(tile).get("values", {})
        if str(values.get("dispatched", {}).get("text", "")) != want:
            return False
    return True


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {what}")
        time.sleep(0.002)


def _hubs(url: str, config: WallConfigBase, workers: int, shared: bool) -> list[LiveHub]:
    views = tile_views()
    tiles = live_tiles(config, views)
    translate = wall_translator(config.wall.locale, views)
    group = build_group(
        ((t.tile_id, p.name, p.topics) for t in tiles for p in t.parts), config.wall.locale
    )
    hubs = []
    for n in range(workers):
        client = redis.Redis.from_url(url, client_name=f"bench-web-{n}")
        sharing = SharedBuild(client, Keys(), group, f"bench-{n}") if shared else None
        hub = LiveHub(client, config, tiles, translate, HubSettings(block_ms=200), sharing)
        hub.start()
        hubs.append(hub)
    return hubs


def measure(workers: int, shared: bool, updates: int, config: WallConfigBase, tile: str) -> Row:
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)
        writer = EventWriter(client)
        aggregator = Aggregator(
            redis.Redis.from_url(server.url), AggregatorSettings(consumer="bench")
        )
        aggregator.ensure_groups()
        client.set(Keys().heartbeat, int(time.time() * 1000))
        now = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=30)
        writer.write(_case(now))
        aggregator.drain()
        hubs = _hubs(server.url, config, workers, shared) if workers else []
        try:
            if hubs:
                _wait(lambda: _dispatched_everywhere(hubs, tile, "1"), "the first build")
                time.sleep(1.0)  # the followers' elections settle
            before = _commands(client)
            latencies = []
            for n in range(updates):
                client.set(Keys().heartbeat, int(time.time() * 1000))
                began = time.perf_counter()
                writer.write(_case(now))
                aggregator.drain(idle_rounds=1)
                if hubs:
                    want = str(n + 2)
                    _wait(partial(_dispatched_everywhere, hubs, tile, want), f"update {n}")
                latencies.append((time.perf_counter() - began) * 1000)
            spent = _commands(client) - before
        finally:
            for hub in hubs:
                hub.stop()
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    return Row(workers, shared, spent / updates, statistics.median(latencies), p95)


def run(args: argparse.Namespace) -> list[str]:
    config = load_config(ROOT / "wall_config.yaml")
    tile = next(t.id for t in config.tiles if "dispatched" in getattr(t, "kpis", ()))
    updates = 10 if args.quick else args.updates
    floor = measure(0, False, updates, config, tile)  # producer + aggregator alone
    rows = [
        measure(n, shared, updates, config, tile) for n in (1, 2, 4) for shared in (False, True)
    ]
    table = [
        [
            "workers",
            "build",
            "web commands / update",
            "÷ 1 worker alone",
            "update → every worker p50 / p95",
        ]
    ]
    one = next(r for r in rows if r.workers == 1 and not r.shared).commands - floor.commands
    for row in rows:
        web = row.commands - floor.commands
        table.append([str(row.workers), "shared" if row.shared else "each alone", f"{web:.1f}",
                      f"{web / one:.2f}", f"{row.p50_ms:.1f} / {row.p95_ms:.1f} ms"])  # fmt: skip
    head = (f"{updates} updates (one dispatched case each) per row; the shipped wall's live "
            f"tiles; producer + aggregator alone: {floor.commands:.1f} commands / update "
            "(subtracted)")  # fmt: skip
    print(head + "\n")
    print(markdown_table(table) if args.markdown else "\n".join("  ".join(r) for r in table))
    return []  # every row measured (a failure raises)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    return run_reporting(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
