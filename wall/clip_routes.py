"""HTTP routes of evidence clips (执法取证 · 录像), operators only (checked here, on the
server; the gate has already answered 401 to anyone not signed in):

``POST /clips`` (JSON or form: ``camera``, optional ``case_id``, ``before_s`` 0–60)
-> 201 the recording under way; ``POST /clips/<id>/stop`` -> 201 the saved clip;
``GET /clips`` -> the recordings under way and the latest 50 clips;
``GET /clips/<id>.mp4`` -> the stored MP4 (ranges: a browser seeks in it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, send_file
from flask.typing import ResponseReturnValue

from core.outage import OUTAGE_ERRORS
from wall.auth.gate import current_name
from wall.control.clips import Clip, ClipError, ClipStore, clip_url
from wall.route_guards import operators_with, posted_fields

LIST_COUNT = 50


def _described(clip: Clip) -> dict[str, Any]:
    return {**clip.as_json(), "url": clip_url(clip.id)}


def install_clip_routes(server: Flask, store: ClipStore | None) -> None:
    routes = Blueprint("clips", __name__)
    routes.before_request(operators_with(store, "no Redis configured: clips are not kept"))

    @routes.post("/clips")
    def _start() -> ResponseReturnValue:
        assert store is not None  # the blueprint's check
        fields = posted_fields()
        if fields is None:
            return jsonify(error="send camera (case_id, before_s) as a JSON object"), 400
        camera, case_id = fields.get("camera"), fields.get("case_id")
        if not isinstance(camera, str) or not camera:
            return jsonify(error="camera is required"), 400
        if case_id is not None and not isinstance(case_id, str):
            return jsonify(error="case_id must be text"), 400
        try:
            before_s = float(fields.get("before_s", 10))
            recording = store.start(camera, current_name(), case_id, before_s)
        except ValueError as exc:
            return jsonify(error=str(exc)), 400
        except ClipError as exc:
            return jsonify(error=str(exc)), exc.status
        except OUTAGE_ERRORS:
            return jsonify(error="Redis is unreachable"), 503
        return jsonify(recording.as_json()), 201

    @routes.post("/clips/<clip_id>/stop")
    def _stop(clip_id: str) -> ResponseReturnValue:
        assert store is not None
        try:
            clip = store.stop(clip_id, current_name())
        except ClipError as exc:
            return jsonify(error=str(exc)), exc.status
        except OUTAGE_ERRORS:
            return jsonify(error="Redis is unreachable: the clip stays on the relay"), 503
        return jsonify(_described(clip)), 201

    @routes.get("/clips")
    def _list() -> ResponseReturnValue:
        assert store is not None
        return jsonify(
            recording=[r.as_json() for r in store.recordings()],
            clips=[_described(c) for c in store.latest(LIST_COUNT)],
        )

    @routes.get("/clips/<clip_id>.mp4")
    def _file(clip_id: str) -> ResponseReturnValue:
        assert store is not None
        path = store.path_of(clip_id)
        if path is None:
            return jsonify(error=f"no clip {clip_id!r}"), 404
        response = send_file(path, mimetype="video/mp4", download_name=path.name, max_age=0,
                             conditional=True)  # fmt: skip
        response.headers["Cache-Control"] = "private, no-store"
        return response

    server.register_blueprint(routes)
