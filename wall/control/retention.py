"""Evidence retention: snapshots and clips older than ``snapshots.retention_days`` lose
their file and their record, unless they are linked to a case that is not finished
(that case's evidence is kept while it is open; a case id the aggregator never saw
closed counts as open: it may be the business system's). A sweep runs every hour in
every web process; a Redis lock lets one of them do it."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import redis

from core.keys import Keys
from core.outage import OUTAGE_ERRORS
from wall.config.models import WallConfigBase
from wall.control.evidence import EvidenceIndex, EvidenceKind

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 3600.0
CLIPS_SUBDIRECTORY = "clips"  # clips are kept under <snapshot directory>/clips/
PAGE = 500


@dataclass(frozen=True)
class SweepResult:
    removed: int
    kept_for_cases: int


def sweep_snapshots(
    client: redis.Redis,
    config: WallConfigBase,
    directory: Path,
    now: float | None = None,
) -> SweepResult | None:
    """Delete the expired snapshots; None when retention is off or another process
    holds this hour's sweep."""
    days = config.snapshots.retention_days
    if days == 0:
        return None
    keys = Keys(config.redis.prefix)
    if not client.set(keys.snapshot_sweep_lock, "1", nx=True, ex=int(SWEEP_EVERY_S) - 60):
        return None
    cutoff_ms = int(((now if now is not None else time.time()) - days * 86400) * 1000)
    removed = kept = 0
    sweeps: tuple[tuple[EvidenceKind, str, Path], ...] = (
        ("snapshot", keys.snapshots, directory),
        ("clip", keys.clips, directory / CLIPS_SUBDIRECTORY),
    )
    for kind, stream, root in sweeps:
        gone, stayed = _sweep_stream(client, keys, kind, stream, root, cutoff_ms)
        removed, kept = removed + gone, kept + stayed
    if removed:
        log.info("evidence older than %d days removed: %d (kept for open cases: %d)",
                 days, removed, kept)  # fmt: skip
    return SweepResult(removed, kept)


def _sweep_stream(
    client: redis.Redis,
    keys: Keys,
    kind: EvidenceKind,
    stream: str,
    directory: Path,
    cutoff_ms: int,
) -> tuple[int, int]:
    removed = kept = 0
    evidence = EvidenceIndex(client, keys)
    for entry_id, fields in _entries(client, stream):
        if int(fields.get(b"at_ms", b"0")) >= cutoff_ms:
            continue
        case_id = fields.get(b"case_id", b"").decode()
        if case_id and client.zscore(keys.closed_cases, case_id) is None:
            kept += 1  # its case is still open (or one the aggregator never saw closed)
            continue
        relative = fields.get(b"path", b"").decode()
        if relative and ".." not in relative:
            (directory / relative).unlink(missing_ok=True)
            _remove_if_empty((directory / relative).parent)
        client.xdel(stream, entry_id)
        if case_id:
            evidence.unlink(case_id, kind, fields.get(b"id", b"").decode())
        removed += 1
    return removed, kept


def _entries(client: redis.Redis, stream: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """Every entry, oldest first, read a page at a time."""
    found: list[tuple[bytes, dict[bytes, bytes]]] = []
    start = "-"
    while True:
        page = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            client.xrange(stream, min=start, count=PAGE),
        )
        found += page
        if len(page) < PAGE:
            return found
        start = "(" + page[-1][0].decode()


def _remove_if_empty(day: Path) -> None:
    with contextlib.suppress(OSError):
        day.rmdir()  # only when empty: the day's other snapshots stay


class SnapshotSweeper:
    """The hourly sweep, on a daemon thread, for the life of a web process."""

    def __init__(self, sweep: Callable[[], SweepResult | None]) -> None:
        self._sweep = sweep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshot-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sweep()
            except OUTAGE_ERRORS as exc:
                log.warning("snapshot sweep skipped: %s", exc)
            except Exception:
                log.exception("snapshot sweep failed")  # next hour tries again
            self._stop.wait(SWEEP_EVERY_S)
