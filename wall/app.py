"""The one app factory: ``build_wall`` gives the complete wall — pages, live push, wall
state, alarms, sign-in, evidence — for every way of serving it (``citywall serve``,
``citywall demo``, and any WSGI server through app.py). No globals: the config, the
Redis URL and the tile views are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dash import Dash, Input, Output, dcc, html
from dash.development.base_component import Component
from flask import Flask, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from core.relay_nodes import NodeView
from core.tokens import TTL_S, sign_viewer_token
from layouts import Pages, render
from layouts.admin_panel import register_admin_callbacks
from layouts.case_callbacks import register_case_callbacks
from layouts.clip_callbacks import register_clip_callbacks
from layouts.console_callbacks import register_console_callbacks
from layouts.not_found import not_found_html
from layouts.tablet_page import register_tablet_callbacks
from wall.admin_routes import install_admin_routes
from wall.api.install import install_api
from wall.api.routes import make_limiter
from wall.auth.gate import Gate, current_name, is_public
from wall.auth.operator_guard import RoleGuard
from wall.case_routes import install_case_routes
from wall.clip_routes import install_clip_routes
from wall.config.models import WallConfigBase
from wall.i18n import Translator
from wall.live.sse import install_live_routes
from wall.paths import ASSETS_DIR
from wall.public_routes import install_public_routes
from wall.services import Services, open_services, process_services
from wall.snapshot_routes import install_snapshot_routes
from wall.tile_view import TileContext
from wall.tile_views import AnyTileView, tile_views, wall_translator
from wall.web.metrics import install_metrics
from wall.web.security import harden

ReloadSpec = tuple[Path, Callable[[], None]]  # the config file, and how to restart with it


@dataclass
class Wall:
    """A built wall: the Dash app and the services behind it (start them to serve)."""

    app: Dash
    services: Services

    @property
    def server(self) -> Flask:
        server: Flask = self.app.server
        return server


def build_wall(
    config: WallConfigBase,
    redis_url: str | None,
    snapshots_at: Path,
    reload: ReloadSpec | None = None,
    views: Mapping[str, AnyTileView] | None = None,
) -> Wall:
    """The complete wall on the Redis at ``redis_url`` (None: no live data, no console
    actions; the tiles say so). Call ``wall.services.start()`` once it serves."""
    views = dict(views if views is not None else tile_views())
    translate = wall_translator(config.wall.locale, views)
    services = open_services(config, views, translate, redis_url, snapshots_at)
    app = create_app(config, services, views, translate, reload)
    return Wall(app, services)


def create_app(
    config: WallConfigBase,
    services: Services | None = None,
    views: Mapping[str, AnyTileView] | None = None,
    translate: Translator | None = None,
    reload: ReloadSpec | None = None,
) -> Dash:
    """The wall's Dash app behind its sign-in gate, on the given services (tests pass
    theirs; ``build_wall`` opens them)."""
    views = dict(views if views is not None else tile_views())
    services = services or process_services()
    translate = translate or wall_translator(config.wall.locale, views)
    _check_renderers(views)
    ctx = TileContext(config=config, translate=translate, control=services.control)
    pages = Pages(ctx=ctx, views=views)
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

    for view in views.values():
        if view.register_callbacks is not None:
            view.register_callbacks(app)
    register_tablet_callbacks(app, ctx)
    register_console_callbacks(app, ctx, services.snapshots)
    register_case_callbacks(app, ctx, services.cases, services.reporter)
    register_clip_callbacks(app, ctx, services.clips)
    register_admin_callbacks(app, ctx, services.devices)
    audit = services.control.audit if services.control is not None else None
    gate = Gate(config.auth, translate, config.wall.title, services.devices, audit=audit)
    gate.install(app.server, services.secret)
    RoleGuard("operator", pages=("/console",), id_prefix="console").install(app.server)
    RoleGuard("admin", pages=(), id_prefix="admin").install(app.server)
    _install_http_routes(app.server, pages, services.relay_key, services.relays)
    install_snapshot_routes(app.server, services.snapshots)
    install_clip_routes(app.server, services.clips)
    cases = services.cases.open if services.cases is not None else None
    install_case_routes(app.server, services.reporter, cases)
    path, restart = reload if reload is not None else (None, None)
    install_admin_routes(app.server, path, restart, audit)
    install_live_routes(app.server, services.hub)
    limiter = make_limiter(app.server)  # per credential (API) or address (public pages)
    install_api(app.server, services.api, config.ingest, limiter)
    install_public_routes(app.server, services.client, config, translate, limiter)
    install_metrics(app.server, services, config.web)
    harden(app, config)
    return app


def _check_renderers(views: Mapping[str, AnyTileView]) -> None:
    """A view names its browser renderer; a missing file is a packaging error."""
    for view in views.values():
        if view.renderer is not None and not (ASSETS_DIR / view.renderer).is_file():
            raise RuntimeError(f"tile type {view.name!r}: renderer assets/{view.renderer} missing")


# Dash answers every other path with its page; which of those exist, the router knows.
DASH_PAGE_RULES = frozenset({"/", "/<path:path>"})


def _install_http_routes(
    server: Flask, pages: Pages, relay_key: str, relays: NodeView | None
) -> None:
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
        token = sign_viewer_token(relay_key, current_name(), camera_id)
        # With several relay nodes, the one that owns this camera; else the page's own.
        owner = relays.owner(camera_id) if relays is not None else None
        return jsonify(token=token, ttl_s=TTL_S, relay=owner.public_url if owner else None)

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
