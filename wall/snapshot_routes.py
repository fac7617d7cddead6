"""HTTP routes of evidence snapshots (执法取证), operators only (checked here, on the
server; the gate has already refused anyone not signed in):

``POST /snapshots`` (form or JSON: ``camera``, optional ``case_id``) -> 201 + metadata;
``GET /snapshots`` -> the latest 50; ``GET /snapshots/<id>.jpg`` -> the stored JPEG.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, send_file
from flask.typing import ResponseReturnValue

from wall.auth.gate import current_name
from wall.control.snapshots import Snapshot, SnapshotError, SnapshotStore, snapshot_url
from wall.route_guards import operators_with, posted_fields

LIST_COUNT = 50


def _described(snapshot: Snapshot) -> dict[str, Any]:
    return {**snapshot.as_json(), "url": snapshot_url(snapshot.id)}


def install_snapshot_routes(server: Flask, store: SnapshotStore | None) -> None:
    routes = Blueprint("snapshots", __name__)
    routes.before_request(operators_with(store, "no Redis configured: snapshots are not kept"))

    @routes.post("/snapshots")
    def _take() -> ResponseReturnValue:
        assert store is not None  # the blueprint's check
        fields = posted_fields()
        if fields is None:
            return jsonify(error="send camera (and case_id) as a JSON object"), 400
        camera = fields.get("camera")
        case_id = fields.get("case_id")
        if not isinstance(camera, str) or not camera:
            return jsonify(error="camera is required"), 400
        if case_id is not None and not isinstance(case_id, str):
            return jsonify(error="case_id must be text"), 400
        try:
            snapshot = store.take(camera, current_name(), case_id)
        except ValueError as exc:
            return jsonify(error=str(exc)), 400
        except SnapshotError as exc:
            return jsonify(error=str(exc)), exc.status
        return jsonify(_described(snapshot)), 201

    @routes.get("/snapshots")
    def _list() -> ResponseReturnValue:
        assert store is not None
        return jsonify(snapshots=[_described(s) for s in store.latest(LIST_COUNT)])

    @routes.get("/snapshots/<snapshot_id>.jpg")
    def _file(snapshot_id: str) -> ResponseReturnValue:
        assert store is not None
        path = store.path_of(snapshot_id)
        if path is None:
            return jsonify(error=f"no snapshot {snapshot_id!r}"), 404
        response = send_file(path, mimetype="image/jpeg", download_name=path.name, max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        return response

    server.register_blueprint(routes)
