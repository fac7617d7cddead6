"""``citywall relay``: the WebRTC (WHEP) relay of the config's cameras.

The wall config gives it the cameras' URLs and the relay settings; the relay itself
(streams.relay) knows nothing of Dash or of the config.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from typing import Any

from core.redis_url import connect, connect_async
from core.secrets import refuse_to_expose, relay_key
from streams.packets import StreamName
from wall.cli_common import add_config_arg, load_or_report, setup_logging
from wall.config import WallConfig


def add_commands(commands: Any) -> None:
    relay = commands.add_parser("relay", help="relay the cameras to browsers over WebRTC (WHEP)")
    add_config_arg(relay)
    relay.add_argument("--host", default=None, help="address to listen on (default relay.host)")
    relay.add_argument("--port", type=int, default=None, help="port (default relay.port)")
    relay.add_argument(
        "--redis-url", default=None, help="where camera states go (default $REDIS_URL, else none)"
    )
    relay.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="run N relay nodes on ports PORT..PORT+N-1 (one per core), kept running; "
        "each camera is relayed by exactly one of them (docs/scale.md)",
    )  # fmt: skip
    relay.add_argument(
        "--node", default=None,
        help="this node's name among the relay nodes (default HOSTNAME:PORT)",
    )  # fmt: skip
    relay.add_argument(
        "--public-url", default=None,
        help="where browsers reach this node (default relay.public_url, else http://HOST:PORT)",
    )  # fmt: skip
    relay.set_defaults(handler=_relay_command)


def camera_urls(config: WallConfig) -> dict[str, dict[StreamName, str]]:
    """Each camera's streams as the relay opens them: ``transcode:`` in front of those
    of a camera with ``transcode: h264`` (streams/sources/transcode.py)."""
    urls: dict[str, dict[StreamName, str]] = {}
    for camera in config.cameras.items:
        prefix = "transcode:" if camera.transcode == "h264" else ""
        urls[camera.id] = {"main": prefix + camera.main, "sub": prefix + camera.sub}
    return urls


def warm_streams(config: WallConfig) -> tuple[tuple[str, StreamName], ...]:
    """The camera streams ``relay.keep_warm`` names, by id or tag, in inventory order."""
    spec = config.relay.keep_warm
    if spec is None:
        return ()
    ids, tags = set(spec.cameras), set(spec.tags)
    chosen = [c.id for c in config.cameras.items if c.id in ids or tags & set(c.tags)]
    return tuple((camera_id, stream) for camera_id in chosen for stream in spec.streams)


def _relay_command(args: argparse.Namespace) -> int:

    config = load_or_report(args.config)
    if config is None:
        return 1
    refusal = refuse_to_expose(args.host or config.relay.host)
    if refusal:
        print(f"citywall relay: {refusal}", file=sys.stderr)
        return 1
    setup_logging()  # plain, or JSON with CITYWALL_LOG_FORMAT=json
    redis_url = args.redis_url or os.environ.get("REDIS_URL") or config.redis.url
    if args.workers > 1:
        from wall.relay_workers import run_workers

        return run_workers(args, config, redis_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, args, redis_url))
    return 0


def _relay_key(config: WallConfig, redis_url: str | None) -> str:
    """The key the web tier signs viewer tokens with (shared through Redis if generated)."""

    from core.keys import Keys

    client = connect(redis_url, socket_timeout=5) if redis_url else None
    try:
        return relay_key(client, Keys(config.redis.prefix), config.relay.token).value
    finally:
        if client is not None:
            client.close()


async def _serve(config: WallConfig, args: argparse.Namespace, redis_url: str | None) -> None:
    from aiortc import RTCIceServer

    from streams.relay.server import RelaySettings, run_relay
    from streams.sources.registry import open_source

    spec = config.relay
    settings = RelaySettings(
        token=_relay_key(config, redis_url),
        host=args.host or spec.host,
        port=args.port or spec.port,
        grace_s=spec.grace_s,
        history_s=spec.clip_buffer_s,
        probe_interval_s=spec.probe_interval_s,
        probe_concurrency=spec.probe_concurrency,
        keep_warm=warm_streams(config),
        ice_servers=tuple(RTCIceServer(urls=url) for url in spec.ice_servers),
        host_addresses=tuple(spec.host_addresses),
        cors_origins=("*",),
    )
    sink = (
        _event_sink(redis_url, config.redis.prefix, config.redis.replicas_to_ack)
        if redis_url
        else None
    )
    print(
        f"citywall relay: {len(config.cameras.items)} cameras on "
        f"http://{settings.host}:{settings.port}/whep/<camera>",
        flush=True,
    )
    membership = _membership(config, args, settings.host, settings.port, redis_url)
    await run_relay(settings, camera_urls(config), open_source, sink, membership=membership)


def _membership(
    config: WallConfig, args: argparse.Namespace, host: str, port: int, redis_url: str | None
) -> Any:
    """This relay as a node of the installation's relays (None without Redis)."""
    if not redis_url:
        return None
    import socket

    from core.keys import Keys
    from core.relay_nodes import RelayNode
    from streams.relay.nodes import NodeMembership

    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    node = RelayNode(
        id=args.node or f"{socket.gethostname()}:{port}",
        url=f"http://{reach}:{port}",
        public_url=args.public_url or config.relay.public_url or f"http://{reach}:{port}",
    )
    return NodeMembership(connect_async(redis_url), Keys(config.redis.prefix).relay_nodes, node)


def _event_sink(url: str, prefix: str, replicas: int = 0) -> Any:
    """Camera states as events on ``citywall:cameras``: the aggregator applies them like
    any producer's (one writer of the live state). The blocking write (it retries
    through Redis outages) runs in a thread, off the video path. The relay's own view
    (connecting / online / offline, last error) also goes to ``relay:cameras``."""
    from datetime import UTC, datetime

    from core.camera_status import CameraStatus
    from core.keys import Keys
    from data_feeds.events import CameraEvent
    from data_feeds.writer import EventWriter
    from streams.relay.status import redis_status_sink

    writer = EventWriter(connect(url), Keys(prefix), replicas=replicas)
    # The relay's own view, connecting included, with the last error: for operators.
    relay_view = redis_status_sink(connect_async(url), Keys(prefix).relay_cameras)

    async def sink(camera_id: str, status: CameraStatus) -> None:
        await relay_view(camera_id, status)
        if status.status == "connecting":
            return  # online and offline are the city's: they go through the data plane
        event = CameraEvent(
            event_id=f"relay-{camera_id}-{status.t}",
            time=datetime.fromtimestamp(status.t / 1000, UTC),
            camera_id=camera_id,
            status=status.status,
            reason=status.reason[:64] if status.reason else None,
        )
        await asyncio.to_thread(writer.write, [event])

    return sink
