"""The web tier's live data: a hub per process that follows the aggregator's updates
and pushes tile parts to the screens over server-sent events (docs/decisions.md).
It knows parts (wall/live/parts.py), not tiles: the app binds each tile's parts."""

from __future__ import annotations

from collections.abc import Sequence

from core.keys import Keys
from core.redis_url import connect
from core.web_heartbeat import this_process, worker_name
from wall.config.models import WallConfigBase
from wall.i18n import Translator
from wall.live.hub import HubSettings, LiveHub
from wall.live.parts import BoundPart, LiveTile
from wall.live.shared import SharedBuild, build_group

__all__ = ["BoundPart", "HubSettings", "LiveHub", "LiveTile", "open_hub"]


def open_hub(
    config: WallConfigBase,
    tiles: Sequence[LiveTile],
    url: str,
    translate: Translator,
    settings: HubSettings | None = None,
) -> LiveHub:
    """A started hub on its own connection (its reads block up to half a second)."""
    client = connect(url, socket_timeout=5, socket_connect_timeout=2, client_name="citywall-web")
    group = build_group(
        ((tile.tile_id, part.name, part.topics) for tile in tiles for part in tile.parts),
        config.wall.locale,
    )
    shared = SharedBuild(client, Keys(config.redis.prefix), group, worker_name(*this_process()))
    hub = LiveHub(client, config, tiles, translate, settings, shared)
    hub.start()
    return hub
