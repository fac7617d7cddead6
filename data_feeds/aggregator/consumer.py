"""The aggregator: one consumer of the ``aggregator`` group over all input streams.

Several may run at once (each with its own name); Redis hands each entry to one of
them. A consumer first re-reads its own pending entries (left by a crash or an
outage), then new ones, and now and then claims entries another consumer left
pending too long (XAUTOCLAIM).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import redis

from data_feeds.aggregator.maintenance import Maintenance, RetentionPolicy
from data_feeds.aggregator.ops import Op, OpBuilder
from data_feeds.backoff import Backoff, retry_forever
from data_feeds.events import STREAMS, MalformedEventError, parse_entry
from data_feeds.keys import AGGREGATOR_GROUP, Keys

log = logging.getLogger(__name__)
SCRIPT = (Path(__file__).parent / "apply_batch.lua").read_text()
# A dead letter keeps at most this many of the original fields (a hostile entry
# could carry thousands); the reason says when some were left out.
MAX_DEAD_FIELDS = 64
Entry = tuple[bytes, dict[bytes, bytes] | None]


@dataclass(frozen=True)
class AggregatorSettings:
    consumer: str
    timezone: str = "Asia/Shanghai"
    batch: int = 500
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    claim_every_s: float = 5.0
    maintenance_every_s: float = 60.0
    trail_length: int = 20
    bucket_ttl_s: int = 400 * 86400
    dedup_ttl_s: int = 35 * 86400
    updates_maxlen: int = 10_000
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)


@dataclass
class AggregatorStats:
    applied: int = 0
    dead: int = 0
    batches: int = 0
    claimed: int = 0
    reconnects: int = 0


@dataclass
class _Batch:
    ops: list[Op] = field(default_factory=list)
    dead: list[list[Any]] = field(default_factory=list)
    dead_fields: list[bytes | str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ops) + len(self.dead)


class Aggregator:
    def __init__(
        self, client: redis.Redis, settings: AggregatorSettings, keys: Keys | None = None
    ) -> None:
        self._client = client
        self._settings = settings
        self._keys = keys or Keys()
        self._ops = OpBuilder(settings.timezone)
        self._script = client.register_script(SCRIPT)
        self._maintenance = Maintenance(client, self._keys, settings.retention)
        self._stream_names = {self._keys.stream(name).encode(): name for name in STREAMS}
        self._recovering = True
        self._next_claim = 0.0
        self._next_maintenance = 0.0
        self.stats = AggregatorStats()

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
        return self.stats

    def step(self) -> int:
        """Read and apply one batch (plus claims and upkeep when due); entries handled."""
        try:
            handled = self._read_and_apply()
            now = time.monotonic()
            if now >= self._next_claim:
                self._next_claim = now + self._settings.claim_every_s
                handled += self.claim_stale()
            if now >= self._next_maintenance:
                self._next_maintenance = now + self._settings.maintenance_every_s
                self._maintenance.run()
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
            # What was read but not acknowledged is still pending on the server:
            # read our own pending entries first once Redis is back.
            self._recovering = True
            self.stats.reconnects += 1
            raise
        return handled

    def drain(self, idle_rounds: int = 2) -> int:
        """Apply until no new entries arrive (tests and benchmarks)."""
        total, idle = 0, 0
        while idle < idle_rounds:
            recovering = self._recovering
            handled = self._read_and_apply(block_ms=50)
            total += handled
            # Finding no pending entries of our own is not idleness: new ones may wait.
            idle = idle + 1 if handled == 0 and not recovering else 0
        return total

    def claim_stale(self) -> int:
        """Take over entries other consumers left pending longer than ``claim_idle_ms``."""
        claimed = 0
        for name, stream in self._keys.streams.items():
            _, entries, *_ = self._client.xautoclaim(
                stream,
                AGGREGATOR_GROUP,
                self._settings.consumer,
                min_idle_time=self._settings.claim_idle_ms,
                start_id="0-0",
                count=self._settings.batch,
            )
            if entries:
                claimed += self.apply({name: entries})
        self.stats.claimed += claimed
        return claimed

    def _read_and_apply(self, block_ms: int | None = None) -> int:
        start = "0" if self._recovering else ">"
        reply = cast(
            list[tuple[bytes, list[Entry]]],
            self._client.xreadgroup(
                AGGREGATOR_GROUP,
                self._settings.consumer,
                {stream: start for stream in self._keys.streams.values()},
                count=self._settings.batch,
                block=None if self._recovering else (block_ms or self._settings.block_ms),
            )
            or [],
        )
        by_stream = {self._stream_names[_bytes(stream)]: entries for stream, entries in reply}
        handled = self.apply(by_stream)
        if self._recovering and handled == 0:
            self._recovering = False
        return handled

    def apply(self, by_stream: Mapping[str, Sequence[Entry]]) -> int:
        """Validate, apply and acknowledge entries; malformed ones go to the dead letters."""
        batch = _Batch()
        for stream, entries in by_stream.items():
            for entry_id, fields in entries:
                if fields is None:  # trimmed while pending: nothing left to apply
                    self._add_dead(batch, stream, entry_id.decode(), "trimmed before applied", {})
                else:
                    self._add(batch, stream, entry_id.decode(), fields)
        if not batch:
            return 0
        try:
            self._run_script(batch)
        except redis.ResponseError as exc:
            # The script refused this batch (a bug, not bad input: input was
            # validated). Retry entry by entry so one bad op cannot block the rest.
            log.error("aggregator: batch of %d failed (%s); applying one by one", len(batch), exc)
            self._apply_one_by_one(batch, str(exc))
        self.stats.batches += 1
        self.stats.applied += len(batch.ops)
        self.stats.dead += len(batch.dead)
        return len(batch)

    def _apply_one_by_one(self, batch: _Batch, error: str) -> None:
        for op in batch.ops:
            try:
                self._run_script(_Batch(ops=[op]))
            except redis.ResponseError as exc:
                dead = _Batch()
                reason = f"could not be applied: {exc}"
                self._add_dead(dead, op["s"], op["x"], reason, {})
                self._run_script(dead)
        if batch.dead:
            self._run_script(_Batch(dead=batch.dead, dead_fields=batch.dead_fields))

    def _add(self, batch: _Batch, stream: str, entry_id: str, fields: dict[bytes, bytes]) -> None:
        try:
            event = parse_entry(stream, fields)
        except MalformedEventError as exc:
            self._add_dead(batch, stream, entry_id, exc.reason, fields)
            return
        batch.ops.append(self._ops.build(stream, entry_id, event))

    def _add_dead(
        self, batch: _Batch, stream: str, entry_id: str, reason: str, fields: dict[bytes, bytes]
    ) -> None:
        kept = list(fields.items())[:MAX_DEAD_FIELDS]
        if len(fields) > len(kept):
            reason += f" (payload: first {len(kept)} of {len(fields)} fields kept)"
        received = int(time.time() * 1000)
        batch.dead.append([stream, entry_id, reason, len(kept), received])
        for name, value in kept:
            batch.dead_fields += [name, value]

    def _run_script(self, batch: _Batch) -> None:
        settings = self._settings
        args: list[bytes | str | int] = [
            self._keys.prefix,
            AGGREGATOR_GROUP,
            json.dumps(batch.ops, ensure_ascii=False, separators=(",", ":")),
            json.dumps(batch.dead, ensure_ascii=False, separators=(",", ":")),
            settings.bucket_ttl_s,
            settings.trail_length,
            settings.dedup_ttl_s,
            settings.updates_maxlen,
            *batch.dead_fields,
        ]
        self._script(keys=[], args=args)


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
