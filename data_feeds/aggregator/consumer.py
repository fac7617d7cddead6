"""The aggregator: one consumer of the ``aggregator`` group over all input streams.

Several may run at once (each with its own name); Redis hands each entry to one of
them. A consumer first re-reads its own pending entries (left by a crash or an
outage), then new ones, and now and then claims entries another consumer left
pending too long (XAUTOCLAIM).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import redis

from core.keys import AGGREGATOR_GROUP, UPDATES_MAXLEN, Keys, StreamName
from core.outage import OUTAGE_ERRORS, Backoff, retry_forever
from core.redis_url import twin
from data_feeds.aggregator.applier import ScriptApplier
from data_feeds.aggregator.batch import Batch, BatchBuilder, Entry, add_dead
from data_feeds.aggregator.maintenance import Maintenance, RetentionPolicy
from data_feeds.aggregator.ops import STREAM_CODES, OpBuilder
from data_feeds.aggregator.script import script_constants, script_keys
from data_feeds.events import STREAMS

log = logging.getLogger(__name__)
# The web tier calls the live state stale once the heartbeat is older than its
# threshold (10 s by default); the key expires so a dead aggregator leaves no trace.
HEARTBEAT_EVERY_S = 1.0
HEARTBEAT_TTL_MS = 60_000


@dataclass(frozen=True)
class AggregatorSettings:
    consumer: str  # this consumer's name in the group; unique per process
    timezone: str = "Asia/Shanghai"  # the hall's: hour buckets and days are local
    batch: int = 500  # entries read per stream at a time (XREADGROUP COUNT)
    block_ms: int = 1000  # how long a read waits for news
    claim_idle_ms: int = 30_000  # another consumer's pending entry is ours after this
    claim_every_s: float = 5.0
    maintenance_every_s: float = 60.0  # trimming and retention (one consumer at a time)
    trail_length: int = 20  # positions kept per officer for the map's trail
    bucket_ttl_s: int = 400 * 86400  # KPI hour buckets: a year and a bit
    dedup_ttl_s: int = 35 * 86400  # how long a hotline or approval event id is remembered
    updates_maxlen: int = UPDATES_MAXLEN  # entries kept in the updates stream
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)


@dataclass
class AggregatorStats:
    applied: int = 0
    dead: int = 0
    batches: int = 0
    claimed: int = 0
    reconnects: int = 0
    # The same by input stream (the metrics: data_feeds.aggregator.metrics).
    applied_by_stream: Counter[str] = field(default_factory=Counter, repr=False)
    dead_by_stream: Counter[str] = field(default_factory=Counter, repr=False)


class Aggregator:
    def __init__(
        self, client: redis.Redis, settings: AggregatorSettings, keys: Keys | None = None
    ) -> None:
        self._client = client
        self._reader = _decoding_twin(client)
        self._settings = settings
        self._keys = keys or Keys()
        self._builder = BatchBuilder(OpBuilder(settings.timezone))
        self._applier = ScriptApplier(
            client, script_keys(self._keys), _constants(self._keys, settings)
        )
        self._waiting: Batch | None = None
        self._maintenance = Maintenance(client, self._keys, settings.retention)
        self._stream_names = {self._keys.stream(name): name for name in STREAMS}
        self._recovering = True
        self._next_claim = 0.0
        self._next_heartbeat = 0.0
        self._next_maintenance = 0.0
        self.stats = AggregatorStats()

    def close(self) -> None:
        """Close the connections this consumer opened (not the client it was given)."""
        self._applier.abandon()
        self._reader.close()

    def ensure_groups(self) -> None:
        """Create the consumer group on every stream (from the start of the stream)."""
        for stream in self._keys.streams.values():
            try:
                self._client.xgroup_create(stream, AGGREGATOR_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def run(self, stop: Callable[[], bool] = lambda: False) -> AggregatorStats:
        """Apply events until ``stop()``; outages are waited out with backoff."""
        backoff = Backoff()
        retry_forever(self.ensure_groups, "aggregator", backoff, stop=stop)
        while not stop():
            if retry_forever(self.step, "aggregator", backoff, stop=stop) is None:
                break
        with contextlib.suppress(*OUTAGE_ERRORS):  # then it stays pending: applied on restart
            self.flush()
        return self.stats

    def step(self) -> int:
        """Read and apply one batch (plus claims and upkeep when due); entries handled."""
        try:
            handled = self.read_batch()
            now = time.monotonic()
            if now >= self._next_claim:
                self._next_claim = now + self._settings.claim_every_s
                handled += self.claim_stale()
            if now >= self._next_heartbeat:
                self._next_heartbeat = now + HEARTBEAT_EVERY_S
                self._client.set(self._keys.heartbeat, int(time.time() * 1000), px=HEARTBEAT_TTL_MS)
            if now >= self._next_maintenance:
                self._next_maintenance = now + self._settings.maintenance_every_s
                self._maintenance.run()
        except OUTAGE_ERRORS:
            self._start_over()
            raise
        except redis.ResponseError as exc:
            if not str(exc).startswith("NOGROUP"):
                raise
            # The server we now talk to lacks a stream or our group: a replica promoted
            # while it was still loading, or a stream deleted by hand. Make them again
            # and carry on (the entries themselves are where the server has them).
            log.warning("aggregator: %s; creating the consumer groups again", exc)
            self._start_over()
            self.ensure_groups()
            return 0
        return handled

    def _start_over(self) -> None:
        # What was read but not acknowledged is still pending on the server:
        # read our own pending entries first once Redis is back.
        self._recovering = True
        self._waiting = None
        self._applier.abandon()
        self.stats.reconnects += 1

    def drain(self, idle_rounds: int = 2) -> int:
        """Apply until no new entries arrive (tests and benchmarks)."""
        total, idle = 0, 0
        while idle < idle_rounds:
            recovering = self._recovering
            handled = self.read_batch(block_ms=50)
            total += handled
            # Finding no pending entries of our own is not idleness: new ones may wait.
            busy = handled or recovering or self._waiting is not None
            idle = 0 if busy else idle + 1
        return total + self.flush()

    def claim_stale(self) -> int:
        """Take over entries other consumers left pending longer than ``claim_idle_ms``."""
        claimed = 0
        for name, stream in self._keys.streams.items():
            _, entries, *_ = self._reader.xautoclaim(
                stream,
                AGGREGATOR_GROUP,
                self._settings.consumer,
                min_idle_time=self._settings.claim_idle_ms,
                start_id="0-0",
                count=self._settings.batch,
            )
            if entries:
                claimed += self.apply({name: cast(list[Entry], entries)})
        self.stats.claimed += claimed
        return claimed

    def read_batch(self, block_ms: int | None = None) -> int:
        """Read the next batch and apply the one read before it; entries applied.

        The two overlap: Redis applies one batch while this process validates the
        next. After a restart or an outage our own pending entries are re-read and
        applied first, one batch at a time.
        """
        if self._recovering:
            applied = self.apply(self._read("0", None))
            self._recovering = applied > 0
            return applied
        waiting, self._waiting = self._waiting, None
        # With a batch waiting, only look (no blocking): it must not wait for news.
        raw = self._read(
            ">", None if waiting is not None else (block_ms or self._settings.block_ms)
        )
        if waiting is not None:
            self._applier.send(waiting.script_args())
        following = self._builder.build(raw)
        if waiting is not None:
            self._finish(waiting)
        self._waiting = following if following else None
        return len(waiting) if waiting is not None else 0

    def _read(self, start: str, block_ms: int | None) -> dict[StreamName, list[Entry]]:
        streams: dict[Any, Any] = {stream: start for stream in self._keys.streams.values()}
        reply = cast(
            list[tuple[str, list[Entry]]],
            self._reader.xreadgroup(
                AGGREGATOR_GROUP, self._settings.consumer, streams,
                count=self._settings.batch, block=block_ms,
            ) or [],
        )  # fmt: skip
        return {self._stream_names[stream]: entries for stream, entries in reply}

    def apply(self, by_stream: Mapping[StreamName, Sequence[Entry]]) -> int:
        """Validate, apply and acknowledge entries now; malformed ones go to the dead letters."""
        batch = self._builder.build(by_stream)
        if batch:
            self._apply_now(batch)
        return len(batch)

    def flush(self) -> int:
        """Apply the batch read last (``read_batch`` applies it one call later)."""
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._apply_now(waiting)
            return len(waiting)
        return 0

    def _apply_now(self, batch: Batch) -> None:
        try:
            self._applier.apply(batch.script_args())
        except redis.ResponseError as exc:
            self._apply_one_by_one(batch, exc)
        self._count(batch)

    def _finish(self, batch: Batch) -> None:
        try:
            self._applier.finish()
        except redis.ResponseError as exc:
            self._apply_one_by_one(batch, exc)
        self._count(batch)

    def _count(self, batch: Batch) -> None:
        self.stats.batches += 1
        self.stats.applied += len(batch.ops)
        self.stats.dead += len(batch.dead)
        for code, count in Counter(op[0] for op in batch.ops).items():
            self.stats.applied_by_stream[STREAM_CODES[code]] += count
        for dead in batch.dead:
            self.stats.dead_by_stream[dead[0]] += 1

    def _apply_one_by_one(self, batch: Batch, error: Exception) -> None:
        # The script refused this batch: a bug, not bad input (input was validated).
        # Retry op by op so one bad op cannot block the rest; it goes to the dead letters.
        log.error("aggregator: batch of %d failed (%s); applying one by one", len(batch), error)
        for op in batch.ops:
            try:
                self._applier.apply(Batch(ops=[op]).script_args())
            except redis.ResponseError as exc:
                dead = Batch()
                stream = STREAM_CODES[op[0]]
                add_dead(dead, stream, op[1], f"could not be applied: {exc}", {})
                self._applier.apply(dead.script_args())
        if batch.dead:
            self._applier.apply(Batch(dead=batch.dead, dead_fields=batch.dead_fields).script_args())


def _constants(keys: Keys, settings: AggregatorSettings) -> str:
    return script_constants(
        keys,
        bucket_ttl_s=settings.bucket_ttl_s,
        trail_length=settings.trail_length,
        dedup_ttl_s=settings.dedup_ttl_s,
        updates_maxlen=settings.updates_maxlen,
    )


def _decoding_twin(client: redis.Redis) -> redis.Redis:
    """A client to the same server that decodes replies in hiredis (C), keeping bytes
    that are not UTF-8 as surrogates instead of failing the whole reply."""
    return twin(client, decode_responses=True, encoding_errors="surrogateescape")
