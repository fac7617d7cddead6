"""The key that signs sessions: the same for every web process of one wall, so a
screen's session survives a restart and works behind several workers."""

from __future__ import annotations

import logging
import os
import secrets
from typing import cast

import redis

from core.keys import Keys
from core.outage import OUTAGE_ERRORS

log = logging.getLogger(__name__)


def session_secret(client: redis.Redis | None, keys: Keys) -> str:
    """$CITYWALL_SECRET, else one kept in Redis (made by the first process), else a
    fresh one for this process only (sessions end when it stops)."""
    configured = os.environ.get("CITYWALL_SECRET")
    if configured:
        return configured
    if client is not None:
        key = keys.session_secret
        try:
            client.set(key, secrets.token_urlsafe(32), nx=True)
            return cast(bytes, client.get(key)).decode()
        except OUTAGE_ERRORS as exc:
            log.warning("session key not read from Redis (%s): this process makes its own", exc)
    return secrets.token_urlsafe(32)
