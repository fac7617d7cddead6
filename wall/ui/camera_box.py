"""The camera player box: its cells' markup, built here only, and what it is told.

The server lays out the cells a box shows at page load and a hidden template cell
(``.cw-camera__template``); assets/tiles/camera.js clones that template when the
pushed view (``CameraViewJson``, the camera tile's live part ``view``) needs new
cells, and assets/camera_player.js plays every cell inside a ``.cw-camera`` box.
Used by the camera tile and by the tablet's player.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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


class StepJson(TypedDict):
    """What the box shows from ``at_ms`` on (a tour's next step, the end of an alarm)."""

    at_ms: int
    cells: list[CellJson]
    stream: str
    alarm: NotRequired[AlarmJson]
    tour: NotRequired[TourBadgeJson]


class CameraViewJson(TypedDict):
    """What a camera box shows now, and what it shows next; the server computed both
    (wall.control.views.showing, .ahead). A field without a value is left out (a
    record part's null removes the field)."""

    cells: list[CellJson]
    stream: str
    by: str  # who chose it ("" for the config's own cameras)
    alarm: NotRequired[AlarmJson]  # the alarm holding the tile (camera_id None: none near)
    tour: NotRequired[TourBadgeJson]  # the tour turning the cells
    # The coming changes, in order: the hub pushes each when it comes, and a screen
    # that hears nothing applies it itself at at_ms (a tour turns through an outage).
    next: NotRequired[list[StepJson]]


def _cells(show: Showing, names: Mapping[str, str]) -> list[CellJson]:
    return [{"camera": c, "name": names.get(c, c)} for c in show.cameras]


def _badge(show: Showing) -> TourBadgeJson | None:
    tour = show.tour
    return {"name": tour.name, "step": tour.step, "pages": tour.pages} if tour else None


def step_json(at_ms: int, show: Showing, names: Mapping[str, str]) -> StepJson:
    step: StepJson = {"at_ms": at_ms, "cells": _cells(show, names), "stream": show.stream}
    if show.alarm is not None:
        step["alarm"] = show.alarm.as_json()
    badge = _badge(show)
    if badge is not None:
        step["tour"] = badge
    return step


def view_json(
    show: Showing,
    names: Mapping[str, str],
    by: str,
    coming: Sequence[tuple[int, Showing]] = (),
) -> CameraViewJson:
    view: CameraViewJson = {"cells": _cells(show, names), "stream": show.stream, "by": by}
    if show.alarm is not None:
        view["alarm"] = show.alarm.as_json()
    badge = _badge(show)
    if badge is not None:
        view["tour"] = badge
    if coming:
        view["next"] = [step_json(at_ms, step, names) for at_ms, step in coming]
    return view


def next_change_ms(view: CameraViewJson) -> int | None:
    """When the view changes by itself (the hub rebuilds it then)."""
    coming = view.get("next")
    return coming[0]["at_ms"] if coming else None


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


def camera_box(view: CameraViewJson, relay_url: str, translate: Translator) -> html.Div:
    """The box with its cells as ``view`` says; its last child is the hidden template
    cell (hidden: no grid item, and no camera for the player to play)."""
    t = translate
    cells = [camera_cell(c["camera"], c["name"], view["stream"], t) for c in view["cells"]]
    template = html.Div(camera_cell(None, "", "", t), className="cw-camera__template", hidden=True)
    return html.Div(
        className="cw-camera",
        style={"--side": str(math.isqrt(len(cells)) or 1)},
        **attrs(
            data_relay=relay_url,
            data_label_connecting=t("camera.connecting"),
            data_label_lost=t("camera.lost"),
            data_label_hevc=t("camera.hevc"),
            data_label_cannot=t("camera.cannot"),
            data_label_urgent=t("alarm.urgent"),
            data_label_video=t("alarm.video"),
            data_label_no_camera=t("alarm.no_camera"),
            data_label_distance=t("alarm.distance", m="{m}"),
            data_label_tour=t("tour.label"),
        ),
        children=[*cells, template],
    )
