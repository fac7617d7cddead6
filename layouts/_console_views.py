"""What the console draws on the server: the camera list and the audit log."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import html
from dash.development.base_component import Component

from core.camera_status import CameraStatus
from wall.auth.audit import AuditEntry
from wall.config.models import Camera
from wall.html_attrs import attrs
from wall.i18n import Translator
from wall.tile_view import TileContext


def camera_results(
    cameras: list[Camera], states: dict[str, CameraStatus], ctx: TileContext
) -> list[Component]:
    """The cameras found, each with its state: an offline one says why and since when
    (the relay's probe or pull), so an operator does not pick a dead camera blind."""
    zone = ZoneInfo(ctx.config.wall.timezone)
    results: list[Component] = []
    for camera in cameras:
        state = states.get(camera.id)
        status = state.status if state else "unknown"
        parts = [
            html.Span(camera.id, className="cw-console__cam-id"),
            html.Span(camera.name, className="cw-console__cam-name"),
            html.Span(" ".join([camera.grid, *camera.tags]), className="cw-console__cam-tags"),
        ]
        if state is not None and status == "offline":
            since = datetime.fromtimestamp(state.t / 1000, zone).strftime("%m-%d %H:%M")
            why = ctx.translate("console.offline_since", reason=state.reason or "—", since=since)
            parts.append(html.Span(why, className="cw-console__cam-why"))
        results.append(
            html.Button(
                parts,
                id={"console": "pick", "id": camera.id},
                className=f"cw-console__cam cw-console__cam--{status}",
                **attrs(data_camera=camera.id, data_status=status),
            )
        )
    return results


def audit_table(ctx: TileContext, entries: list[AuditEntry]) -> Component:
    zone = ZoneInfo(ctx.config.wall.timezone)
    rows = [
        html.Tr(
            [
                html.Td(datetime.fromtimestamp(e.at_ms / 1000, zone).strftime("%m-%d %H:%M:%S")),
                html.Td(e.who),
                html.Td(action_label(e.action, ctx.translate), title=e.action),
                html.Td(_short(e.after), title=_short(e.before, 400)),
            ]
        )
        for e in entries
    ]
    t = ctx.translate
    head = html.Tr([html.Th(t(f"console.audit_{c}")) for c in ("when", "who", "what", "after")])
    return html.Table([html.Thead(head), html.Tbody(rows)], className="cw-console__table")


def action_label(action: str, translate: Translator) -> str:
    """The action in the operator's language; an action without a label shows as recorded."""
    key = f"audit.action.{action}"
    return translate(key) if translate.has(key) else action


def _short(value: object, limit: int = 120) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
