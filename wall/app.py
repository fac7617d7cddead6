"""Build the Dash app for a validated config. No globals: everything is passed in."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from dash import Dash, Input, Output, dcc, html
from dash.development.base_component import Component
from flask import Flask, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from core.tokens import TTL_S, sign_viewer_token
from layouts import Pages, render
from layouts.admin_panel import register_admin_callbacks
from layouts.console_callbacks import register_console_callbacks
from layouts.not_found import not_found_html
from layouts.tablet_page import register_tablet_callbacks
from wall.admin_routes import install_admin_routes
from wall.auth.devices import DeviceTokens
from wall.auth.gate import Gate, current_name, is_public
from wall.auth.operator_guard import RoleGuard
from wall.config.models import WallConfigBase
from wall.control import WallControl
from wall.control.snapshots import SnapshotStore
from wall.i18n import Translator
from wall.live.hub import LiveHub
from wall.live.sse import install_live_routes
from wall.paths import ASSETS_DIR
from wall.snapshot_routes import install_snapshot_routes
from wall.tiles.base import TileContext, TileType
from wall.tiles.registry import tile_types

ReloadSpec = tuple[Path, Callable[[], None]]  # the config file, and how to restart with it


def create_app(
    config: WallConfigBase,
    types: Mapping[str, TileType] | None = None,
    hub: LiveHub | None = None,
    devices: DeviceTokens | None = None,
    secret: str | None = None,
    control: WallControl | None = None,
    snapshots: SnapshotStore | None = None,
    reload: ReloadSpec | None = None,
) -> Dash:
    """The wall's Dash app behind its sign-in gate. ``hub`` feeds the live tiles (without
    one they say 未接入数据); ``devices`` checks the wall PCs' tokens; ``secret`` signs
    sessions (a fresh one if None: sessions then end with the process)."""
    types = dict(types if types is not None else tile_types())
    translate = Translator(config.wall.locale)
    ctx = TileContext(config=config, translate=translate, control=control)
    pages = Pages(ctx=ctx, types=types)
    app = Dash(
        __name__,
        assets_folder=str(ASSETS_DIR),
        title=config.wall.title,
        update_title="",  # no "Updating..." flicker in the tab of an unattended screen
        suppress_callback_exceptions=True,  # tiles are rendered by the router, not at start
        serve_locally=True,  # a hall has no internet: never a CDN
    )
    app.layout = html.Div(
        [dcc.Location(id="url", refresh=False), html.Div(id="page", className="cw-page")],
        lang=translate.locale,
    )

    @app.callback(Output("page", "children"), Input("url", "pathname"))
    def _route(pathname: str | None) -> Component:
        return render(pages, pathname)

    for tile_type in types.values():
        if tile_type.register_callbacks is not None:
            tile_type.register_callbacks(app)
    register_tablet_callbacks(app, pages.ctx)
    register_console_callbacks(app, pages.ctx, snapshots)
    register_admin_callbacks(app, pages.ctx, devices)
    gate = Gate(config.auth, translate, config.wall.title, devices)
    gate.install(app.server, secret or secrets.token_urlsafe(32))
    RoleGuard("operator", pages=("/console",), id_prefix="console").install(app.server)
    RoleGuard("admin", pages=(), id_prefix="admin").install(app.server)
    _install_http_routes(app.server, pages)
    install_snapshot_routes(app.server, snapshots)
    audit = control.audit if control is not None else None
    path, restart = reload if reload is not None else (None, None)
    install_admin_routes(app.server, path, restart, audit)
    install_live_routes(app.server, hub)
    return app


# Dash answers every other path with its page; which of those exist, the router knows.
DASH_PAGE_RULES = frozenset({"/", "/<path:path>"})


def _install_http_routes(server: Flask, pages: Pages) -> None:
    wall = pages.ctx.config.wall
    camera_ids = pages.ctx.config.camera_ids()

    @server.route("/healthz")
    def _healthz() -> Response:
        return jsonify(status="ok")

    @server.route("/video/token")
    def _video_token() -> ResponseReturnValue:
        """A viewer token for one camera (the gate has checked the session)."""
        camera_id = request.args.get("camera", "")
        if camera_id not in camera_ids:
            return jsonify(error=f"no camera {camera_id!r}"), 404
        token = sign_viewer_token(pages.ctx.config.relay.token, current_name(), camera_id)
        return jsonify(token=token, ttl_s=TTL_S)

    @server.before_request
    def _unknown_paths_get_404() -> ResponseReturnValue | None:
        path = request.path
        rule = request.url_rule
        if rule is not None and rule.rule not in DASH_PAGE_RULES:
            return None  # a route of its own (Dash's endpoints, static files, ours)
        if is_public(path):
            return None  # e.g. /favicon.ico: browsers ask for it without a session
        if path == "/":
            return redirect("/wall")
        if pages.is_page(path):
            return None
        html_text = not_found_html(path, pages.ctx.translate, wall.screen_count, wall.title)
        return html_text, 404
