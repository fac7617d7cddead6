"""What a running wall needs besides its config, made from one Redis URL: the live hub,
the wall state, the alarm watcher, the device tokens, the evidence store and the
session key. One place makes them for every way of serving (``citywall serve``, the
demo, any WSGI server through app.py); with no Redis, none but a process-own key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import redis

from core.keys import Keys
from core.redis_url import connect
from core.relay_nodes import NodeView
from core.secrets import relay_key, session_secret
from wall.api.install import ApiServices, open_api
from wall.auth.devices import DeviceTokens
from wall.config.models import WallConfigBase
from wall.control import WallControl
from wall.control.alarms import AlarmWatcher
from wall.control.case_file import CaseFiles
from wall.control.case_report import CaseReporter
from wall.control.clips import ClipStore
from wall.control.retention import SnapshotSweeper, sweep_snapshots
from wall.control.snapshots import SnapshotStore
from wall.i18n import Translator
from wall.live import LiveHub, open_hub
from wall.tile_views import AnyTileView, live_tiles


@dataclass
class Services:
    """Every one is None when the wall has no Redis: tiles then say 未接入数据."""

    secret: str  # signs the session cookies
    client: redis.Redis | None = None  # the wall's Redis (the public pages read cases)
    # Signs viewer and snapshot tokens, the relay checks them; by default one of this
    # process only (tests): no relay accepts its tokens.
    relay_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    hub: LiveHub | None = None
    devices: DeviceTokens | None = None
    control: WallControl | None = None
    watcher: AlarmWatcher | None = None
    snapshots: SnapshotStore | None = None
    clips: ClipStore | None = None  # evidence clips, recorded by the relay
    sweeper: SnapshotSweeper | None = None
    relays: NodeView | None = None  # the relay nodes beating in Redis: who owns a camera
    api: ApiServices | None = None  # other systems' events, officers' terminals
    cases: CaseFiles | None = None  # the console's case panel
    reporter: CaseReporter | None = None  # 视频巡逻 → 上报

    def start(self) -> None:
        """Start the background threads (the hub started when it was opened)."""
        if self.watcher is not None:
            self.watcher.start()  # the alarm pop-up: new urgent / video cases
        if self.sweeper is not None:
            self.sweeper.start()  # snapshots past their retention

    def stop(self) -> None:
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.watcher is not None:
            self.watcher.stop()
        if self.hub is not None:
            self.hub.stop()


def open_services(
    config: WallConfigBase,
    views: Mapping[str, AnyTileView],
    translate: Translator,
    redis_url: str | None,
    snapshots_at: Path,
) -> Services:
    """The services of one web process; call ``start`` once it serves."""
    keys = Keys(config.redis.prefix)
    if not redis_url:
        return Services(
            secret=session_secret(None, keys).value,
            relay_key=relay_key(None, keys, config.relay.token).value,
        )
    client = connect(redis_url, socket_timeout=2)
    key = relay_key(client, keys, config.relay.token).value
    relays = NodeView(read=lambda: client.hgetall(keys.relay_nodes))
    store = SnapshotStore(client, config, snapshots_at, relay_key=key, relays=relays)
    control = WallControl(client, config)
    watcher = None
    if config.alarms is not None:
        watcher = AlarmWatcher(client, config, control, consumer=f"web-{os.getpid()}")
    hub = open_hub(config, live_tiles(config, views), redis_url, translate)
    return Services(
        secret=session_secret(client, keys).value,
        client=client,
        relay_key=key,
        hub=hub,
        devices=DeviceTokens(client, keys),
        control=control,
        watcher=watcher,
        snapshots=store,
        clips=ClipStore(client, config, store, key),
        sweeper=SnapshotSweeper(partial(sweep_snapshots, client, config, store.directory)),
        relays=relays,
        api=open_api(client, keys, config.ingest, config.redis.replicas_to_ack),
        cases=CaseFiles(client, config),
        reporter=CaseReporter(client, config, store),
    )


def process_services() -> Services:
    """Keys for one process only (its sessions end with it): tests, no Redis."""
    return Services(secret=secrets.token_urlsafe(32), relay_key=secrets.token_urlsafe(32))
