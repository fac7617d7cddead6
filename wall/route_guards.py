"""What the operators' evidence and case routes share: the role check with "is the
service there" in one ``before_request``, and reading a POST's fields from a form or
a JSON object alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from wall.auth.gate import require


def operators_with(
    service: object | None, missing: str
) -> Callable[[], ResponseReturnValue | None]:
    """Operators only (checked on the server); then 503 ``missing`` when ``service`` is
    None (the wall runs without Redis)."""
    only_operators = require("operator")

    def check() -> ResponseReturnValue | None:
        denied = only_operators()
        if denied is None and service is None:
            return jsonify(error=missing), 503
        return denied

    return check


def posted_fields() -> Mapping[str, Any] | None:
    """A POST's fields: its form, or its JSON body when it sends JSON (None when that
    body is not a JSON object)."""
    if not request.is_json:
        return request.form
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None
