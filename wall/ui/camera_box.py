"""The camera player box: its cells' markup, built here only, and what it is told.

The server lays out the cells a box shows at page load and a hidden template cell
(``.cw-camera__template``); assets/tiles/camera.js clones that template when the
pushed view (``CameraViewJson``, the camera tile's live part ``view``) needs new
cells, and assets/camera_player.js plays every cell inside a ``.cw-camera`` box.
Used by the camera tile and by the tablet's player.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NotRequired

from dash import html
from typing_extensions import TypedDict

from wall.control.views import AlarmJson, Showing
from wall.html_attrs import attrs
from wall.i18n import Translator


class CellJson(TypedDict):
    camera: str
    name: str


class TourBadgeJson(TypedDict):
    name: str
    step: int  # 1-based
    pages: int


class NextJson(TypedDict):
    at_ms: int  # when the cells change by themselves (a tour's next step, an alarm's end)
    cameras: list[str]  # the cameras they change to, warmed at the relay just before


class CameraViewJson(TypedDict):
    """What a camera box shows now; the server computed it (wall.control.views.showing).
    A field without a value is left out (a record part's null removes the field)."""

    cells: list[CellJson]
    stream: str
    by: str  # who chose it ("" for the config's own cameras)
    alarm: NotRequired[AlarmJson]  # the alarm holding the tile (camera_id None: none near)
    tour: NotRequired[TourBadgeJson]  # the tour turning the cells
    next: NotRequired[NextJson]  # when the cells change by themselves


def view_json(show: Showing, names: Mapping[str, str], by: str) -> CameraViewJson:
    view: CameraViewJson = {
        "cells": [{"camera": c, "name": names.get(c, c)} for c in show.cameras],
        "stream": show.stream,
        "by": by,
    }
    if show.alarm is not None:
        view["alarm"] = show.alarm.as_json()
    if show.tour is not None:
        view["tour"] = {"name": show.tour.name, "step": show.tour.step, "pages": show.tour.pages}
    if show.next_ms is not None:
        view["next"] = {"at_ms": show.next_ms, "cameras": list(show.next_cameras)}
    return view


def next_change_ms(view: CameraViewJson) -> int | None:
    """When the view changes by itself (the hub rebuilds it then)."""
    upcoming = view.get("next")
    return upcoming["at_ms"] if upcoming is not None else None


def camera_cell(camera_id: str | None, name: str, stream: str, translate: Translator) -> html.Div:
    """One cell: the video, the camera's name, and its state (连接中 until frames come).
    Without a camera (the template), nothing would play it."""
    playing = attrs(data_camera_id=camera_id, data_stream=stream) if camera_id else {}
    return html.Div(
        className="cw-camera__cell",
        **playing,
        **attrs(data_state="connecting"),
        children=[
            html.Video(className="cw-camera__video", muted=True, autoPlay=True),
            html.Div(name, className="cw-camera__name"),
            html.Div(translate("camera.connecting"), className="cw-camera__state"),
        ],
    )


def camera_box(view: CameraViewJson, relay_url: str, translate: Translator) -> list[html.Div]:
    """The box with its cells as ``view`` says, then the hidden template cell."""
    t = translate
    cells = [camera_cell(c["camera"], c["name"], view["stream"], t) for c in view["cells"]]
    box = html.Div(
        className="cw-camera",
        style={"--side": str(math.isqrt(len(cells)) or 1)},
        **attrs(
            data_relay=relay_url,
            data_label_connecting=t("camera.connecting"),
            data_label_lost=t("camera.lost"),
            data_label_urgent=t("alarm.urgent"),
            data_label_video=t("alarm.video"),
            data_label_no_camera=t("alarm.no_camera"),
            data_label_distance=t("alarm.distance", m="{m}"),
            data_label_tour=t("tour.label"),
        ),
        children=cells,
    )
    template = html.Div(camera_cell(None, "", "", t), className="cw-camera__template", hidden=True)
    return [box, template]
