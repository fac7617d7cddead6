"""Producers write events here: validated, pipelined XADD, streams capped.

A batch that fails half-way because Redis went away is written again whole; the
events that had landed are then in the stream twice, which the aggregator's
idempotency (by event id) makes harmless.

With ``replicas=N`` a batch counts as written only once N replicas have it (Redis
``WAIT``): an event the producer was told is stored then survives the master's death
and a Sentinel failover (docs/scale.md, "Redis high availability"). If the replicas
do not confirm in time the batch is written again, like after an outage.
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
REPLICA_TIMEOUT_MS = 1_000  # how long WAIT waits for the replicas before writing again


class NotReplicated(redis.ConnectionError):
    """The master stored the batch but fewer replicas than asked confirmed it: a
    failover now could lose it, so it is treated as not written (an outage)."""


class EventWriter:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys | None = None,
        maxlen: int = DEFAULT_MAXLEN,
        stop: Callable[[], bool] = lambda: False,
        replicas: int = 0,
    ) -> None:
        self._client = client
        self._keys = keys or Keys()
        self._maxlen = maxlen
        self._replicas = replicas
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

    def write_once(self, events: Sequence[Event]) -> None:
        """Write all events in one attempt (a web request cannot wait out an outage):
        an outage error (``core.outage.OUTAGE_ERRORS``) says it was not written."""
        entries = [(self._keys.stream(stream_of(event)), to_fields(event)) for event in events]
        self._xadd_all(entries)
        self.written += len(events)

    def _xadd_all(self, entries: list[tuple[str, dict[str, str]]]) -> bool:
        pipe = self._client.pipeline(transaction=False)
        for stream, fields in entries:
            pipe.xadd(stream, fields, maxlen=self._maxlen, approximate=True)  # type: ignore[arg-type]
        try:
            pipe.execute()
        except redis.ResponseError as exc:
            if str(exc).startswith("NOREPLICAS"):  # min-replicas-to-write refused it
                raise NotReplicated(str(exc)) from exc
            raise
        if self._replicas:
            confirmed = int(self._client.wait(self._replicas, REPLICA_TIMEOUT_MS))
            if confirmed < self._replicas:
                raise NotReplicated(f"{confirmed} of {self._replicas} replica(s) confirmed")
        return True
