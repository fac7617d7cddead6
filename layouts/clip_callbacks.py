"""The console's evidence clips (ids start with ``console``: the role guard refuses them
to anyone below operator): start recording the selected cell's camera, stop and save,
the list of recordings and clips, and the player."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.development.base_component import Component

from core.outage import OUTAGE_ERRORS
from layouts.case_callbacks import selected_camera
from layouts.console_page import SELECTED_STORE
from wall.auth.gate import current_name
from wall.control.clips import Clip, ClipError, ClipStore, Recording, clip_url
from wall.html_attrs import attrs
from wall.tile_view import TileContext

log = logging.getLogger(__name__)
CLIPS_SHOWN = 10


def register_clip_callbacks(app: Dash, tile_ctx: TileContext, clips: ClipStore | None) -> None:
    t = tile_ctx.translate
    zone = ZoneInfo(tile_ctx.config.wall.timezone)

    @app.callback(
        Output("console-message", "children", allow_duplicate=True),
        Output("console-clip-rec", "data"),
        Output("console-clip-player", "src"),
        Input("console-clip-start", "n_clicks"),
        Input("console-clip-stop", "n_clicks"),
        Input({"console": "playclip", "id": ALL}, "n_clicks"),
        State(SELECTED_STORE, "data"),
        State("console-case", "value"),
        State("console-clip-before", "value"),
        State("console-clip-rec", "data"),
        prevent_initial_call=True,
    )
    def _clip(_start: Any, _stop: Any, _play: Any, selected: Any, case_id: Any, before: Any,
              recording: Any) -> tuple[Any, Any, Any]:  # fmt: skip
        trigger = ctx.triggered_id
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update, no_update, no_update
        if isinstance(trigger, dict):  # a clip of the list: into the player
            return no_update, no_update, clip_url(str(trigger["id"]))
        if clips is None:
            return t("console.no_snapshots"), no_update, no_update
        try:
            if trigger == "console-clip-start":
                camera_id = selected_camera(tile_ctx, selected)
                if camera_id is None:
                    return t("console.select_tile"), no_update, no_update
                started = clips.start(camera_id, current_name(), case_id, float(before or 0))
                message = t("clips.started", camera=camera_id, s=f"{started.before_s:.0f}")
                return message, started.id, no_update
            clip_id = recording or _newest_of(clips.recordings(), current_name())
            if clip_id is None:
                return t("clips.none_recording"), no_update, no_update
            clip = clips.stop(str(clip_id), current_name())
        except (ClipError, ValueError) as exc:
            return f"✗ {exc}", no_update, no_update
        except OUTAGE_ERRORS:
            return t("console.redis_down"), no_update, no_update
        saved = t("clips.saved", camera=clip.camera_id, s=f"{clip.seconds:.1f}", id=clip.id)
        return saved, None, clip_url(clip.id)

    @app.callback(
        Output("console-clips", "children"),
        Output("console-clip-recording", "children"),
        Input("console-tick", "n_intervals"),
        Input("console-clip-rec", "data"),
    )
    def _list(_tick: Any, _recording: Any) -> tuple[Any, Any]:
        if clips is None:
            return [], ""
        try:
            saved, under_way = clips.latest(CLIPS_SHOWN), clips.recordings()
        except OUTAGE_ERRORS:
            return no_update, no_update
        now_ms = int(datetime.now(zone).timestamp() * 1000)
        busy = [
            t("clips.recording", camera=r.camera_id, s=f"{(now_ms - r.started_ms) / 1000:.0f}")
            for r in under_way
        ]
        return _clip_list(saved, t, zone), " · ".join(busy)


def _newest_of(recordings: list[Recording], who: str) -> str | None:
    mine = [r for r in recordings if r.operator == who]
    return mine[-1].id if mine else None


def _clip_list(saved: list[Clip], t: Any, zone: ZoneInfo) -> list[Component]:
    items = []
    for clip in saved:
        when = datetime.fromtimestamp(clip.started_ms / 1000, zone).strftime("%m-%d %H:%M:%S")
        label = f"{when} · {clip.camera_id} · {clip.seconds:.0f} s · {clip.operator}" + (
            f" · {clip.case_id}" if clip.case_id else ""
        )
        items.append(
            html.Li(
                [
                    html.Button(t("clips.play"), id={"console": "playclip", "id": clip.id}),
                    html.A(
                        label, href=clip_url(clip.id), download=f"{clip.id}.mp4", title=clip.sha256
                    ),
                ],
                **attrs(data_clip_id=clip.id),
            )
        )
    return [html.Ul(items)] if items else []
