"""``POST /api/v1/events``: other systems (the 数字城管 business system, the hotline,
the approvals platform) push documented events in batches, authenticated by an API
key whose scopes name the streams it may write.

Each item is validated alone by the same models as every stream entry: the valid ones
are written (``EventWriter``: WAIT for replicas when configured), a malformed one is
refused with its reason and kept in the dead-letter stream, a repeat of an accepted
``event_id`` on its stream is reported as a duplicate and not written again (the
aggregator would apply it once anyway). A key without the scope for one of the items
refuses the whole request (403), before anything is written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from flask import Response, g, jsonify
from flask.typing import ResponseReturnValue

from core.keys import Keys, StreamName
from core.outage import OUTAGE_ERRORS
from data_feeds.deadletter import Refused, write_refused
from data_feeds.events import Event, MalformedEventError
from data_feeds.json_events import parse_item, stream_named
from data_feeds.writer import EventWriter
from wall.api.credentials import Credential
from wall.api.models import IngestAnswer, ItemResult
from wall.config.ingest import IngestSpec

log = logging.getLogger(__name__)

SEEN_TTL_S = 35 * 86400  # as long as the aggregator remembers an event id
WRITE_DEADLINE_S = 5.0  # Redis away longer: 503, the sender tries the batch again


@dataclass
class _Parsed:
    results: list[ItemResult]
    valid: list[tuple[int, StreamName, Event]]
    refused: list[Refused]


class EventIngest:
    """Validates, deduplicates and writes one batch; the route is in wall.api.routes."""

    def __init__(
        self, client: redis.Redis, keys: Keys, spec: IngestSpec, replicas_to_ack: int = 0
    ) -> None:
        self._client = client
        self._keys = keys
        self.spec = spec
        self._replicas = replicas_to_ack

    def forbidden_streams(self, items: Sequence[Any], scopes: Sequence[str]) -> list[str]:
        """The streams items name that the key may not write (malformed ones aside)."""
        named = set()
        for item in items:
            try:
                named.add(stream_named(item))
            except MalformedEventError:
                continue
        return sorted(named - set(scopes))

    def ingest(self, items: Sequence[Any], key: Credential) -> IngestAnswer | None:
        """The answer; None when Redis could not take the batch in time (nothing was
        marked as seen: the sender sends it again)."""
        batch = f"{int(time.time() * 1000)}-{key.id}"
        parsed = self._parse(items, batch)
        duplicates = self._duplicates(parsed.valid)
        fresh = [(i, s, e) for i, s, e in parsed.valid if i not in duplicates]
        deadline = time.monotonic() + WRITE_DEADLINE_S
        writer = EventWriter(self._client, self._keys, replicas=self._replicas,
                             stop=lambda: time.monotonic() > deadline)  # fmt: skip
        if not writer.write([event for _, _, event in fresh]):
            return None
        self._mark_seen(fresh)
        write_refused(self._client, self._keys, parsed.refused, f"api:{key.name}")
        for index, _, event in parsed.valid:
            status = "duplicate" if index in duplicates else "accepted"
            parsed.results[index] = ItemResult(index=index, event_id=event.event_id, status=status)
        return IngestAnswer(
            accepted=len(fresh),
            duplicates=len(duplicates),
            refused=len(parsed.refused),
            results=parsed.results,
        )

    def _parse(self, items: Sequence[Any], batch: str) -> _Parsed:
        parsed = _Parsed([], [], [])
        for index, item in enumerate(items):
            try:
                stream, event = parse_item(item)
            except MalformedEventError as exc:
                named = item.get("stream") if isinstance(item, dict) else None
                event_id = item.get("event_id") if isinstance(item, dict) else None
                where = f"batch {batch}, item {index}"
                claimed = named if isinstance(named, str) else ""
                parsed.refused.append(Refused(claimed, where, exc.reason, item))
                shown = event_id if isinstance(event_id, str) and len(event_id) <= 64 else None
                parsed.results.append(ItemResult(index=index, event_id=shown, status="refused",
                                                 reason=exc.reason))  # fmt: skip
                continue
            parsed.valid.append((index, stream, event))
            parsed.results.append(ItemResult(index=index, status="accepted"))  # set later
        return parsed

    def _duplicates(self, valid: Sequence[tuple[int, StreamName, Event]]) -> set[int]:
        """Items whose event id was accepted before, or earlier in this batch."""
        if not valid:
            return set()
        pipe = self._client.pipeline(transaction=False)
        for _, stream, event in valid:
            pipe.exists(self._keys.ingest_seen(stream, event.event_id))
        seen_before = pipe.execute()
        duplicates, in_batch = set(), set()
        for (index, stream, event), before in zip(valid, seen_before, strict=True):
            if before or (stream, event.event_id) in in_batch:
                duplicates.add(index)
            in_batch.add((stream, event.event_id))
        return duplicates

    def _mark_seen(self, written: Sequence[tuple[int, StreamName, Event]]) -> None:
        if not written:
            return
        pipe = self._client.pipeline(transaction=False)
        for _, stream, event in written:
            pipe.set(self._keys.ingest_seen(stream, event.event_id), 1, ex=SEEN_TTL_S)
        try:
            pipe.execute()
        except OUTAGE_ERRORS:  # written but not marked: a resend is applied once anyway
            log.warning("ingest: could not mark %d accepted event ids as seen", len(written))


def json_error(message: str, status: int, **headers: str) -> ResponseReturnValue:
    response: Response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers)
    return response


def current_key() -> Credential:
    key: Credential = g.api_key
    return key
