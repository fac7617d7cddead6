"""The web tier's live data: a hub per process that follows the aggregator's updates
and pushes tile parts to the screens over server-sent events (docs/decisions.md)."""

from __future__ import annotations

from collections.abc import Mapping

import redis

from wall.config.models import WallConfigBase
from wall.live.hub import HubSettings, LiveHub, LiveTile
from wall.tiles.base import TileType

__all__ = ["HubSettings", "LiveHub", "LiveTile", "live_tiles", "open_hub"]


def live_tiles(config: WallConfigBase, types: Mapping[str, TileType]) -> list[LiveTile]:
    """Every tile of the config that shows live data, with its parts."""
    tiles = []
    for tile in config.tiles:
        live = types[tile.type].live
        parts = live(tile) if live is not None else ()
        if parts:
            tiles.append(LiveTile(tile, parts))
    return tiles


def open_hub(
    config: WallConfigBase,
    types: Mapping[str, TileType],
    url: str,
    settings: HubSettings | None = None,
) -> LiveHub:
    """A started hub on its own connection (its reads block up to half a second)."""
    client = redis.Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=2, client_name="citywall-web"
    )
    hub = LiveHub(client, config, live_tiles(config, types), settings)
    hub.start()
    return hub
