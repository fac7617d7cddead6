"""The baseline of ``bench.push_latency``: live KPIs the plain Dash way, a ``dcc.Interval``
per page whose server callback reads Redis for that page, every tick.

Same tile layout (``wall.tiles.kpi.layout``, with ids added to the value and change
cells), same values function (``kpi.values`` over a ``LiveData``), same waitress
thread count and the same Redis client name (``citywall-web``) as ``citywall serve``.
Nothing is shared between pages: that is the point of the baseline.

``python -m bench._interval_app --config F --port P [--interval-ms 250]`` with
``REDIS_URL`` in the environment (else ``redis.url`` of the config).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import redis
from dash import ALL, Dash, Input, Output, ctx, dcc, html
from dash.development.base_component import Component
from flask import Flask, Response, jsonify

from core.keys import Keys
from data_feeds.kpis import KpiReader
from wall.config import load_config
from wall.config.models import WallConfigBase
from wall.config.tiles.kpi import KpiTile
from wall.html_attrs import attrs
from wall.live.data import LiveData
from wall.tile_view import TileContext
from wall.tile_views import wall_translator
from wall.tiles import kpi

VALUE = "cw-kpi-value"
CHANGE = "cw-kpi-change"


def tile_layout(tile: KpiTile, context: TileContext) -> Component:
    """The kpi tile's own layout, its value and change cells given pattern-matching ids."""
    body = kpi.layout(tile, context)
    for cell in body.children:
        key = getattr(cell, "data-kpi", None)
        if key is None:
            continue
        _label, value, change = cell.children
        value.id = {"type": VALUE, "tile": tile.id, "kpi": key}
        change.id = {"type": CHANGE, "tile": tile.id, "kpi": key}
    return html.Div(
        html.Div(body, className="cw-tile__body"),
        id=f"tile-{tile.id}",
        className="cw-tile cw-tile--kpi",
        **attrs(data_tile_id=tile.id, data_tile_type="kpi"),
    )


def create_app(config: WallConfigBase, client: redis.Redis, interval_ms: int) -> Dash:
    tiles = {tile.id: tile for tile in config.tiles if isinstance(tile, KpiTile)}
    translate = wall_translator(config.wall.locale)
    context = TileContext(config=config, translate=translate)
    keys = Keys(config.redis.prefix)
    app = Dash(
        __name__,
        title=config.wall.title,
        update_title="",
        include_assets_files=False,
        serve_locally=True,
    )
    app.layout = html.Div(
        [
            dcc.Interval(id="tick", interval=interval_ms),
            *(tile_layout(tile, context) for tile in tiles.values()),
        ],
        lang=context.translate.locale,
    )

    @app.callback(
        Output({"type": VALUE, "tile": ALL, "kpi": ALL}, "children"),
        Output({"type": CHANGE, "tile": ALL, "kpi": ALL}, "children"),
        Input("tick", "n_intervals"),
    )
    def _tick(_n: int | None) -> tuple[list[str], list[str]]:
        # Per page and per tick: read Redis and build the values, as a plain app does.
        data = LiveData(client, KpiReader(client, keys, config.wall.timezone), config, translate)
        built: dict[str, dict[str, Any]] = {}
        texts: list[str] = []
        for spec in ctx.outputs_list[0]:
            tile_id, key = spec["id"]["tile"], spec["id"]["kpi"]
            if tile_id not in built:
                built[tile_id] = kpi.values(tiles[tile_id], data)
            texts.append(built[tile_id][key]["text"])
        changes = [built[s["id"]["tile"]][s["id"]["kpi"]]["change"] for s in ctx.outputs_list[1]]
        return texts, changes

    server: Flask = app.server

    @server.route("/healthz")
    def _healthz() -> Response:
        return jsonify(status="ok")

    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._interval_app", description=__doc__)
    parser.add_argument("--config", required=True, help="the wall config (its kpi tiles)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval-ms", type=int, default=250, help="dcc.Interval (250)")
    parser.add_argument("--threads", type=int, default=128, help="waitress threads (128)")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    url = os.environ.get("REDIS_URL") or config.redis.url
    if not url:
        print("no Redis: set REDIS_URL", file=sys.stderr)
        return 2
    client = redis.Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=2, client_name="citywall-web"
    )
    app = create_app(config, client, args.interval_ms)
    from waitress import serve

    print(
        f"interval baseline on http://{args.host}:{args.port}/ ({args.interval_ms} ms)", flush=True
    )
    serve(app.server, host=args.host, port=args.port, threads=args.threads, _quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
