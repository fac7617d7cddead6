"""HTTP routes of cases for operators (checked here, on the server; the gate has
already refused anyone not signed in):

``POST /cases/report`` (JSON: ``camera``, ``category`` "<kind>:<code>", ``description``,
optional ``priority``, ``lat``/``lon``) -> 201 {case_id, snapshot, snapshot_error};
``GET /cases/<case id>`` -> the case panel's data as JSON (timeline, evidence, the
nearest cameras).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from core.outage import OUTAGE_ERRORS
from wall.auth.gate import current_name
from wall.control.case_file import CaseFile
from wall.control.case_report import CaseReporter, ReportForm
from wall.control.store import ControlError
from wall.route_guards import operators_with

OpenCase = Callable[[str], CaseFile | None]


def case_json(found: CaseFile) -> dict[str, Any]:
    record = found.record
    return {
        "case_id": record.case_id,
        "fields": record.fields,
        "timeline": [asdict(stage) for stage in record.stages],
        "evidence": [asdict(item) for item in found.evidence],
        "nearest_cameras": [asdict(camera) for camera in found.cameras],
    }


def install_case_routes(
    server: Flask, reporter: CaseReporter | None, open_case: OpenCase | None
) -> None:
    routes = Blueprint("cases", __name__)
    both = reporter if open_case is not None else None
    routes.before_request(
        operators_with(both, "no Redis configured: cases cannot be read or reported")
    )

    @routes.post("/cases/report")
    def _report() -> ResponseReturnValue:
        assert reporter is not None  # the blueprint's check
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error="send the report as a JSON object"), 400
        try:
            form = _form(body)
            reported = reporter.report(form, current_name())
        except (ControlError, TypeError, ValueError) as exc:
            return jsonify(error=str(exc)), 400
        except OUTAGE_ERRORS:
            return jsonify(error="Redis is unreachable: the case was not reported"), 503
        snapshot = reported.snapshot.as_json() if reported.snapshot else None
        answer = {"case_id": reported.case_id, "snapshot": snapshot,
                  "snapshot_error": reported.snapshot_error}  # fmt: skip
        return jsonify(answer), 201

    @routes.get("/cases/<case_id>")
    def _case(case_id: str) -> ResponseReturnValue:
        assert open_case is not None
        try:
            found = open_case(case_id)
        except OUTAGE_ERRORS:
            return jsonify(error="Redis is unreachable"), 503
        if found is None:
            return jsonify(error=f"no case {case_id!r}"), 404
        return jsonify(case_json(found))

    server.register_blueprint(routes)


def _form(body: dict[str, Any]) -> ReportForm:
    def text(name: str, default: str | None = None) -> str:
        value = body.get(name, default)
        if not isinstance(value, str):
            raise ValueError(f"{name}: text is required")
        return value

    def number(name: str) -> float | None:
        value = body.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name}: a number")
        return float(value)

    return ReportForm(
        camera_id=text("camera"),
        category=text("category"),
        description=text("description", ""),
        priority=text("priority", "normal"),
        lat=number("lat"),
        lon=number("lon"),
    )
