"""The relay process: settings, the aiohttp app (hub + WHEP), and running it until told
to stop; shutdown closes every peer connection, then every upstream and its source."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aioice.ice
from aiohttp import web
from aiortc import RTCIceServer

from core.tokens import check_clip_token, check_snapshot_token, check_viewer_token
from streams.packets import StreamName
from streams.relay.clips import add_clip_routes
from streams.relay.hub import CameraHub, CameraUrls, SourceFactory
from streams.relay.keep_warm import WarmKeeper
from streams.relay.nodes import NodeMembership
from streams.relay.prober import CameraProber
from streams.relay.reconnect import ReconnectSchedule, reconnect_delay
from streams.relay.snapshot import add_snapshot_route
from streams.relay.status import StatusSink
from streams.relay.whep import WhepOptions, create_whep_app

log = logging.getLogger(__name__)

HUB = web.AppKey("hub", CameraHub)
PROBER = web.AppKey("prober", CameraProber)
KEEPER = web.AppKey("keeper", WarmKeeper)


@dataclass(frozen=True)
class RelaySettings:
    token: str  # the key viewers' tokens are signed with (core.tokens)
    host: str = "127.0.0.1"
    port: int = 8889
    grace_s: float = 10.0  # keep pulling a camera this long after its last viewer left
    ice_servers: tuple[RTCIceServer, ...] = ()  # none by default: no public STUN
    host_addresses: tuple[str, ...] = ()  # ICE host candidates to use instead of the NICs'
    cors_origins: tuple[str, ...] = ()  # the wall's origin(s); "*" for any
    burst_speed: float | None = None  # GOP burst pace in x real time; None: at once
    connect_timeout_s: float = 30.0
    probe_interval_s: float = 0.0  # probe unwatched cameras this often (0: never)
    keep_warm: tuple[tuple[str, StreamName], ...] = ()  # pulled all the time (keep_warm.py)
    probe_concurrency: int = 16
    history_s: float = 60.0  # kept per running upstream for clips' pre-roll (hub docstring)


def force_host_addresses(addresses: Sequence[str]) -> Callable[[], None]:
    """Make aioice offer exactly these host addresses (it never offers 127.0.0.1 itself,
    so a machine with only ``lo`` needs this); returns the undo. Process-wide."""
    original = aioice.ice.get_host_addresses
    chosen = list(addresses)

    def fixed(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = fixed

    def undo() -> None:
        aioice.ice.get_host_addresses = original

    return undo


def create_app(
    settings: RelaySettings,
    cameras: CameraUrls,
    source_factory: SourceFactory,
    status_sink: StatusSink | None = None,
    *,
    schedule: ReconnectSchedule = reconnect_delay,
    membership: NodeMembership | None = None,
) -> web.Application:
    """The relay as an aiohttp app (``app[HUB]`` is its hub); cleanup closes everything."""
    if not settings.token:
        raise ValueError("the relay needs a token (RelaySettings.token)")
    key = settings.token

    def check_token(token: str, camera_id: str, allow_expired: bool) -> bool:
        return check_viewer_token(key, token, camera_id, allow_expired=allow_expired)

    hub = CameraHub(
        cameras,
        source_factory,
        status_sink,
        grace_s=settings.grace_s,
        schedule=schedule,
        history_s=settings.history_s,
    )
    options = WhepOptions(
        check_token=check_token,
        cors_origins=settings.cors_origins,
        ice_servers=settings.ice_servers,
        burst_speed=settings.burst_speed,
        connect_timeout_s=settings.connect_timeout_s,
    )
    if membership is not None:
        options.owner_elsewhere = membership.owner_elsewhere
    app = create_whep_app(hub, options)
    app[HUB] = hub
    add_snapshot_route(
        app,
        hub,
        lambda token, camera_id: check_snapshot_token(key, token, camera_id),
        owner_elsewhere=options.owner_elsewhere,
    )
    add_clip_routes(  # its cleanup (every recorder unsubscribed) runs before close_hub's
        app,
        hub,
        lambda token, camera_id: check_clip_token(key, token, camera_id),
        owner_elsewhere=options.owner_elsewhere,
    )
    undo = force_host_addresses(settings.host_addresses) if settings.host_addresses else None

    if membership is not None:

        async def join(_: web.Application) -> None:
            membership.start()

        async def leave(_: web.Application) -> None:
            await membership.stop()  # first: the other nodes take our cameras at once

        app.on_startup.append(join)
        app.on_shutdown.insert(0, leave)

    owner_elsewhere = options.owner_elsewhere
    prober = CameraProber(
        hub, cameras, interval_s=settings.probe_interval_s,
        concurrency=settings.probe_concurrency,
        owns=lambda camera_id: owner_elsewhere(camera_id) is None,  # each node its own
    )  # fmt: skip
    app[PROBER] = prober
    keeper = WarmKeeper(hub, settings.keep_warm, owns=lambda c: owner_elsewhere(c) is None)
    app[KEEPER] = keeper

    async def start_probing(_: web.Application) -> None:
        prober.start()
        keeper.start()

    app.on_startup.append(start_probing)

    async def close_hub(_: web.Application) -> None:
        await prober.close()
        await keeper.close()
        await hub.close()  # after on_shutdown closed the peer connections
        if undo is not None:
            undo()

    app.on_cleanup.append(close_hub)
    return app


async def run_relay(
    settings: RelaySettings,
    cameras: CameraUrls,
    source_factory: SourceFactory,
    status_sink: StatusSink | None = None,
    *,
    stop: asyncio.Event | None = None,
    membership: NodeMembership | None = None,
) -> None:
    """Serve until ``stop`` is set (default: until SIGINT or SIGTERM), then shut down."""
    app = create_app(settings, cameras, source_factory, status_sink, membership=membership)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
                installed.append(signum)
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        log.info("relay on http://%s:%d/whep/ (%d cameras)", settings.host, settings.port,
                 len(cameras))  # fmt: skip
        await stop.wait()
        log.info("relay stopping")
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        await runner.cleanup()
