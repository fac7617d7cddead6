"""The data-plane commands: ``citywall simulate`` and ``citywall aggregate``.

The wall config gives them the time zone, the key prefix, the map bounds and the
camera inventory; everything else lives in data_feeds, which knows nothing of Dash.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.keys import Keys
from core.redis_url import connect
from wall.cli_common import (
    add_config_arg,
    add_redis_arg,
    load_or_report,
    redis_url,
    setup_logging,
    stop_on_signals,
)
from wall.config import WallConfig

if TYPE_CHECKING:
    from data_feeds.simulator import CitySettings

DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def add_commands(commands: Any) -> None:
    simulate = commands.add_parser("simulate", help="simulate the city's events into Redis")
    add_config_arg(simulate)
    add_redis_arg(simulate)
    simulate.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (1–10000)"
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed (same seed, same city)")
    simulate.add_argument(
        "--start", type=datetime.fromisoformat, default=None,
        help="simulated start time, ISO 8601 with offset (default now)",
    )  # fmt: skip
    simulate.add_argument(
        "--backfill", type=parse_duration, default=None,
        help="first write the events of this long before the start, at once (e.g. 7d)",
    )  # fmt: skip
    simulate.add_argument(
        "--duration", type=parse_duration, default=None,
        help="stop after this much simulated time (e.g. 6h; default: run until stopped)",
    )  # fmt: skip
    simulate.add_argument(
        "--no-cameras", action="store_true",
        help="leave camera status to the video relay (the demo does: its cameras are real)",
    )  # fmt: skip
    simulate.set_defaults(handler=_simulate_command)

    aggregate = commands.add_parser(
        "aggregate", help="keep the live state and KPIs from the streams"
    )
    add_config_arg(aggregate)
    add_redis_arg(aggregate)
    aggregate.add_argument(
        "--consumer", default=f"{socket.gethostname()}-{os.getpid()}",
        help="this consumer's name in the group (default host-pid)",
    )  # fmt: skip
    aggregate.add_argument(
        "--metrics-port", type=int, default=None, metavar="P",
        help="serve Prometheus metrics on http://127.0.0.1:P/metrics (default: none)",
    )  # fmt: skip
    aggregate.set_defaults(handler=_aggregate_command)


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: use a number and s, m, h or d (e.g. 7d)")
    return timedelta(**{UNITS[match.group(2)]: float(match.group(1))})


def city_settings(config: WallConfig, seed: int, *, cameras: bool = True) -> CitySettings:
    """The simulated city of a wall config: its bounds, time zone and camera inventory
    (``cameras`` false: no camera events). Case addresses come from the inventory's
    names and positions (intersections such as 湘阴大道与解放路交叉口) either way."""
    from data_feeds.simulator import CitySettings

    (south, west), (north, east) = config.map.bounds
    inventory = config.cameras.items
    return CitySettings(
        bounds=((south, west), (north, east)),
        camera_ids=tuple(camera.id for camera in inventory) if cameras else (),
        timezone=config.wall.timezone,
        seed=seed,
        places=tuple((camera.name, camera.lat, camera.lon) for camera in inventory),
    )


def _simulate_command(args: argparse.Namespace) -> int:

    from data_feeds.simulator import Simulator
    from data_feeds.writer import EventWriter

    config = load_or_report(args.config)
    if config is None:
        return 1
    if not 1 <= args.speed <= 10_000:
        print("citywall simulate: --speed must be between 1 and 10000", file=sys.stderr)
        return 2
    setup_logging()
    stopped = stop_on_signals()
    client = connect(redis_url(config, args.redis_url))
    settings = city_settings(config, args.seed, cameras=not args.no_cameras)
    start = args.start or datetime.now().astimezone()
    writer = EventWriter(
        client, _keys(config), stop=lambda: stopped[0], replicas=config.redis.replicas_to_ack
    )
    simulator = Simulator(
        settings, writer.write, speed=args.speed, start=start,
        backfill_from=start - args.backfill if args.backfill else None,
        stop=lambda: stopped[0],
    )  # fmt: skip
    stats = simulator.run(args.duration)
    counts = ", ".join(f"{name} {count:,}" for name, count in stats.written.items())
    print(
        f"simulate: {stats.total:,} events ({counts}); simulated time reached "
        f"{stats.end.astimezone(start.tzinfo).isoformat(timespec='seconds')}",
        flush=True,
    )
    client.close()
    return 0


def _aggregate_command(args: argparse.Namespace) -> int:

    from data_feeds.aggregator import Aggregator, AggregatorSettings

    config = load_or_report(args.config)
    if config is None:
        return 1
    setup_logging()
    stopped = stop_on_signals()
    url = redis_url(config, args.redis_url)
    client = connect(url)
    settings = AggregatorSettings(consumer=args.consumer, timezone=config.wall.timezone)
    aggregator = Aggregator(client, settings, _keys(config))
    metrics = None
    if args.metrics_port is not None:
        from data_feeds.aggregator.metrics import aggregator_registry, serve_metrics

        registry = aggregator_registry(aggregator, url, _keys(config))
        try:
            metrics = serve_metrics(registry, args.metrics_port)
        except OSError as exc:
            print(f"citywall aggregate: --metrics-port {args.metrics_port}: {exc}", file=sys.stderr)
            aggregator.close()
            client.close()
            return 2
    print(f"aggregate: consumer {args.consumer} on {url}", flush=True)
    try:
        stats = aggregator.run(stop=lambda: stopped[0])
    finally:
        if metrics is not None:
            metrics.shutdown()
        aggregator.close()
        client.close()
    print(f"aggregate: {stats}", flush=True)
    return 0


def _keys(config: WallConfig) -> Keys:
    return Keys(config.redis.prefix)
