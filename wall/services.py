"""What a running wall needs besides its config, made from one Redis URL: the live hub,
the wall state, the alarm watcher, the device tokens, the evidence store and the
session key. One place makes them for every way of serving (``citywall serve``, the
demo, any WSGI server through app.py); with no Redis, none but a process-own key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import redis

from core.keys import Keys
from wall.auth.devices import DeviceTokens
from wall.auth.secret import session_secret
from wall.config.models import WallConfigBase
from wall.control import WallControl
from wall.control.alarms import AlarmWatcher
from wall.control.snapshots import SnapshotStore
from wall.i18n import Translator
from wall.live import LiveHub, open_hub
from wall.tile_views import AnyTileView, live_tiles


@dataclass
class Services:
    """Every one is None when the wall has no Redis: tiles then say 未接入数据."""

    secret: str
    hub: LiveHub | None = None
    devices: DeviceTokens | None = None
    control: WallControl | None = None
    watcher: AlarmWatcher | None = None
    snapshots: SnapshotStore | None = None

    def start(self) -> None:
        """Start the background threads (the hub started when it was opened)."""
        if self.watcher is not None:
            self.watcher.start()  # the alarm pop-up: new urgent / video cases

    def stop(self) -> None:
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
    if not redis_url:
        return Services(secret=session_secret(None, Keys(config.redis.prefix)))
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    keys = Keys(config.redis.prefix)
    control = WallControl(client, config)
    watcher = None
    if config.alarms is not None:
        watcher = AlarmWatcher(client, config, control, consumer=f"web-{os.getpid()}")
    hub = open_hub(config, live_tiles(config, views), redis_url, translate)
    return Services(
        secret=session_secret(client, keys),
        hub=hub,
        devices=DeviceTokens(client, keys),
        control=control,
        watcher=watcher,
        snapshots=SnapshotStore(client, config, snapshots_at),
    )


def fresh_secret() -> str:
    """A key for one process only (its sessions end with it): tests, no Redis."""
    return secrets.token_urlsafe(32)
