"""The relay's own routes (snapshots, clips) answer alike: JSON errors, and a bearer
token of their own kind for the camera asked, else 401."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

TokenCheck = Callable[[str, str], bool]  # (token, camera id) -> valid for it


def json_error(status: int, message: str, **extra: str) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def token_refusal(request: web.Request, check: TokenCheck, kind: str) -> web.Response | None:
    """401 unless the request carries a valid ``kind`` token for its ``camera_id``."""
    camera_id = request.match_info["camera_id"]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and check(token.strip(), camera_id):
        return None
    return web.json_response(
        {"error": f"a valid {kind} token for this camera is required"},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="citywall-relay"'},
    )
