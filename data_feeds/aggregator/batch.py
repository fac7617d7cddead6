"""A batch of stream entries turned into what the apply script takes: ops for the
valid events, dead letters (reason and original fields) for the others."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.keys import StreamName
from data_feeds.aggregator.ops import Op, OpBuilder
from data_feeds.events import SCHEMA_VERSIONS, STREAM_MODELS, MalformedEventError, parse_entry

# Entries are read already decoded (by hiredis, in C) with errors="surrogateescape":
# text that is not UTF-8 survives as lone surrogates, which validation rejects, and
# encodes back to the exact original bytes for the dead letters.
Entry = tuple[str, dict[str, str] | None]
# A dead letter keeps at most this many of the original fields (a hostile entry
# could carry thousands); the reason says when some were left out.
MAX_DEAD_FIELDS = 64


@dataclass
class Batch:
    ops: list[Op] = field(default_factory=list)
    dead: list[list[Any]] = field(default_factory=list)
    dead_fields: list[bytes | str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ops) + len(self.dead)

    def script_args(self) -> list[Any]:
        """ARGV[2:] of the apply script (ARGV[1], the constants, is the applier's)."""
        return [
            json.dumps(self.ops, ensure_ascii=False, separators=(",", ":")),
            json.dumps(self.dead, ensure_ascii=False, separators=(",", ":")),
            *self.dead_fields,
        ]


class BatchBuilder:
    def __init__(self, ops: OpBuilder) -> None:
        self._ops = ops

    def build(self, by_stream: Mapping[StreamName, Sequence[Entry]]) -> Batch:
        batch = Batch()
        for stream, entries in by_stream.items():
            model = STREAM_MODELS[stream]
            for entry_id, fields in entries:
                if fields is None:  # trimmed while pending: nothing left to apply
                    add_dead(batch, stream, entry_id, "trimmed before applied", {})
                    continue
                try:
                    # The common case in one step; anything odd takes the slow path
                    # for a precise reason.
                    if fields.get("v") not in SCHEMA_VERSIONS:
                        raise ValueError
                    event = model.model_validate(fields)
                except ValueError:
                    original = _original_bytes(fields)
                    try:
                        event = parse_entry(stream, original)
                    except MalformedEventError as exc:
                        add_dead(batch, stream, entry_id, exc.reason, original)
                        continue
                batch.ops.append(self._ops.build(entry_id, event))
        return batch


def _original_bytes(fields: Mapping[str, str]) -> dict[bytes, bytes]:
    return {
        key.encode("utf-8", "surrogateescape"): value.encode("utf-8", "surrogateescape")
        for key, value in fields.items()
    }


def add_dead(
    batch: Batch, stream: str, entry_id: str, reason: str, fields: Mapping[bytes, bytes]
) -> None:
    kept = list(fields.items())[:MAX_DEAD_FIELDS]
    if len(fields) > len(kept):
        reason += f" (payload: first {len(kept)} of {len(fields)} fields kept)"
    batch.dead.append([stream, entry_id, reason, len(kept), int(time.time() * 1000)])
    for name, value in kept:
        batch.dead_fields += [name, value]
