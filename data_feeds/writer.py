"""Producers write events here: validated, pipelined XADD, streams capped.

A batch that fails half-way because Redis went away is written again whole; the
events that had landed are then in the stream twice, which the aggregator's
idempotency (by event id) makes harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import redis

from core.keys import Keys
from core.outage import Backoff, retry_forever
from data_feeds.events import Event, stream_of, to_fields

# A safety net, not the trimming policy: the aggregator trims what it has applied
# (MINID). This cap only bounds a stream nobody consumes.
DEFAULT_MAXLEN = 1_000_000


class EventWriter:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys | None = None,
        maxlen: int = DEFAULT_MAXLEN,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self._client = client
        self._keys = keys or Keys()
        self._maxlen = maxlen
        self._stop = stop
        self._backoff = Backoff()
        self.written = 0

    def write(self, events: Sequence[Event]) -> bool:
        """Write all events, retrying through outages; False if stopped first."""
        if not events:
            return True
        entries = [(self._keys.stream(stream_of(event)), to_fields(event)) for event in events]
        done = retry_forever(
            lambda: self._xadd_all(entries), "writer", self._backoff, stop=self._stop
        )
        if done is None:
            return False
        self.written += len(events)
        return True

    def _xadd_all(self, entries: list[tuple[str, dict[str, str]]]) -> bool:
        pipe = self._client.pipeline(transaction=False)
        for stream, fields in entries:
            pipe.xadd(stream, fields, maxlen=self._maxlen, approximate=True)  # type: ignore[arg-type]
        pipe.execute()
        return True
