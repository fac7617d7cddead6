"""Viewer tokens for the relay: per user, per camera, short-lived, signed.

The web server (which knows who is signed in) signs ``user|camera|expiry`` with the
key it shares with the relay (core.secrets: generated, or configured; never sent to a
browser); the relay checks the signature, the camera and the expiry. A token copied
from one page opens one camera for a minute, not the county's 347.

Snapshot tokens (``GET /snapshot/{camera}``) and clip tokens (``/clips/{camera}``,
evidence recordings) have the same shape but are each signed with a key derived for that
purpose only: a viewer token cannot take a snapshot or record a clip, nor the reverse,
and a snapshot token records no clip.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

TTL_S = 60.0  # long enough to start a session; the session itself lives on after


def sign_viewer_token(
    key: str, user: str, camera_id: str, ttl_s: float = TTL_S, now: float | None = None
) -> str:
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{user}|{camera_id}|{expires}".encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_signature(key, payload)}"


def check_viewer_token(
    key: str, token: str, camera_id: str, allow_expired: bool = False, now: float | None = None
) -> bool:
    """Whether ``token`` was signed with ``key`` for ``camera_id`` and has not expired
    (``allow_expired``: a session's own DELETE may come long after its start)."""
    body, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        _user, camera, expires = payload.decode().split("|")
        deadline = int(expires)
    except (ValueError, UnicodeDecodeError):
        return False
    if not hmac.compare_digest(signature, _signature(key, payload)):
        return False
    if camera != camera_id:
        return False
    return allow_expired or deadline >= (time.time() if now is None else now)


def sign_snapshot_token(
    key: str, user: str, camera_id: str, ttl_s: float = TTL_S, now: float | None = None
) -> str:
    return sign_viewer_token(_snapshot_key(key), user, camera_id, ttl_s, now)


def check_snapshot_token(key: str, token: str, camera_id: str, now: float | None = None) -> bool:
    """Whether ``token`` is a fresh snapshot token for ``camera_id`` (never a viewer's)."""
    return check_viewer_token(_snapshot_key(key), token, camera_id, now=now)


def sign_clip_token(
    key: str, user: str, camera_id: str, ttl_s: float = TTL_S, now: float | None = None
) -> str:
    return sign_viewer_token(_clip_key(key), user, camera_id, ttl_s, now)


def check_clip_token(key: str, token: str, camera_id: str, now: float | None = None) -> bool:
    """Whether ``token`` is a fresh clip token for ``camera_id`` (never a viewer's or a
    snapshot's: recording holds the relay's memory for minutes, a separate right)."""
    return check_viewer_token(_clip_key(key), token, camera_id, now=now)


def _snapshot_key(key: str) -> str:
    return hmac.new(key.encode(), b"citywall relay snapshot token", hashlib.sha256).hexdigest()


def _clip_key(key: str) -> str:
    return hmac.new(key.encode(), b"citywall relay clip token", hashlib.sha256).hexdigest()


def _signature(key: str, payload: bytes) -> str:
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()[:32]
