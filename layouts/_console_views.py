"""What the console draws from the wall state: the miniature, the lists, the alarm."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from dash import html
from dash.development.base_component import Component

from wall.auth.audit import AuditEntry
from wall.config.models import Camera
from wall.control.views import Alarm, TileView
from wall.geometry import percent_box, tile_rect
from wall.html_attrs import attrs
from wall.tiles.base import TileContext


def miniature(
    ctx: TileContext,
    views: dict[str, TileView],
    alarm: Alarm | None,
    selected: dict[str, object],
    now_ms: int,
) -> list[Component]:
    """Every tile where it is on the wall; camera tiles show their cells, clickable."""
    names = {camera.id: camera.name for camera in ctx.config.cameras.items}
    boxes: list[Component] = []
    for tile in ctx.config.tiles:
        box = percent_box(tile_rect(tile), ctx.config.wall)
        view = views.get(tile.id)
        if view is None:
            boxes.append(html.Div(tile.title or tile.type, className="cw-mini__tile", style=box))
            continue
        boxes.append(_camera_box(tile.id, tile.title, view, alarm, selected, names, now_ms, box))
    return boxes


def _camera_box(
    tile_id: str,
    title: str | None,
    view: TileView,
    alarm: Alarm | None,
    selected: dict[str, object],
    names: dict[str, str],
    now_ms: int,
    box: dict[str, str],
) -> Component:
    alarmed = alarm is not None and alarm.tile_id == tile_id and alarm.camera_id is not None
    showing: tuple[str, ...] = view.showing(now_ms)
    if alarm is not None and alarm.camera_id is not None and alarmed:
        showing = (alarm.camera_id,)
    side = math.isqrt(len(showing)) or 1
    is_selected = selected.get("tile") == tile_id
    cells = [
        html.Div(
            names.get(camera_id, camera_id) if camera_id else "",
            id={"console": "cell", "tile": tile_id, "cell": index},
            className="cw-mini__cell"
            + (" cw-mini__cell--selected" if is_selected and selected.get("cell") == index else ""),
            title=camera_id or "",
            **attrs(data_camera=camera_id or ""),
        )
        for index, camera_id in enumerate(showing)
    ]
    badge = ""
    if alarmed and alarm is not None:
        badge = f"⚠ {alarm.case_id}"
    elif view.tour is not None:
        badge = f"⟳ {view.tour.name}"
    classes = "cw-mini__tile cw-mini__tile--camera"
    classes += " cw-mini__tile--selected" if is_selected else ""
    classes += " cw-mini__tile--alarm" if alarmed else ""
    return html.Div(
        [
            html.Div(f"{title or tile_id} {badge}".strip(), className="cw-mini__title"),
            html.Div(cells, className="cw-mini__cells", style={"--side": str(side)}),
        ],
        className=classes,
        style=box,
        **attrs(
            data_tile=tile_id,
            data_showing=",".join(showing),
            data_tour=view.tour.name if view.tour else "",
        ),
    )


def camera_results(cameras: list[Camera], statuses: dict[str, str]) -> list[Component]:
    return [
        html.Button(
            [
                html.Span(camera.id, className="cw-console__cam-id"),
                html.Span(camera.name, className="cw-console__cam-name"),
                html.Span(" ".join([camera.grid, *camera.tags]), className="cw-console__cam-tags"),
            ],
            id={"console": "pick", "id": camera.id},
            className=f"cw-console__cam cw-console__cam--{statuses.get(camera.id, 'unknown')}",
            **attrs(data_camera=camera.id),
        )
        for camera in cameras
    ]


def alarm_banner(ctx: TileContext, alarm: Alarm | None) -> list[Component]:
    if alarm is None:
        return []
    t = ctx.translate
    reason = t("alarm.video") if alarm.reason == "video" else t("alarm.urgent")
    where = (
        f"{alarm.camera_id} · " + t("alarm.distance", m=round(alarm.distance_m or 0))
        if alarm.camera_id
        else t("alarm.no_camera")
    )
    text = " · ".join(
        part for part in ["⚠ " + reason, alarm.case_id, alarm.category, where] if part
    )
    return [html.Span(text, **attrs(data_case=alarm.case_id))]


def audit_table(ctx: TileContext, entries: list[AuditEntry]) -> Component:
    zone = ZoneInfo(ctx.config.wall.timezone)
    rows = [
        html.Tr(
            [
                html.Td(datetime.fromtimestamp(e.at_ms / 1000, zone).strftime("%m-%d %H:%M:%S")),
                html.Td(e.who),
                html.Td(e.action),
                html.Td(_short(e.after), title=_short(e.before, 400)),
            ]
        )
        for e in entries
    ]
    t = ctx.translate
    head = html.Tr([html.Th(t(f"console.audit_{c}")) for c in ("when", "who", "what", "after")])
    return html.Table([html.Thead(head), html.Tbody(rows)], className="cw-console__table")


def _short(value: object, limit: int = 120) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
