"""The live hub: one thread per web process follows ``citywall:updates``, rebuilds the
live parts an update touched, once, and hands the result to every connected screen.

100 screens therefore cost one set of Redis reads per update, not 100. What a screen
receives is a *frame*: the keys that changed since the previous frame (a delta), or,
for a screen that just connected or fell behind, everything (a full frame). Both are
serialized once per frame, per tile, and shared.

The hub also decides whether the live state is *stale*: Redis unreachable, or no
aggregator heartbeat for ``stale_after_s``. Stale tiles keep their last values.

It also writes this process's heartbeat (core.web_heartbeat: ``citywall status`` lists
the web workers from them) and tells a ``LiveObserver`` (the web tier's metrics) how
long builds take and when Redis fails.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import redis

from core.keys import Keys
from core.outage import OUTAGE_ERRORS, Backoff
from core.topics import FIELD_EARLIEST, FIELD_TOPICS, Topic, parse_topics
from core.web_heartbeat import BEAT_EVERY_S, BEAT_TTL_S, WebBeat, this_process, worker_name
from data_feeds.kpis import DayTotals, KpiReader
from wall.config.models import WallConfigBase
from wall.i18n import Translator
from wall.live.data import LiveData
from wall.live.observe import LiveObserver
from wall.live.parts import BoundPart, LiveTile
from wall.live.shared import ELECT_EVERY_S, SharedBuild
from wall.live.values import REMOVED, dumps, keyed_diff, plain

log = logging.getLogger(__name__)
_Entry = tuple[bytes, dict[bytes, bytes]]


@dataclass(frozen=True)
class HubSettings:
    stale_after_s: float = 10.0  # no aggregator heartbeat for this long: stale
    refresh_s: float = 30.0  # rebuild everything at least this often (deadlines, midnight)
    block_ms: int = 500  # longest wait on the updates stream
    heartbeat_check_s: float = 1.0


@dataclass(frozen=True)
class Status:
    stale: bool
    reason: str  # "" | "redis" (unreachable) | "aggregator" (no heartbeat) | "starting"
    fresh_ms: int  # wall-clock ms when the live state was last known fresh; 0 = never

    def as_json(self, now_ms: int) -> dict[str, Any]:
        age = now_ms - self.fresh_ms if self.fresh_ms else None
        # now_ms: the server's clock, so screens turn camera tours in step with it.
        return {"stale": self.stale, "reason": self.reason, "age_ms": age, "now_ms": now_ms}


Changes = dict[str, dict[str, dict[str, object]]]  # tile id -> part -> key -> value


@dataclass(frozen=True)
class Frame:
    seq: int
    delta: dict[str, str]  # tile id -> JSON of the parts and keys that changed
    full: dict[str, str]  # tile id -> JSON of every part of the tile
    update_ms: int  # Redis time of the newest update behind this frame (0: a refresh)
    changes: Changes = field(default_factory=dict)  # delta, decoded
    # Redis time of the newest update that made this frame's parts rebuild; 0 when
    # they were rebuilt for another reason (a refresh, a tour's step): push latency.
    trigger_ms: int = 0


RECENT_FRAMES = 32  # a screen up to this many frames behind gets the merged deltas


def merge_changes(frames: Sequence[Frame]) -> Changes:
    """The deltas of consecutive frames as one: later values win, null still removes."""
    merged: Changes = {}
    for frame in frames:
        for tile_id, parts in frame.changes.items():
            for name, diff in parts.items():
                merged.setdefault(tile_id, {}).setdefault(name, {}).update(diff)
    return merged


@dataclass
class _PartState:
    values: dict[str, object] = field(default_factory=dict)
    pending: bool = True
    built_at: float = float("-inf")
    expires_ms: int | None = None  # what it shows changes by itself then (a tour's step)
    update_ms: int = 0  # Redis time of the newest update that made it pending (0: none)


class LiveHub:
    def __init__(
        self,
        client: redis.Redis,
        config: WallConfigBase,
        tiles: Sequence[LiveTile],
        translate: Translator,
        settings: HubSettings | None = None,
        shared: SharedBuild | None = None,
    ) -> None:
        self._client = client
        # With other web workers: one of them builds, the others follow (wall.live.shared).
        self._shared = shared
        self._synced = False  # a follower has loaded the builder's whole state
        self._config = config
        self._translate = translate
        self._tiles = {tile.tile_id: tile for tile in tiles}
        self._settings = settings or HubSettings()
        self._keys = Keys(config.redis.prefix)
        # Whole past days' sums stay cached across builds (a half-year is ~4,400 hour
        # buckets); each update's earliest event time says which days to read again.
        self._day_totals = DayTotals()
        self._reader = KpiReader(client, self._keys, config.wall.timezone, self._day_totals)
        self._specs = {
            (tile_id, part.name): part
            for tile_id, tile in self._tiles.items()
            for part in tile.parts
        }
        self._parts = {key: _PartState() for key in self._specs}
        self._full_json: dict[str, str] = {tile_id: "{}" for tile_id in self._tiles}
        self._frame = Frame(0, {}, dict(self._full_json), 0)
        self._recent: deque[Frame] = deque(maxlen=RECENT_FRAMES)
        self._cost: dict[str, float] = {}  # tile id -> recent build time, seconds
        self._status = Status(stale=True, reason="starting", fresh_ms=0)
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_id = "$"
        self._latest_update_ms = 0
        self._next_heartbeat_check = 0.0
        self._started_ms = int(time.time() * 1000)
        self._next_beat = 0.0
        self.builds = 0  # counted for the benchmark and /healthz
        self.observer = LiveObserver()  # the web tier's metrics attach theirs
        self.screens: Callable[[], int] = lambda: 0  # event streams open (its heartbeat says)

    @property
    def tile_ids(self) -> set[str]:
        return set(self._tiles)

    # ── the subscriber's side ──────────────────────────────────────────
    def current(self) -> tuple[Frame, Status]:
        with self._changed:
            return self._frame, self._status

    def frames_after(self, seq: int, frame: Frame) -> list[Frame] | None:
        """Frames seq+1 … frame.seq, or None when they are no longer all kept."""
        with self._changed:
            frames = [f for f in self._recent if seq < f.seq <= frame.seq]
        return frames if len(frames) == frame.seq - seq else None

    def wait(self, seq: int, status: Status | None, timeout: float) -> tuple[Frame, Status]:
        """The frame and status once either differs from what the caller has (or timeout)."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._frame.seq != seq or self._status != status, timeout
            )
            return self._frame, self._status

    # ── the thread ─────────────────────────────────────────────────────
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-hub", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._shared is not None:
            with contextlib.suppress(*OUTAGE_ERRORS):
                self._shared.resign()

    @property
    def is_builder(self) -> bool:
        """This process builds the live parts (alone, or for every worker)."""
        return self._shared is None or self._shared.is_builder

    def _run(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                self.cycle()
                backoff.reset()
            except OUTAGE_ERRORS as exc:
                self._redis_down(exc)
                self._stop.wait(backoff.next_delay())
            except Exception:  # a bug must not leave the wall frozen without a word
                log.exception("live hub: build failed")
                self._stop.wait(1.0)

    def cycle(self) -> None:
        """Wait for updates (or a due rebuild), then build what is due; or, when another
        worker is the builder, follow its frames. Public for tests."""
        if self._shared is not None and not self._lead(self._shared):
            self._follow(self._shared)
            return
        topics = self._read_updates(self._block_ms())
        self._check_heartbeat()
        self._beat()
        now = time.monotonic()
        wall_ms = int(time.time() * 1000)
        for (tile_id, name), state in self._parts.items():
            part = self._part(tile_id, name)
            expired = state.expires_ms is not None and wall_ms >= state.expires_ms
            if topics & part.topics:
                state.pending = True
                state.update_ms = self._latest_update_ms
            elif expired or now - state.built_at >= self._settings.refresh_s:
                state.pending = True
        self._build_due(now)

    # ── sharing one build among the web workers ──────────────────────────
    def _lead(self, shared: SharedBuild) -> bool:
        was = shared.is_builder
        if shared.elect():
            if not was:  # taken over (or first): rebuild everything from our state
                log.info("live hub: %s builds the live parts", shared.me)
                self._last_id = "$"
                for state in self._parts.values():
                    state.pending = True
            return True
        if was:
            log.info("live hub: %s no longer builds; following the builder", shared.me)
            self._synced = shared.last_id is not None
        return False

    def _follow(self, shared: SharedBuild) -> None:
        if not self._synced:
            self._load(shared.snapshot())
            self._synced = True
        frames = shared.follow(min(self._settings.block_ms, int(ELECT_EVERY_S * 1000)))
        self._check_heartbeat()
        self._beat()
        for frame in frames:
            changed = self._apply(frame.changes)
            self._latest_update_ms = max(self._latest_update_ms, frame.update_ms)
            if changed:
                self._publish(changed, frame.trigger_ms, share=False)

    def _load(self, full: dict[str, str]) -> None:
        """The builder's whole state, as a joining follower's first frame."""
        changes: Changes = {}
        for tile_id, text in full.items():
            if tile_id in self._tiles:
                changes[tile_id] = {
                    name: keyed_diff(self._parts[(tile_id, name)].values, values)
                    for name, values in json.loads(text).items()
                    if (tile_id, name) in self._parts
                }
        changed = self._apply(changes)
        if changed:
            self._publish(changed, share=False)

    def _apply(self, changes: Changes) -> Changes:
        """Apply another worker's deltas to our parts; what changed here."""
        changed: Changes = {}
        for tile_id, parts in changes.items():
            for name, diff in parts.items():
                state = self._parts.get((tile_id, name))
                if state is None or not diff:
                    continue  # a tile this worker does not serve
                values = dict(state.values)
                for key, value in diff.items():
                    if value is REMOVED:
                        values.pop(key, None)
                    else:
                        values[key] = value
                state.values = values
                changed.setdefault(tile_id, {})[name] = diff
        return changed

    def _part(self, tile_id: str, name: str) -> BoundPart:
        return self._specs[(tile_id, name)]

    def _block_ms(self) -> int:
        """Until the next part is due, at most ``block_ms``: throttled parts wait here."""
        now = time.monotonic()
        wall_s = time.time()
        wait = self._settings.block_ms / 1000
        for (tile_id, name), state in self._parts.items():
            every = self._part(tile_id, name).every_s
            due = state.built_at + (every if state.pending else self._settings.refresh_s)
            wait = min(wait, due - now)
            if state.expires_ms is not None:  # e.g. a tour's next step: built on time
                wait = min(wait, state.expires_ms / 1000 - wall_s)
        return max(1, int(max(wait, 0.0) * 1000))

    def _read_updates(self, block_ms: int) -> set[Topic]:
        if self._last_id == "$":
            # Start after the newest entry now ("$" would also skip what arrives
            # between this read and the next): the first build reads everything anyway.
            newest = cast(list[_Entry], self._client.xrevrange(self._keys.updates, count=1))
            self._last_id = newest[0][0].decode() if newest else "0-0"
        reply = self._client.xread({self._keys.updates: self._last_id}, count=1000, block=block_ms)
        topics: set[Topic] = set()
        for _stream, entries in cast(list[tuple[bytes, list[_Entry]]], reply or []):
            for entry_id, fields in entries:
                self._last_id = entry_id.decode()
                self._latest_update_ms = int(self._last_id.split("-")[0])
                topics.update(parse_topics(fields.get(FIELD_TOPICS.encode(), b"").decode()))
                self._forget_days_from(fields.get(FIELD_EARLIEST.encode()))
        if self._status.reason == "redis":  # back: everything may have changed meanwhile
            self._day_totals.forget_from(datetime.fromtimestamp(0, self._reader.zone))
            for state in self._parts.values():
                state.pending = True
        return topics

    def _forget_days_from(self, earliest: bytes | None) -> None:
        # No time (an older aggregator): assume the worst, every day may have changed.
        try:
            ms = float(earliest) if earliest is not None else 0.0
        except ValueError:
            ms = 0.0
        if not math.isfinite(ms):  # a batch of dead letters only: no counters moved
            return
        moment = datetime.fromtimestamp(ms / 1000, self._reader.zone)
        self._day_totals.forget_from(moment)

    def _check_heartbeat(self) -> None:
        now = time.monotonic()
        if now < self._next_heartbeat_check and self._status.reason not in ("redis", "starting"):
            return
        self._next_heartbeat_check = now + self._settings.heartbeat_check_s
        raw = self._client.get(self._keys.heartbeat)
        beat_ms = int(cast(bytes, raw)) if raw is not None else 0
        wall_ms = int(time.time() * 1000)
        if beat_ms and wall_ms - beat_ms <= self._settings.stale_after_s * 1000:
            self._set_status(Status(stale=False, reason="", fresh_ms=wall_ms))
        else:
            fresh = max(beat_ms, self._status.fresh_ms)
            self._set_status(Status(stale=True, reason="aggregator", fresh_ms=fresh))

    def _beat(self) -> None:
        """This process's heartbeat, every ``BEAT_EVERY_S`` (expiring: gone with it)."""
        now = time.monotonic()
        if now < self._next_beat:
            return
        self._next_beat = now + BEAT_EVERY_S
        host, pid = this_process()
        beat = WebBeat(
            host=host, pid=pid, started_ms=self._started_ms, t=int(time.time() * 1000),
            screens=self.screens(), stale=self._status.stale, reason=self._status.reason,
        )  # fmt: skip
        key = self._keys.web_heartbeat(worker_name(host, pid))
        self._client.set(key, beat.to_json(), ex=BEAT_TTL_S)

    def _redis_down(self, exc: Exception) -> None:
        self.observer.redis_error(outage_started=self._status.reason != "redis")
        if self._status.reason != "redis":
            log.warning("live hub: Redis unreachable (%s); tiles marked stale", exc)
        self._set_status(Status(stale=True, reason="redis", fresh_ms=self._status.fresh_ms))

    def _set_status(self, status: Status) -> None:
        if status.stale == self._status.stale and status.reason == self._status.reason:
            # Only the freshness time moved: no need to wake every screen for that.
            self._status = status
            return
        if status.stale != self._status.stale:
            log.info("live hub: %s", f"stale ({status.reason})" if status.stale else "fresh")
        with self._changed:
            self._status = status
            self._changed.notify_all()

    def _build_due(self, now: float) -> None:
        due: dict[str, list[str]] = {}
        for (tile_id, name), state in self._parts.items():
            if state.pending and now - state.built_at >= self._part(tile_id, name).every_s:
                due.setdefault(tile_id, []).append(name)
        if not due:
            return
        data = LiveData(self._client, self._reader, self._config, self._translate)
        began = time.perf_counter()

        # Each tile published as soon as it is built, the numbers read at a glance first
        # (parts marked ``first``), then the cheapest: today's count must not wait for
        # the half-year chart, nor for a map whose cost is close to its own.
        def order(tile_id: str) -> tuple[bool, float]:
            first = any(self._part(tile_id, name).first for name in due[tile_id])
            return not first, self._cost.get(tile_id, 0.0)

        for tile_id in sorted(due, key=order):
            started = time.perf_counter()
            trigger_ms = max(self._parts[(tile_id, name)].update_ms for name in due[tile_id])
            changed = self._build_tile(tile_id, due[tile_id], data, now)
            spent = time.perf_counter() - started
            self._cost[tile_id] = 0.7 * self._cost.get(tile_id, spent) + 0.3 * spent
            if changed:
                self._publish({tile_id: changed}, trigger_ms)
        self.builds += 1
        self.observer.built(time.perf_counter() - began)

    def _build_tile(
        self, tile_id: str, names: list[str], data: LiveData, now: float
    ) -> dict[str, dict[str, object]]:
        changed: dict[str, dict[str, object]] = {}
        for name in names:
            state = self._parts[(tile_id, name)]
            part = self._part(tile_id, name)
            values = self._build_part(tile_id, part, data)
            state.pending, state.built_at, state.update_ms = False, now, 0
            if values is None:  # failed (logged): tried again with the next update or refresh,
                state.expires_ms = None  # not at a time already past (that would spin)
                continue
            state.expires_ms = part.expires(values) if part.expires is not None else None
            diff = keyed_diff(state.values, values)
            if diff:
                changed[name] = diff
                state.values = values
        return changed

    def _build_part(
        self, tile_id: str, part: BoundPart, data: LiveData
    ) -> dict[str, object] | None:
        try:
            return cast(dict[str, object], plain(part.build(data)))
        except OUTAGE_ERRORS:
            raise
        except Exception:  # one tile's bug must not stop the others
            log.exception("live hub: tile %s, part %s failed", tile_id, part.name)
            return None

    def _publish(self, changed: Changes, trigger_ms: int = 0, share: bool = True) -> None:
        for tile_id in changed:
            parts = {
                name: state.values
                for (owner, name), state in self._parts.items()
                if owner == tile_id
            }
            self._full_json[tile_id] = dumps(parts)
        delta = {tile_id: dumps(parts) for tile_id, parts in changed.items()}
        with self._changed:
            seq = self._frame.seq + 1
            full = dict(self._full_json)
            self._frame = Frame(seq, delta, full, self._latest_update_ms, changed, trigger_ms)
            self._recent.append(self._frame)
            self._changed.notify_all()
        if share and self._shared is not None and self._shared.is_builder:
            self._shared.publish(changed, self._full_json, trigger_ms, self._latest_update_ms)

    def state(self, tile_id: str) -> dict[str, Any]:
        """A tile's current parts, decoded (tests, diagnostics)."""
        with self._changed:
            loaded: dict[str, Any] = json.loads(self._frame.full[tile_id])
            return loaded
