"""Device tokens for the unattended wall PCs: viewer-scoped, bound to one screen,
valid until revoked, kept in Redis so that every web process sees a revocation at the
next request.

A token is ``<id>.<secret>``; Redis keeps only the secret's SHA-256, so a copy of the
database does not let anyone in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import cast

import redis

from core.keys import Keys
from wall.auth.audit import AuditLog


@dataclass(frozen=True)
class Device:
    id: str
    screen: int
    name: str
    created_ms: int
    revoked_ms: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_ms is None


class DeviceTokens:
    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self._client = client
        self.audit = AuditLog(client, keys)  # where create/revoke by a person are recorded
        self._key = (keys or Keys()).devices

    def create(self, screen: int, name: str = "") -> tuple[Device, str]:
        """A new device and its token (shown once: only its hash is kept)."""
        device_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(24)
        device = Device(device_id, screen, name or f"screen-{screen}", int(time.time() * 1000))
        record = {**device.__dict__, "sha256": _digest(secret)}
        if not self._client.hsetnx(self._key, device_id, json.dumps(record)):
            return self.create(screen, name)  # an id taken already: draw again
        return device, f"{device_id}.{secret}"

    def verify(self, token: str) -> Device | None:
        """The device a token belongs to, if the token is right and not revoked."""
        device_id, _, secret = token.partition(".")
        record = self._record(device_id)
        if record is None or not secret:
            return None
        if not hmac.compare_digest(str(record["sha256"]), _digest(secret)):
            return None
        device = _device(record)
        return device if device.active else None

    def active(self, device_id: str) -> bool:
        """Whether a signed-in device is still allowed (checked at every request)."""
        record = self._record(device_id)
        return record is not None and record.get("revoked_ms") is None

    def revoke(self, device_id: str) -> bool:
        record = self._record(device_id)
        if record is None:
            return False
        record["revoked_ms"] = int(time.time() * 1000)
        self._client.hset(self._key, device_id, json.dumps(record))
        return True

    def create_audited(self, who: str, screen: int, name: str = "") -> tuple[Device, str]:
        """``create``, recorded in the audit log as ``who``'s (never the token)."""
        device, token = self.create(screen, name)
        self.audit.record(who, "token.create", None, dict(device.__dict__))
        return device, token

    def revoke_audited(self, who: str, device_id: str) -> Device | None:
        """``revoke``, recorded as ``who``'s; the device as it is now, None if unknown."""
        before = next((d for d in self.list() if d.id == device_id), None)
        if before is None or not self.revoke(device_id):
            return None
        after = next(d for d in self.list() if d.id == device_id)
        self.audit.record(who, "token.revoke", dict(before.__dict__), dict(after.__dict__))
        return after

    def list(self) -> list[Device]:
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._key))
        return sorted((_device(json.loads(v)) for v in raw.values()), key=lambda d: d.created_ms)

    def _record(self, device_id: str) -> dict[str, object] | None:
        raw = self._client.hget(self._key, device_id) if device_id else None
        return json.loads(cast(bytes, raw)) if raw is not None else None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _device(record: dict[str, object]) -> Device:
    revoked = record.get("revoked_ms")
    return Device(
        id=str(record["id"]),
        screen=int(cast(int, record["screen"])),
        name=str(record["name"]),
        created_ms=int(cast(int, record["created_ms"])),
        revoked_ms=int(cast(int, revoked)) if revoked is not None else None,
    )
