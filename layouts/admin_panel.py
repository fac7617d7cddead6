"""The console's admin section (role admin, checked on the server: every id here
starts with ``admin``): the wall PCs' device tokens, made and revoked from the
console as ``citywall token`` does, audited the same way."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component
from flask import request

from core.outage import OUTAGE_ERRORS
from wall.auth.devices import Device, DeviceTokens
from wall.auth.gate import current_name
from wall.html_attrs import attrs
from wall.tile_view import TileContext


def admin_panel(ctx: TileContext) -> Component:
    t = ctx.translate
    return html.Section(
        [
            html.H2(t("admin.title")),
            html.Div(
                [
                    html.Span(t("admin.screen")),
                    dcc.Input(
                        id="admin-screen",
                        type="number",
                        min=1,
                        max=ctx.config.wall.screen_count,
                        value=1,
                    ),
                    dcc.Input(id="admin-name", placeholder=t("admin.name"), maxLength=64),
                    html.Button(t("admin.create"), id="admin-create"),
                ],
                className="cw-console__row",
            ),
            html.Div(id="admin-new-token", className="cw-console__token"),
            html.Div(
                [
                    html.Button(t("admin.reload"), id="admin-reload"),
                    html.Span(id="admin-reload-result"),
                ],
                className="cw-console__row",
                title=t("admin.reload_hint"),
            ),
            html.Div(id="admin-tokens"),
            dcc.Store(id="admin-tokens-sig"),
            dcc.Store(id="admin-tokens-version"),
        ],
        className="cw-console__box cw-console__admin",
    )


def register_admin_callbacks(
    app: Dash, tile_ctx: TileContext, devices: DeviceTokens | None
) -> None:
    # The reload is POST /admin/reload (wall/admin_routes.py), which checks the role.
    app.clientside_callback(  # type: ignore[no-untyped-call]
        """async function (clicks) {
            const answer = await fetch("/admin/reload", {method: "POST"});
            const body = await answer.json().catch(() => ({}));
            if (answer.status === 202) return "✓ " + body.path;
            return "✗ " + (body.lines || [body.error || answer.status]).join(" · ");
        }""",
        Output("admin-reload-result", "children"),
        Input("admin-reload", "n_clicks"),
        prevent_initial_call=True,
    )

    # Create and revoke have their own callback: were they in the list's (which the
    # console's tick triggers), a tick while the request is in flight would make the
    # Dash renderer drop its answer, and with it the one-time token URL.
    @app.callback(
        Output("admin-new-token", "children"),
        Output("admin-tokens-version", "data"),
        Input("admin-create", "n_clicks"),
        Input({"admin": "revoke", "id": ALL}, "n_clicks"),
        State("admin-screen", "value"),
        State("admin-name", "value"),
        prevent_initial_call=True,
    )
    def _actions(_create: Any, _revoke: Any, screen: Any, name: Any) -> tuple[Any, Any]:
        if devices is None:
            return tile_ctx.translate("console.no_redis"), no_update
        try:
            return _act(tile_ctx, devices, ctx.triggered_id, screen, name), time.time()
        except OUTAGE_ERRORS:
            return tile_ctx.translate("console.redis_down"), no_update

    @app.callback(
        Output("admin-tokens", "children"),
        Output("admin-tokens-sig", "data"),
        Input("console-tick", "n_intervals"),
        Input("admin-tokens-version", "data"),
        State("admin-tokens-sig", "data"),
    )
    def _tokens(_tick: Any, _version: Any, signature: Any) -> tuple[Any, Any]:
        if devices is None:
            return tile_ctx.translate("console.no_redis"), None
        try:
            listed = devices.list()
        except OUTAGE_ERRORS:  # said in place of the list; redrawn once Redis answers
            return tile_ctx.translate("console.redis_down"), None
        # Redrawn only when a device changed: a redraw would lose a click under way.
        fresh = json.dumps([device.__dict__ for device in listed], sort_keys=True)
        if fresh == signature:
            return no_update, no_update
        return _token_table(tile_ctx, listed), fresh


def _act(tile_ctx: TileContext, devices: DeviceTokens, trigger: Any, screen: Any, name: Any) -> Any:
    clicked = bool(ctx.triggered and ctx.triggered[0].get("value"))
    if trigger == "admin-create" and clicked:
        count = tile_ctx.config.wall.screen_count
        if not isinstance(screen, int | float) or not 1 <= int(screen) <= count:
            return f"✗ {tile_ctx.translate('admin.screen')} 1–{count}"
        _device, token = devices.create_audited(current_name(), int(screen), (name or "").strip())
        url = f"{request.host_url.rstrip('/')}/login/device?token={token}"
        return [html.Div(tile_ctx.translate("admin.once")), html.Code(url)]
    if isinstance(trigger, dict) and trigger.get("admin") == "revoke" and clicked:
        revoked = devices.revoke_audited(current_name(), str(trigger["id"]))
        if revoked is not None:
            return tile_ctx.translate("admin.revoked", id=revoked.id)
    return no_update


def _token_table(tile_ctx: TileContext, listed: list[Device]) -> Component:
    zone = ZoneInfo(tile_ctx.config.wall.timezone)
    t = tile_ctx.translate

    def when(ms: int | None) -> str:
        return datetime.fromtimestamp(ms / 1000, zone).strftime("%Y-%m-%d %H:%M") if ms else ""

    rows = [
        html.Tr(
            [
                html.Td(device.id),
                html.Td(str(device.screen)),
                html.Td(device.name),
                html.Td(when(device.created_ms)),
                html.Td(
                    html.Button(t("admin.revoke"), id={"admin": "revoke", "id": device.id})
                    if device.active
                    else t("admin.revoked_at", at=when(device.revoked_ms))
                ),
            ],
            **attrs(data_device=device.id),
        )
        for device in listed
    ]
    head = html.Tr(
        [html.Th(t(f"admin.col.{c}")) for c in ("id", "screen", "name", "created", "state")]
    )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="cw-console__table")
