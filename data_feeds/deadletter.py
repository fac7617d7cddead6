"""Producers' own refusals in the dead-letter stream (the HTTP ingest API's malformed
items), in the aggregator's format: ``stream``, ``entry_id``, ``reason``,
``received_ms`` and the payload's fields as ``payload.<name>``, plus ``source`` (who
sent it). Nothing refused is lost: an operator reads it back with XRANGE."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from core.keys import DEADLETTER_MAXLEN, Keys
from data_feeds.aggregator.batch import MAX_DEAD_FIELDS

MAX_VALUE_CHARS = 2_000  # a field's value kept up to here (a refused item may be huge)


@dataclass(frozen=True)
class Refused:
    stream: str  # as the sender named it ("" when it named none)
    reference: str  # where it was: e.g. "request 1712345678901-3, item 7"
    reason: str
    payload: Any  # the item as received (JSON value)


def payload_fields(payload: Any) -> dict[str, str]:
    """The item as flat ``payload.<name>`` fields; anything but an object as one
    ``payload`` field. Values are JSON text, cut at MAX_VALUE_CHARS."""
    if not isinstance(payload, dict):
        return {"payload": _text(payload)}
    items = list(payload.items())[:MAX_DEAD_FIELDS]
    return {f"payload.{str(name)[:64]}": _text(value) for name, value in items}


def write_refused(client: redis.Redis, keys: Keys, refused: Sequence[Refused], source: str) -> None:
    if not refused:
        return
    now = str(int(time.time() * 1000))
    pipe = client.pipeline(transaction=False)
    for item in refused:
        fields = {"stream": item.stream, "entry_id": item.reference, "reason": item.reason,
                  "received_ms": now, "source": source, **payload_fields(item.payload)}  # fmt: skip
        pipe.xadd(keys.deadletter, fields, maxlen=DEADLETTER_MAXLEN, approximate=True)  # type: ignore[arg-type]
    pipe.execute()


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:MAX_VALUE_CHARS]
