"""The console's callbacks. Every id starts with ``console``, so the role guard
(wall/auth/operator_guard.py) refuses them to anyone below operator before they run.

The miniature, the selection and the alarm banner are not here: they follow the live
push (assets/console.js). What stays on a timer is what no push announces: the
audit log, snapshots, tours and presets saved elsewhere, camera statuses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.development.base_component import Component

from core.camera_status import CameraStatus
from core.outage import OUTAGE_ERRORS
from layouts._console_views import audit_table, camera_results
from layouts.console_page import ALARM_ACK, ALARM_STORE, PICK_STORE, SELECTED_STORE
from wall.auth.gate import current_name
from wall.control import ControlError, WallControl
from wall.control.search import search_cameras
from wall.control.snapshots import SnapshotError, SnapshotStore
from wall.control.views import Showing
from wall.tile_view import TileContext
from wall.ui.camera_box import camera_box, view_json

log = logging.getLogger(__name__)
AUDIT_SHOWN = 15
SNAPSHOTS_SHOWN = 10


def register_console_callbacks(
    app: Dash, tile_ctx: TileContext, snapshots: SnapshotStore | None = None
) -> None:
    actions = ConsoleActions(tile_ctx, snapshots)
    _register_refresh(app, tile_ctx, snapshots)
    _register_search(app, tile_ctx)
    _register_preview(app, tile_ctx)

    # A selection the server made (the next cell after a pick) reaches the miniature.
    app.clientside_callback(  # type: ignore[no-untyped-call]
        "function (selected) { return window.citywallConsole.showSelected(selected); }",
        Output("console-selected-shown", "data"),
        Input(SELECTED_STORE, "data"),
    )

    # A pick in the camera list becomes one value of a store, in the browser: the list
    # is redrawn as the operator types, and a redraw while the pick's request waited to
    # be sent would make Dash drop the pick (the list's ids are the callback's input).
    app.clientside_callback(  # type: ignore[no-untyped-call]
        """function () {
            const t = window.dash_clientside.callback_context.triggered;
            if (!t.length || !t[0].value) return window.dash_clientside.no_update;
            const id = JSON.parse(t[0].prop_id.split(".")[0]).id;
            return {camera: id, at: Date.now()};
        }""",
        Output(PICK_STORE, "data"),
        Input({"console": "pick", "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("console-message", "children"),
        Output("console-version", "data"),
        Output(SELECTED_STORE, "data", allow_duplicate=True),
        Input(PICK_STORE, "data"),
        Input("console-map-cameras", "clickData"),
        Input({"console": "layout", "n": ALL}, "n_clicks"),
        *[Input(f"console-{name}", "n_clicks") for name in ActionNames],
        State(SELECTED_STORE, "data"),
        State("console-search", "value"),
        State("console-tour", "value"),
        State("console-tour-name", "value"),
        State("console-tour-dwell", "value"),
        State("console-preset", "value"),
        State("console-preset-name", "value"),
        State("console-case", "value"),
        State(ALARM_STORE, "data"),
        State("console-version", "data"),
        prevent_initial_call=True,
    )
    def _act(pick: Any, *args: Any) -> tuple[Any, Any, Any]:
        trigger = ctx.triggered_id
        if trigger is None or not ctx.triggered[0].get("value"):
            return no_update, no_update, no_update
        form = dict(zip(FORM_FIELDS, args[-len(FORM_FIELDS) :], strict=True))
        form["pick"] = (pick or {}).get("camera", "") if isinstance(pick, dict) else ""
        message, selected = actions.run(trigger, form)
        return message, (form["version"] or 0) + 1, selected


ActionNames = (
    "tour-start", "tour-stop", "tour-save", "preset-recall", "preset-save",
    "alarm-ack", "snapshot",
)  # fmt: skip
FORM_FIELDS = (
    "selected", "search", "tour", "tour_name", "dwell", "preset", "preset_name", "case_id",
    "alarm_case", "version",
)  # fmt: skip


class ConsoleActions:
    """What a console click does, as plain methods (the callback only dispatches)."""

    def __init__(self, tile_ctx: TileContext, snapshots: SnapshotStore | None) -> None:
        self.ctx = tile_ctx
        self.control = tile_ctx.control
        self.snapshots = snapshots
        self.t = tile_ctx.translate

    def run(self, trigger: Any, form: dict[str, Any]) -> tuple[str, Any]:
        if self.control is None:
            return self.t("console.no_redis"), no_update
        who = current_name()
        try:
            return self._dispatch(self.control, trigger, form, who)
        except ControlError as exc:
            return f"✗ {exc}", no_update
        except OUTAGE_ERRORS as exc:
            log.warning("console action failed: %s", exc)
            return self.t("console.redis_down"), no_update

    def _dispatch(
        self, control: WallControl, trigger: Any, form: dict[str, Any], who: str
    ) -> tuple[str, Any]:
        selected = form["selected"] or {}
        tile_id, cell = str(selected.get("tile") or ""), int(selected.get("cell") or 0)
        if trigger == PICK_STORE:
            return self._pick(control, tile_id, cell, str(form["pick"]), who)
        if trigger == "console-map-cameras":
            camera_id = str(((clicked_feature() or {}).get("properties") or {}).get("id", ""))
            return self._pick(control, tile_id, cell, camera_id, who)
        if isinstance(trigger, dict) and trigger.get("console") == "layout":
            return self._layout(control, tile_id, int(trigger["n"]), form["search"] or "", who)
        simple: dict[str, Callable[[], object]] = {
            "console-tour-start": lambda: control.start_tour(tile_id, form["tour"] or "", who),
            "console-tour-stop": lambda: control.stop_tour(tile_id, who),
            "console-preset-recall": lambda: control.recall_preset(form["preset"] or "", who),
            "console-preset-save": lambda: control.save_preset(form["preset_name"] or "", who),
            ALARM_ACK: lambda: control.acknowledge_alarm(who, form["alarm_case"]),
        }
        if trigger in simple:
            simple[trigger]()
            return self.t(f"console.done.{trigger.removeprefix('console-')}"), no_update
        if trigger == "console-tour-save":
            return self._save_tour(control, form, who), no_update
        if trigger == "console-snapshot":
            return self._snapshot(control, tile_id, cell, form["case_id"], who), no_update
        return "", no_update

    def _pick(
        self, control: WallControl, tile_id: str, cell: int, camera_id: str, who: str
    ) -> tuple[str, Any]:
        cell, cells = control.put_in_cell(tile_id, cell, camera_id, who)
        # The next cell is selected: picking four cameras in a row fills a 2×2.
        return self.t("console.done.show", camera=camera_id, tile=tile_id), {
            "tile": tile_id,
            "cell": (cell + 1) % cells,
        }

    def _layout(
        self, control: WallControl, tile_id: str, cells: int, query: str, who: str
    ) -> tuple[str, Any]:
        current = list(control.view(tile_id).showing(control.now_ms()))
        fill = [c.id for c in search_cameras(self.ctx.config.cameras.items, query, limit=64)]
        fill += [c.id for c in self.ctx.config.cameras.items[:64]]
        for camera_id in fill:
            if len(current) >= cells:
                break
            if camera_id not in current:
                current.append(camera_id)
        control.show(tile_id, current[:cells], who)
        return self.t("console.done.layout", n=cells, tile=tile_id), {"tile": tile_id, "cell": 0}

    def _save_tour(self, control: WallControl, form: dict[str, Any], who: str) -> str:
        found = search_cameras(self.ctx.config.cameras.items, form["search"] or "", limit=64)
        name = (form["tour_name"] or "").strip()
        if not name:
            raise ControlError(self.t("console.tour_needs_name"))
        tour = control.save_tour(name, [c.id for c in found], float(form["dwell"] or 0), who)
        return self.t("console.done.tour-save", name=tour.name, n=len(tour.cameras))

    def _snapshot(
        self, control: WallControl, tile_id: str, cell: int, case_id: str | None, who: str
    ) -> str:
        if self.snapshots is None:
            return self.t("console.no_snapshots")
        camera_id = control.camera_in_cell(tile_id, cell)
        if camera_id is None:
            return self.t("console.select_tile")
        try:
            snap = self.snapshots.take(camera_id, who, (case_id or "").strip() or None)
        except (SnapshotError, ValueError) as exc:  # relay down, dead camera; bad case id
            return f"✗ {exc}"
        return self.t("console.done.snapshot", camera=camera_id, id=snap.id)


def clicked_feature() -> dict[str, Any] | None:
    """The clicked feature of the console map (dash-leaflet's clickData)."""
    value = ctx.triggered[0].get("value") if ctx.triggered else None
    return value if isinstance(value, dict) else None


PREVIEW_ERRORS: tuple[type[Exception], ...] = (*OUTAGE_ERRORS, ControlError)


def _register_preview(app: Dash, tile_ctx: TileContext) -> None:
    names = tile_ctx.config.camera_names()

    @app.callback(
        Output("console-preview", "children"),
        Output("console-preview-camera", "data"),
        Input(SELECTED_STORE, "data"),
        Input(PICK_STORE, "data"),
        Input("console-version", "data"),
        State("console-preview-camera", "data"),
    )
    def _preview(selected: Any, pick: Any, _version: Any, shown: Any) -> tuple[Any, Any]:
        camera_id: str | None = None
        if ctx.triggered_id == PICK_STORE and isinstance(pick, dict):
            camera_id = str(pick.get("camera") or "") or None  # just picked: show it
        elif tile_ctx.control is not None:
            selected = selected or {}
            tile_id, cell = str(selected.get("tile") or ""), int(selected.get("cell") or 0)
            try:
                camera_id = tile_ctx.control.camera_in_cell(tile_id, cell) if tile_id else None
            except PREVIEW_ERRORS:
                camera_id = None
        if camera_id is None or camera_id not in names or camera_id == shown:
            return no_update, no_update  # a new box would start a new session
        view = view_json(Showing((camera_id,), "sub"), names, "")
        return camera_box(view, tile_ctx.config.relay.browser_url(), tile_ctx.translate), camera_id


def _register_search(app: Dash, tile_ctx: TileContext) -> None:
    @app.callback(Output("console-results", "children"), Input("console-search", "value"))
    def _search(query: str | None) -> list[Component]:
        found = search_cameras(tile_ctx.config.cameras.items, query or "")
        states = _states(tile_ctx.control)
        return camera_results(found, states, tile_ctx)


def _states(control: WallControl | None) -> dict[str, CameraStatus]:
    if control is None:
        return {}
    try:
        return control.camera_states()
    except OUTAGE_ERRORS:
        return {}


def _register_refresh(app: Dash, tile_ctx: TileContext, snapshots: SnapshotStore | None) -> None:
    @app.callback(
        Output("console-audit", "children"),
        Output("console-snapshots", "children"),
        Output("console-tour", "options"),
        Output("console-preset", "options"),
        Output("console-map-cameras", "hideout"),
        Output("console-status", "children"),
        Input("console-tick", "n_intervals"),
        Input("console-version", "data"),
        State("console-tour", "options"),
        State("console-preset", "options"),
        State("console-map-cameras", "hideout"),
    )
    def _refresh(_tick: Any, _version: Any, *shown: Any) -> tuple[Any, ...]:
        control = tile_ctx.control
        if control is None:
            return ("", "", [], [], no_update, tile_ctx.translate("console.no_redis"))
        try:
            fresh = _refresh_from(tile_ctx, control, snapshots)
        except OUTAGE_ERRORS:  # said until the next refresh that reaches Redis
            return (*([no_update] * 5), tile_ctx.translate("console.redis_down"))
        # Lists and map markers are redrawn only when they changed: a redraw loses a
        # click under way (a new hideout re-creates every marker of the map).
        unchanged = [
            new if new != old else no_update for new, old in zip(fresh[-3:], shown, strict=True)
        ]
        return (*fresh[:-3], *unchanged, "")


def _refresh_from(
    tile_ctx: TileContext, control: WallControl, snapshots: SnapshotStore | None
) -> tuple[Any, ...]:
    tours = [{"label": f"{n} ({len(t.cameras)})", "value": n} for n, t in control.tours().items()]
    presets = [{"label": name, "value": name} for name in control.presets()]
    audit = audit_table(tile_ctx, control.audit.latest(AUDIT_SHOWN))
    statuses = {"status": control.camera_statuses()}
    return (audit, _snapshot_list(snapshots), tours, presets, statuses)


def _snapshot_list(snapshots: SnapshotStore | None) -> list[Component]:
    if snapshots is None:
        return []
    items = []
    for snap in snapshots.latest(SNAPSHOTS_SHOWN):
        label = f"{snap.camera_id} · {snap.operator}" + (
            f" · {snap.case_id}" if snap.case_id else ""
        )
        items.append(html.Li(html.A(label, href=f"/snapshots/{snap.id}.jpg", target="_blank",
                                    title=snap.id)))  # fmt: skip
    return [html.Ul(items)] if items else []
