"""The audit log: every operator and admin action, as one entry of ``citywall:audit``
(who, what, when, before and after), kept for the console to show and for review.

Writers pass what they changed; nothing here decides what is worth recording.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any, cast

import redis

from core.keys import Keys

MAXLEN = 100_000  # about a year of a busy hall's actions


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at_ms: int
    who: str
    action: str
    before: Any
    after: Any
    address: str = ""  # the client's address (through a trusted proxy: the real one)


class AuditLog:
    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self._client = client
        self._stream = (keys or Keys()).audit

    def record(
        self, who: str, action: str, before: Any = None, after: Any = None,
        address: str | None = None,
    ) -> str:  # fmt: skip
        """One entry; ``address`` defaults to the current request's client address."""
        if address is None:
            address = _request_address()
        fields = {
            "who": who,
            "action": action,
            "at_ms": str(int(time.time() * 1000)),
            "before": json.dumps(before, ensure_ascii=False),
            "after": json.dumps(after, ensure_ascii=False),
            "address": address or "",
        }
        entry_id = self._client.xadd(self._stream, fields, maxlen=MAXLEN, approximate=True)  # type: ignore[arg-type]
        return cast(bytes, entry_id).decode()

    def latest(self, count: int = 50) -> list[AuditEntry]:
        """The newest entries first."""
        raw = cast(list[tuple[bytes, dict[bytes, bytes]]],
                   self._client.xrevrange(self._stream, count=count))  # fmt: skip
        return [_entry(entry_id, fields) for entry_id, fields in raw]


def _request_address() -> str | None:
    """The client address of the request being served, if any. Flask is looked up, not
    imported: the CLI records entries too and must not load the web tier for it (and
    where Flask was never imported there is no request)."""
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_request_context():
        return None
    address: str | None = flask.request.remote_addr
    return address


def _entry(entry_id: bytes, fields: dict[bytes, bytes]) -> AuditEntry:
    text = {key.decode(): value.decode() for key, value in fields.items()}
    return AuditEntry(
        id=entry_id.decode(),
        at_ms=int(text["at_ms"]),
        who=text["who"],
        action=text["action"],
        before=json.loads(text["before"]),
        after=json.loads(text["after"]),
        address=text.get("address", ""),  # entries written before issue 13 have none
    )
