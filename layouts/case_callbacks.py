"""The case desk's callbacks (ids start with ``console``: the role guard refuses them to
anyone below operator before they run): open a case from the list, the console map or
its number; the panel; its nearest cameras to the selected cell; showing it on the
wall's maps; reporting a case from the selected camera."""

from __future__ import annotations

import logging
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.development.base_component import Component

from core.outage import OUTAGE_ERRORS
from layouts._case_desk import CASE_STORE, PANEL, REPORT_AT, case_list, case_panel
from layouts.console_page import SELECTED_STORE
from wall.auth.gate import current_name
from wall.control import ControlError, WallControl
from wall.control.case_file import CaseFiles
from wall.control.case_report import CaseReporter, ReportForm
from wall.i18n import Translator
from wall.tile_view import TileContext

log = logging.getLogger(__name__)
CASES_SHOWN = 30


def register_case_callbacks(
    app: Dash, tile_ctx: TileContext, cases: CaseFiles | None, reporter: CaseReporter | None
) -> None:
    t = tile_ctx.translate

    # A click in the list becomes the store's value in the browser (the list is redrawn
    # on a timer; a redraw must not lose the click: see console_callbacks' pick).
    app.clientside_callback(  # type: ignore[no-untyped-call]
        """function () {
            const t = window.dash_clientside.callback_context.triggered;
            if (!t.length || !t[0].value) return window.dash_clientside.no_update;
            const id = JSON.parse(t[0].prop_id.split(".")[0]).id;
            return {case: id, at: Date.now()};
        }""",
        Output(CASE_STORE, "data"),
        Input({"console": "case", "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(CASE_STORE, "data", allow_duplicate=True),
        Input("console-case-go", "n_clicks"),
        Input("console-case-number", "n_submit"),
        Input("console-map-cases", "clickData"),
        State("console-case-number", "value"),
        prevent_initial_call=True,
    )
    def _open(_go: Any, _submit: Any, clicked: Any, number: str | None) -> Any:
        if ctx.triggered_id == "console-map-cases":
            case_id = str(((clicked or {}).get("properties") or {}).get("id", ""))
        else:
            case_id = (number or "").strip()
        return {"case": case_id, "at": ctx.triggered[0].get("value")} if case_id else no_update

    @app.callback(
        Output("console-cases", "children"),
        Output("console-map-cases", "data"),
        Input("console-tick", "n_intervals"),
        Input("console-version", "data"),
        State("console-map-cases", "data"),
    )
    def _list(_tick: Any, _version: Any, shown: Any) -> tuple[Any, Any]:
        if cases is None:
            return [], no_update
        try:
            recent = cases.recent(CASES_SHOWN)
        except OUTAGE_ERRORS:
            return no_update, no_update
        points = cases.points(recent)
        return case_list(recent, tile_ctx), points if points != shown else no_update

    @app.callback(
        Output(PANEL, "children"),
        Output("console-case-sig", "data"),
        Input(CASE_STORE, "data"),
        Input("console-tick", "n_intervals"),
        State("console-case-sig", "data"),
    )
    def _panel(opened: Any, _tick: Any, signature: Any) -> tuple[Any, Any]:
        case_id = (opened or {}).get("case") if isinstance(opened, dict) else None
        if not case_id or cases is None:
            return no_update, no_update
        try:
            found = cases.open(str(case_id))
        except OUTAGE_ERRORS:
            return no_update, no_update
        if found is None:
            return [t("desk.no_case", id=case_id)], None
        # Redrawn only when the case changed: a redraw would lose a click under way.
        now_ms = tile_ctx.control.now_ms() if tile_ctx.control else 0
        fresh = [case_id, found.record.fields, len(found.record.stages), len(found.evidence),
                 [c.camera_id + c.status for c in found.cameras], now_ms // 60_000]  # fmt: skip
        if fresh == signature and ctx.triggered_id == "console-tick":
            return no_update, no_update
        return case_panel(found, tile_ctx, now_ms), fresh

    @app.callback(
        Output("console-message", "children", allow_duplicate=True),
        Output(SELECTED_STORE, "data", allow_duplicate=True),
        Output("console-version", "data", allow_duplicate=True),
        Input({"console": "nearcam", "id": ALL}, "n_clicks"),
        State(SELECTED_STORE, "data"),
        State("console-version", "data"),
        prevent_initial_call=True,
    )
    def _nearest(_clicks: Any, selected: Any, version: Any) -> tuple[Any, Any, Any]:
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update, no_update, no_update
        camera_id = str(ctx.triggered_id["id"])
        message, chosen = _run(tile_ctx, lambda c: _put(c, selected, camera_id, t))
        return message, chosen, (version or 0) + 1

    @app.callback(
        Output("console-message", "children", allow_duplicate=True),
        Input("console-case-highlight", "n_clicks"),
        State(CASE_STORE, "data"),
        prevent_initial_call=True,
    )
    def _highlight(clicks: Any, opened: Any) -> Any:
        case_id = str((opened or {}).get("case") or "")
        if not clicks or not case_id or cases is None:
            return no_update
        found = cases.open(case_id)
        where = found.record.position if found else None
        if where is None:
            return t("desk.no_case", id=case_id)
        who = current_name()

        def show(control: WallControl) -> tuple[str, Any]:
            control.highlight_case(case_id, where[0], where[1], who)
            return t("desk.done.highlight", id=case_id), None

        return _run(tile_ctx, show)[0]

    _register_report(app, tile_ctx, reporter)


def _put(control: WallControl, selected: Any, camera_id: str, t: Translator) -> tuple[str, Any]:
    selected = selected or {}
    tile_id, cell = str(selected.get("tile") or ""), int(selected.get("cell") or 0)
    control.put_in_cell(tile_id, cell, camera_id, current_name())
    return t("console.done.show", camera=camera_id, tile=tile_id), no_update


def _run(tile_ctx: TileContext, action: Any) -> tuple[str, Any]:
    control = tile_ctx.control
    if control is None:
        return tile_ctx.translate("console.no_redis"), no_update
    try:
        message, chosen = action(control)
    except ControlError as exc:
        return f"✗ {exc}", no_update
    except OUTAGE_ERRORS as exc:
        log.warning("case desk action failed: %s", exc)
        return tile_ctx.translate("console.redis_down"), no_update
    return message, chosen


def selected_camera(tile_ctx: TileContext, selected: Any) -> str | None:
    """The camera in the console's selected cell (the alarm's while it holds the tile)."""
    control = tile_ctx.control
    selected = selected or {}
    tile_id, cell = str(selected.get("tile") or ""), int(selected.get("cell") or 0)
    if control is None or not tile_id:
        return None
    return control.camera_in_cell(tile_id, cell)


def _register_report(app: Dash, tile_ctx: TileContext, reporter: CaseReporter | None) -> None:
    t = tile_ctx.translate
    names = tile_ctx.config.camera_names()

    @app.callback(
        Output(REPORT_AT, "data"),
        Input("console-map", "clickData"),
        Input("console-report-reset", "n_clicks"),
        prevent_initial_call=True,
    )
    def _where(clicked: Any, _reset: Any) -> Any:
        if ctx.triggered_id == "console-report-reset" or not isinstance(clicked, dict):
            return None
        latlng = clicked.get("latlng")
        if isinstance(latlng, dict):
            return {"lat": latlng.get("lat"), "lon": latlng.get("lng")}
        if isinstance(latlng, list) and len(latlng) == 2:
            return {"lat": latlng[0], "lon": latlng[1]}
        return None

    @app.callback(
        Output("console-report-camera", "children"),
        Output("console-report-where", "children"),
        Input(SELECTED_STORE, "data"),
        Input("console-version", "data"),
        Input(REPORT_AT, "data"),
    )
    def _describe(selected: Any, _version: Any, at: Any) -> tuple[Component | str, str]:
        try:
            camera_id = selected_camera(tile_ctx, selected)
        except OUTAGE_ERRORS:
            camera_id = None
        shown = f"{camera_id} {names.get(camera_id, '')}" if camera_id else "—"
        if isinstance(at, dict) and at.get("lat") is not None:
            where = t("desk.report_where_map", lat=f"{at['lat']:.5f}", lon=f"{at['lon']:.5f}")
        else:
            where = t("desk.report_where_camera")
        return t("desk.report_camera", camera=shown), where

    @app.callback(
        Output("console-message", "children", allow_duplicate=True),
        Output(CASE_STORE, "data", allow_duplicate=True),
        Output("console-report-description", "value"),
        Input("console-report-submit", "n_clicks"),
        State("console-report-category", "value"),
        State("console-report-description", "value"),
        State("console-report-priority", "value"),
        State(REPORT_AT, "data"),
        State(SELECTED_STORE, "data"),
        prevent_initial_call=True,
    )
    def _report(clicks: Any, category: Any, text: Any, priority: Any, at: Any,
                selected: Any) -> tuple[Any, Any, Any]:  # fmt: skip
        if not clicks:
            return no_update, no_update, no_update
        if reporter is None:
            return t("console.no_redis"), no_update, no_update
        if not category:
            return t("desk.report_needs_category"), no_update, no_update
        if not (text or "").strip():
            return t("desk.report_needs_description"), no_update, no_update
        point = at if isinstance(at, dict) and at.get("lat") is not None else {}
        try:
            camera_id = selected_camera(tile_ctx, selected)
            if camera_id is None:
                return t("console.select_tile"), no_update, no_update
            form = ReportForm(camera_id, str(category), str(text), str(priority or "normal"),
                              point.get("lat"), point.get("lon"))  # fmt: skip
            reported = reporter.report(form, current_name())
        except ControlError as exc:
            return f"✗ {exc}", no_update, no_update
        except OUTAGE_ERRORS:
            return t("console.redis_down"), no_update, no_update
        if reported.snapshot_error:
            message = t("desk.done.report_no_snapshot", id=reported.case_id,
                        why=reported.snapshot_error)  # fmt: skip
        else:
            message = t("desk.done.report", id=reported.case_id)
        return message, {"case": reported.case_id, "at": clicks}, ""
