"""Device tokens for the unattended wall PCs: viewer-scoped, bound to one screen,
valid until revoked, kept in Redis so that every web process sees a revocation at the
next request.

A token is ``<id>.<secret>``; Redis keeps only the secret's SHA-256, so a copy of the
database does not let anyone in (``wall.auth.credentials``).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from core.keys import Keys
from wall.auth.audit import AuditLog
from wall.auth.credentials import Credential, CredentialStore


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
        self.audit = AuditLog(client, keys)  # where create/revoke by a person are recorded
        self._store = CredentialStore(client, (keys or Keys()).devices)

    def create(self, screen: int, name: str = "") -> tuple[Device, str]:
        """A new device and its token (shown once: only its hash is kept)."""
        made, token = self._store.create(name or f"screen-{screen}", {"screen": screen})
        return _device(made), token

    def verify(self, token: str) -> Device | None:
        """The device a token belongs to, if the token is right and not revoked."""
        found = self._store.verify(token)
        return _device(found) if found is not None else None

    def active(self, device_id: str) -> bool:
        """Whether a signed-in device is still allowed (checked at every request)."""
        found = self._store.get(device_id)
        return found is not None and found.active

    def revoke(self, device_id: str) -> bool:
        return self._store.revoke(device_id) is not None

    def create_audited(self, who: str, screen: int, name: str = "") -> tuple[Device, str]:
        """``create``, recorded in the audit log as ``who``'s (never the token)."""
        device, token = self.create(screen, name)
        self.audit.record(who, "token.create", None, dict(device.__dict__))
        return device, token

    def revoke_audited(self, who: str, device_id: str) -> Device | None:
        """``revoke``, recorded as ``who``'s; the device as it is now, None if unknown."""
        changed = self._store.revoke(device_id)
        if changed is None:
            return None
        before, after = (_device(c) for c in changed)
        self.audit.record(who, "token.revoke", dict(before.__dict__), dict(after.__dict__))
        return after

    def list(self) -> list[Device]:
        return [_device(found) for found in self._store.list()]


def _device(found: Credential) -> Device:
    return Device(found.id, int(found.attrs["screen"]), found.name, found.created_ms,
                  found.revoked_ms)  # fmt: skip
