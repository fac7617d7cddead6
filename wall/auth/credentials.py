"""Tokens kept in Redis: the wall PCs' device tokens, other systems' API keys, officers'
terminals. Every web worker sees a revocation at the next request; only a secret's
SHA-256 is stored, the token is shown once when it is made.

A token is ``<id>.<secret>``: the id finds the record, the secret proves it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import redis


@dataclass(frozen=True)
class Credential:
    id: str
    name: str
    created_ms: int
    revoked_ms: int | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)  # scopes, device, officer …

    @property
    def active(self) -> bool:
        return self.revoked_ms is None

    def public(self) -> dict[str, Any]:
        """What may be shown and audited (never the hash)."""
        return {"id": self.id, "name": self.name, "created_ms": self.created_ms,
                "revoked_ms": self.revoked_ms, **self.attrs}  # fmt: skip


class CredentialStore:
    """One Redis hash of id → record (JSON)."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._client = client
        self._key = key

    def create(self, name: str, attrs: Mapping[str, Any]) -> tuple[Credential, str]:
        """A new credential and its token (shown once)."""
        ident, secret = secrets.token_hex(4), secrets.token_urlsafe(24)
        made = Credential(ident, name, int(time.time() * 1000), None, dict(attrs))
        record = {**made.public(), "sha256": _digest(secret)}
        if not self._client.hsetnx(self._key, ident, json.dumps(record, ensure_ascii=False)):
            return self.create(name, attrs)  # an id taken already: draw again
        return made, f"{ident}.{secret}"

    def verify(self, token: str) -> Credential | None:
        """Whose token this is, if it is right and not revoked."""
        ident, _, secret = token.partition(".")
        record = self._record(ident)
        if record is None or not secret:
            return None
        if not hmac.compare_digest(str(record.get("sha256", "")), _digest(secret)):
            return None
        found = _credential(record)
        return found if found.active else None

    def get(self, ident: str) -> Credential | None:
        record = self._record(ident)
        return _credential(record) if record is not None else None

    def revoke(self, ident: str) -> tuple[Credential, Credential] | None:
        """(before, after), None when there is no such id."""
        record = self._record(ident)
        if record is None:
            return None
        before = _credential(record)
        if before.active:
            record["revoked_ms"] = int(time.time() * 1000)
            self._client.hset(self._key, ident, json.dumps(record, ensure_ascii=False))
        return before, _credential(record)

    def list(self) -> list[Credential]:
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._key))
        found = (_credential(json.loads(value)) for value in raw.values())
        return sorted(found, key=lambda c: c.created_ms)

    def _record(self, ident: str) -> dict[str, Any] | None:
        if not ident or len(ident) > 16:
            return None
        raw = self._client.hget(self._key, ident)
        return cast(dict[str, Any], json.loads(cast(bytes, raw))) if raw is not None else None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _credential(record: Mapping[str, Any]) -> Credential:
    known = {"id", "name", "created_ms", "revoked_ms", "sha256"}
    revoked = record.get("revoked_ms")
    return Credential(
        id=str(record["id"]),
        name=str(record["name"]),
        created_ms=int(record["created_ms"]),
        revoked_ms=int(revoked) if revoked is not None else None,
        attrs={k: v for k, v in record.items() if k not in known},
    )
