"""Roles on the server, for what the gate alone does not tell apart: a page or a Dash
callback that only operators may use. Dash serves every page and every callback on
shared routes (``/<path>``, ``/_dash-update-component``), so the check reads which
page is asked for, or which outputs a callback would write.

Hiding the console's buttons from a viewer protects nothing: a viewer can POST to
``/_dash-update-component`` by hand. This check answers that POST with 403.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from wall.auth.gate import current_identity
from wall.config.auth import Role, allows

DASH_CALLBACK_PATH = "/_dash-update-component"


class RoleGuard:
    """Pages by path prefix, callbacks by the prefix of their output ids."""

    def __init__(self, role: Role, pages: tuple[str, ...], id_prefix: str) -> None:
        self.role = role
        self.pages = pages
        self.id_prefix = id_prefix

    def install(self, server: Flask) -> None:
        server.before_request(self.check)

    def check(self) -> ResponseReturnValue | None:
        if not (self._guarded_page() or self._guarded_callback()):
            return None
        identity = current_identity()
        if identity is not None and allows(identity.role, self.role):
            return None
        return jsonify(error=f"needs the {self.role} role"), 403

    def _guarded_page(self) -> bool:
        path = request.path.rstrip("/")
        return request.method == "GET" and any(
            path == page or path.startswith(page + "/") for page in self.pages
        )

    def _guarded_callback(self) -> bool:
        if request.path != DASH_CALLBACK_PATH or request.method != "POST":
            return False
        body = request.get_json(silent=True, cache=True)
        if not isinstance(body, dict):
            return False  # not a callback Dash could run either
        return any(self.owns(component_id) for component_id in _output_ids(body))

    def owns(self, component_id: Any) -> bool:
        if isinstance(component_id, dict):
            return any(str(key).startswith(self.id_prefix) for key in component_id)
        return str(component_id).startswith(self.id_prefix)


def _output_ids(body: dict[str, Any]) -> Iterator[Any]:
    """The ids a callback request writes, from both of Dash's ways of naming them."""
    outputs = body.get("outputs")
    for item in outputs if isinstance(outputs, list) else [outputs]:
        for entry in item if isinstance(item, list) else [item]:
            if isinstance(entry, dict) and "id" in entry:
                yield entry["id"]
    for part in str(body.get("output", "")).split(".."):
        name = part.strip(".").rsplit(".", 1)[0]
        if name.startswith("{"):
            try:
                yield json.loads(name)
            except ValueError:
                yield name
        elif name:
            yield name
