"""Ingest benchmark (issue 3): what the data plane sustains, beside what Redis itself does.

Everything runs against one fresh private redis-server (``EmbeddedRedis``, its real
configuration: append-only file, fsync every second), in one run, so the figures
are comparable with each other even on a noisy machine. Each measurement is
repeated ``--rounds`` times; the table shows medians, the spread (min-max) and the
median of the per-round ratios (a ratio is taken within one round, so both sides
saw the same machine load).

1. Raw rates with redis-py: pipelined XADD of pre-encoded entries, and XREADGROUP
   (COUNT 500 per stream) + XACK of them; with hiredis, then with redis-py's
   pure-Python parser.
2. ``Aggregator.drain()`` from a full backlog of N realistic events (validation,
   ops, the Lua apply and the ack), against the raw XREADGROUP + XACK rate.
   Goal: >= 0.5x.
3. Event -> state latency at a paced load (default 1,000 events/s in batches every
   10 ms through ``EventWriter``): the aggregator runs ``run(stop)`` in a separate
   process; a watcher follows ``citywall:updates``, whose ``clock`` is the latest
   event time of each applied batch. Goal: p95 < 50 ms. Beside it, the same
   pipeline with a bare consumer (read, ack, publish the clock) as the floor.

``python -m bench.ingest [--events N] [--rounds R] [--rate 1000] [--seconds 20] [--quick]``
Exits 0 only when every measurement is whole (else 1, saying what is missing).
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import io
import itertools
import multiprocessing as mp
import os
import platform
import pstats
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any, Final

import redis
from redis._parsers import _RESP2Parser
from redis.utils import HIREDIS_AVAILABLE

from bench.ingest_http import api_server, items, post_all
from bench.report import run_reporting
from core.keys import AGGREGATOR_GROUP, Keys
from data_feeds import catalog
from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.events import (
    ApprovalEvent,
    CameraEvent,
    CaseEvent,
    Event,
    HotlineEvent,
    OfficerEvent,
    stream_of,
    to_fields,
)
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import DEFAULT_MAXLEN, EventWriter

SHANGHAI: Final = timezone(timedelta(hours=8))
OFFICERS: Final = 312
CAMERAS: Final = tuple(f"XY-{n:03d}" for n in range(1, 241))
GRIDS: Final = tuple(f"430624-{a:02d}{b:02d}" for a in range(1, 7) for b in range(1, 9))
CATEGORIES: Final = tuple(catalog.CATEGORIES)
SOURCES: Final = ("hotline", "patrol", "video", "wechat", "referral")
DEPTS: Final = ("城管执法大队", "环卫处", "市政设施处", "园林绿化处", "湘阴县交警大队")
SERVICES: Final = tuple(catalog.APPROVAL_SERVICES)
CENTER: Final = (28.69, 112.89)
READ_COUNT: Final = 500  # XREADGROUP COUNT, the aggregator's default batch
XADD_CHUNK: Final = 1000  # entries per pipeline when pre-filling
SIM_STEP: Final = timedelta(milliseconds=80)  # ~12.5 events/s of simulated city time
GOAL_RATIO: Final = 0.5
GOAL_P95_MS: Final = 50.0

Encoded = tuple[bytes, dict[bytes, bytes]]


# -- realistic events ------------------------------------------------------------------


@dataclass
class _Case:
    case_id: str
    kind: str
    category: str
    source: str
    priority: str
    grid: str
    lat: float
    lon: float
    status: str = ""
    reworked: bool = False


class CityMix:
    """Events in the city's proportions: ~80 % officer positions (312 terminals),
    ~15 % case lifecycle events over a few hundred open cases at a time, ~5 %
    hotline calls, approvals and cameras. Deterministic for a seed."""

    def __init__(self, seed: int = 1, open_cases: int = 300) -> None:
        self._rng = random.Random(seed)
        self._seq = itertools.count(1)
        self._prefix = f"b{seed}"
        self._next_officer = itertools.cycle(range(OFFICERS))
        self._where = [self._near() for _ in range(OFFICERS)]
        self._open: list[_Case] = []
        self._target_open = open_cases

    def next(self, at: datetime) -> Event:
        roll = self._rng.random()
        if roll < 0.80:
            return self._position(at)
        if roll < 0.95:
            return self._case_event(at)
        if roll < 0.97:
            return self._hotline(at)
        if roll < 0.99:
            return self._approval(at)
        return self._camera(at)

    def _id(self) -> str:
        return f"{self._prefix}-{next(self._seq)}"

    def _near(self) -> tuple[float, float]:
        return (
            round(CENTER[0] + self._rng.uniform(-0.03, 0.03), 6),
            round(CENTER[1] + self._rng.uniform(-0.03, 0.03), 6),
        )

    def _position(self, at: datetime) -> OfficerEvent:
        n = next(self._next_officer)
        lat, lon = self._where[n]
        lat = round(lat + self._rng.uniform(-0.0003, 0.0003), 6)
        lon = round(lon + self._rng.uniform(-0.0003, 0.0003), 6)
        self._where[n] = (lat, lon)
        return OfficerEvent(
            event_id=self._id(),
            time=at,
            officer_id=f"XY-JD-{n:03d}",
            action="position",
            grid=GRIDS[n % len(GRIDS)],
            lat=lat,
            lon=lon,
        )

    def _case_event(self, at: datetime) -> CaseEvent:
        rng = self._rng
        if len(self._open) < self._target_open or rng.random() < 0.15:
            kind, code = rng.choice(CATEGORIES)
            lat, lon = self._near()
            case = _Case(
                case_id=f"{self._prefix}-C{next(self._seq)}",
                kind=kind,
                category=code,
                source=rng.choice(SOURCES),
                priority="urgent" if rng.random() < 0.1 else "normal",
                grid=rng.choice(GRIDS),
                lat=lat,
                lon=lon,
            )
            self._open.append(case)
        else:
            case = rng.choice(self._open)
        case.status = self._next_status(case)
        extra: dict[str, Any] = {}
        if case.status == "dispatched":
            extra = {"dept": rng.choice(DEPTS), "deadline": at + timedelta(hours=2)}
        elif case.status in ("reported", "verified"):
            extra = {"officer": f"XY-JD-{rng.randrange(OFFICERS):03d}"}
        if case.status in catalog.TERMINAL_STATUSES:
            self._open.remove(case)
        return CaseEvent(
            event_id=self._id(),
            time=at,
            case_id=case.case_id,
            status=case.status,
            kind=case.kind,
            category=case.category,
            source=case.source,
            priority=case.priority,
            lat=case.lat,
            lon=case.lon,
            grid=case.grid,
            **extra,
        )

    def _next_status(self, case: _Case) -> str:
        roll = self._rng.random()
        match case.status:
            case "":
                return "reported"
            case "reported":
                return "cancelled" if roll < 0.05 else "filed"
            case "filed":
                return "dispatched"
            case "dispatched" | "rework":
                return "handled"
            case "handled":
                return "verified"
            case "verified" if not case.reworked and roll < 0.1:
                case.reworked = True
                return "rework"
            case _:
                return "closed"

    def _hotline(self, at: datetime) -> HotlineEvent:
        outcome = self._rng.choices(("case", "consultation", "duplicate"), (5, 4, 1))[0]
        return HotlineEvent(
            event_id=self._id(),
            time=at,
            call_id=f"{self._prefix}-H{next(self._seq)}",
            seat=self._rng.randint(1, 12),
            outcome=outcome,
            case_id=f"{self._prefix}-HC{next(self._seq)}" if outcome == "case" else None,
            grid=self._rng.choice(GRIDS),
        )

    def _approval(self, at: datetime) -> ApprovalEvent:
        return ApprovalEvent(
            event_id=self._id(),
            time=at,
            application_id=f"{self._prefix}-A{next(self._seq)}",
            service=self._rng.choice(SERVICES),
            status=self._rng.choice(("submitted", "approved", "rejected", "published")),
        )

    def _camera(self, at: datetime) -> CameraEvent:
        offline = self._rng.random() < 0.5
        return CameraEvent(
            event_id=self._id(),
            time=at,
            camera_id=self._rng.choice(CAMERAS),
            status="offline" if offline else "online",
            reason="网络中断" if offline else None,
        )


def city_events(n: int, seed: int = 1) -> list[Event]:
    """N events of a simulated morning, 80 ms apart (~2.2 h for 100,000)."""
    mix = CityMix(seed)
    start = datetime(2026, 3, 2, 7, 0, tzinfo=SHANGHAI)
    return [mix.next(start + i * SIM_STEP) for i in range(n)]


def encode(events: Sequence[Event], keys: Keys) -> list[Encoded]:
    """Stream entries as bytes, ready for XADD (what a producer would hold)."""
    return [
        (
            keys.stream(stream_of(event)).encode(),
            {name.encode(): value.encode() for name, value in to_fields(event).items()},
        )
        for event in events
    ]


# -- throughput ------------------------------------------------------------------------


def connect(url: str, pure_python: bool = False) -> redis.Redis:
    if pure_python:
        # redis-py swaps _RESP2Parser for _RESP3Parser when the protocol is 3.
        return redis.Redis.from_url(url, parser_class=_RESP2Parser)
    return redis.Redis.from_url(url)


def parser_name(client: redis.Redis) -> str:
    connection = client.connection_pool.get_connection()
    try:
        return f"{type(connection._parser).__name__} (RESP{connection.protocol})"
    finally:
        client.connection_pool.release(connection)


def xadd_all(client: redis.Redis, entries: Sequence[Encoded]) -> None:
    pipe = client.pipeline(transaction=False)
    for index, (stream, fields) in enumerate(entries, start=1):
        pipe.xadd(stream, fields, maxlen=DEFAULT_MAXLEN, approximate=True)  # type: ignore[arg-type]
        if index % XADD_CHUNK == 0:
            pipe.execute()
    pipe.execute()


def create_groups(client: redis.Redis, keys: Keys) -> None:
    for stream in keys.streams.values():
        client.xgroup_create(stream, AGGREGATOR_GROUP, id="0", mkstream=True)


def read_and_ack(client: redis.Redis, keys: Keys, expected: int) -> int:
    """XREADGROUP (COUNT 500 per stream) over every stream, then XACK what was read."""
    wanted: dict[Any, Any] = {stream: ">" for stream in keys.streams.values()}
    done = 0
    while done < expected:
        reply: list[tuple[bytes, list[tuple[bytes, Any]]]] = client.xreadgroup(  # type: ignore[assignment]
            AGGREGATOR_GROUP, "raw", wanted, count=READ_COUNT
        )
        if not reply:
            break
        pipe = client.pipeline(transaction=False)
        for stream, entries in reply:
            pipe.xack(stream, AGGREGATOR_GROUP, *(entry_id for entry_id, _ in entries))
            done += len(entries)
        pipe.execute()
    return done


class TimedAggregator(Aggregator):
    """Notes when the last non-empty batch was applied: ``drain()`` ends with idle
    reads (blocking 50 ms each) that are not part of the throughput."""

    last_applied: float = 0.0

    def read_batch(self, block_ms: int | None = None) -> int:
        return self._note(super().read_batch(block_ms))

    def flush(self) -> int:
        return self._note(super().flush())

    def _note(self, applied: int) -> int:
        if applied:
            self.last_applied = time.perf_counter()
        return applied


@dataclass
class Samples:
    values: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        self.values[name].append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.values[name])

    def spread(self, name: str) -> tuple[float, float]:
        return min(self.values[name]), max(self.values[name])

    def ratio(self, name: str, baseline: str) -> float:
        """The median of the per-round ratios (paired within a round)."""
        pairs = zip(self.values[name], self.values[baseline], strict=True)
        return statistics.median(a / b for a, b in pairs)


def server_cpu(client: redis.Redis) -> float:
    """CPU seconds redis-server has used so far (user + system, all its threads)."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass
class Cost:
    seconds: float
    client_cpu: float
    server_cpu: float


def measure(admin: redis.Redis, action: Callable[[], object]) -> Cost:
    """Wall time (up to what ``action`` returns, if a perf_counter time), this
    process's CPU time and the server's CPU time spent in ``action``."""
    server, cpu, start = server_cpu(admin), time.process_time(), time.perf_counter()
    end = action()
    wall = (end if isinstance(end, float) else time.perf_counter()) - start
    return Cost(wall, time.process_time() - cpu, server_cpu(admin) - server)


def record(samples: Samples, name: str, n: int, cost: Cost) -> None:
    samples.add(name, n / cost.seconds)
    samples.add(f"cpu/client/{name}", cost.client_cpu / n * 1e6)
    samples.add(f"cpu/server/{name}", cost.server_cpu / n * 1e6)


def throughput_round(
    url: str,
    events: Sequence[Event],
    entries: Sequence[Encoded],
    samples: Samples,
    api: tuple[str, list[dict[str, object]]] | None = None,
) -> None:
    keys = Keys()
    n = len(entries)
    admin = connect(url)
    for label, pure in (("hiredis", False), ("python", True)):
        client = connect(url, pure_python=pure)
        client.flushall()
        read: list[int] = []

        def write_all(c: redis.Redis = client) -> None:
            xadd_all(c, entries)

        def read_all(c: redis.Redis = client, into: list[int] = read) -> None:
            into.append(read_and_ack(c, keys, n))

        record(samples, f"xadd/{label}", n, measure(admin, write_all))
        create_groups(client, keys)
        record(samples, f"read/{label}", n, measure(admin, read_all))
        if read[0] != n:
            samples.notes.append(f"raw read ({label}) saw {read[0]} of {n} entries")
        client.close()

    client = connect(url)
    client.flushall()
    writer = EventWriter(client, keys)
    record(samples, "writer", n, measure(admin, lambda: writer.write(events)))
    if api is not None:  # the same events through the HTTP API, into an empty Redis
        base, body = api
        client.flushall()
        accepted: list[int] = []
        record(
            samples,
            "http",
            n,
            measure(admin, lambda: accepted.append(post_all(base, client, body))),
        )
        if accepted != [n]:
            samples.notes.append(f"the HTTP API accepted {accepted} of {n} events")
        client.flushall()
        writer.write(events)  # what the drain below reads
    aggregator = TimedAggregator(client, AggregatorSettings(consumer="bench"), keys)
    aggregator.ensure_groups()

    def drain() -> float:
        aggregator.drain()
        return aggregator.last_applied

    record(samples, "drain", n, measure(admin, drain))
    stats = aggregator.stats
    if stats.applied != n or stats.dead:
        samples.notes.append(f"drain applied {stats.applied} of {n}, {stats.dead} dead-lettered")
    samples.add("drain/batch", stats.applied / max(stats.batches, 1))
    client.close()
    admin.close()


def profile_drain(url: str, entries: Sequence[Encoded], top: int = 14) -> str:
    """One more drain under cProfile, with the server's per-command times beside it."""
    keys = Keys()
    client = connect(url)
    client.flushall()
    xadd_all(client, entries)
    aggregator = Aggregator(client, AggregatorSettings(consumer="profile"), keys)
    aggregator.ensure_groups()
    client.config_resetstat()
    profiler = cProfile.Profile()
    profiler.runcall(aggregator.drain)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    n = len(entries)
    lines = [f"cProfile of one Aggregator.drain() of {n:,} events (sorted by own time):"]
    lines += [line for line in out.getvalue().splitlines() if line.strip()][3:]
    lines.append("server side (INFO commandstats; commands inside the script are listed too):")
    commands = client.info("commandstats")
    ranked = sorted(commands.items(), key=lambda item: -float(item[1]["usec"]))
    for name, data in ranked[:10]:
        usec = float(data["usec"])
        lines.append(
            f"  {name.removeprefix('cmdstat_'):18} calls {int(data['calls']):>8,}  "
            f"{usec / 1e6:7.3f} s  {usec / n:6.1f} us/event"
        )
    client.close()
    return "\n".join(lines)


# -- latency ---------------------------------------------------------------------------


def _consumer_process(url: str, mode: str, ready: MpEvent, stop: MpEvent) -> None:
    """The consumer under test, in its own process (its own GIL, like production)."""
    client = redis.Redis.from_url(url)
    keys = Keys()
    if mode == "aggregator":
        aggregator = Aggregator(client, AggregatorSettings(consumer="bench-latency"), keys)
        aggregator.ensure_groups()
        ready.set()
        aggregator.run(stop.is_set)
        return
    # The floor: read, ack and publish the batch's clock, nothing else.
    create_groups(client, keys)
    wanted: dict[Any, Any] = {stream: ">" for stream in keys.streams.values()}
    ready.set()
    while not stop.is_set():
        reply: list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] = client.xreadgroup(  # type: ignore[assignment]
            AGGREGATOR_GROUP, "bench-raw", wanted, count=READ_COUNT, block=1000
        )
        if not reply:
            continue
        pipe = client.pipeline(transaction=False)
        latest = 0
        for stream, entries in reply:
            pipe.xack(stream, AGGREGATOR_GROUP, *(entry_id for entry_id, _ in entries))
            for _, fields in entries:
                moment = datetime.fromisoformat(fields[b"time"].decode())
                latest = max(latest, int(moment.timestamp() * 1000))
        pipe.xadd(keys.updates, {"clock": str(latest)}, maxlen=10_000, approximate=True)
        pipe.execute()


class UpdatesWatcher(threading.Thread):
    """Follows the updates stream: (wall time seen, batch clock in ms) per entry."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(daemon=True)
        self._client = redis.Redis.from_url(url)
        self._key = key
        self._halt = threading.Event()
        self.seen: list[tuple[float, int]] = []

    def run(self) -> None:
        last: bytes | str = "0-0"
        while not self._halt.is_set():
            reply: list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] = self._client.xread(
                {self._key: last}, count=1000, block=100
            )  # type: ignore[assignment]
            now = time.time()
            for _, entries in reply or []:
                for entry_id, fields in entries:
                    last = entry_id
                    self.seen.append((now, int(fields.get(b"clock", b"0") or 0)))

    @property
    def clock(self) -> int:
        return max((clock for _, clock in self.seen), default=0)

    def stop(self) -> None:
        self._halt.set()
        self.join()
        self._client.close()


@dataclass
class LatencyRound:
    latencies_ms: list[float]
    sent: int
    missing: int
    seconds: float
    batches: int

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_round(url: str, mode: str, rate: float, seconds: float, seed: int) -> LatencyRound:
    keys = Keys()
    client = connect(url)
    client.flushall()
    context = mp.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    child = context.Process(target=_consumer_process, args=(url, mode, ready, stop), daemon=True)
    child.start()
    watcher = UpdatesWatcher(url, keys.updates)
    try:
        if not ready.wait(60):
            raise RuntimeError(f"{mode} consumer did not start")
        watcher.start()
        sent = produce(client, keys, CityMix(seed), rate, seconds)
        last_ms = int(sent[-1][0] * 1000) if sent else 0
        deadline = time.monotonic() + 5
        while watcher.clock < last_ms and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        child.join(10)
        if child.is_alive():
            child.terminate()
            child.join()
        watcher.stop()
        client.close()
    if child.exitcode != 0:  # it died under load, or did not stop: its figures are void
        raise RuntimeError(f"{mode} consumer exited with {child.exitcode}")
    warmup = min(1.0, seconds / 5)
    first = sent[0][0] if sent else 0.0
    measured = [(t, count) for t, count in sent if t >= first + warmup]
    latencies, missing = match_latencies(measured, watcher.seen)
    return LatencyRound(
        latencies_ms=latencies,
        sent=sum(count for _, count in measured),
        missing=missing,
        seconds=(sent[-1][0] - first) if sent else 0.0,
        batches=len(watcher.seen),
    )


def produce(
    client: redis.Redis, keys: Keys, mix: CityMix, rate: float, seconds: float
) -> list[tuple[float, int]]:
    """Write ``rate`` events/s for ``seconds``, a batch every 10 ms, each event stamped
    now; a late tick is caught up at once so the average rate holds."""
    writer = EventWriter(client, keys)
    tick = 0.01
    per_batch = max(1, round(rate * tick))
    tick = per_batch / rate
    sent: list[tuple[float, int]] = []
    start = time.monotonic()
    for k in itertools.count():
        due = start + k * tick
        if due - start >= seconds:
            break
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = datetime.now(UTC)
        writer.write([mix.next(now) for _ in range(per_batch)])
        sent.append((now.timestamp(), per_batch))
    return sent


def match_latencies(
    sent: Sequence[tuple[float, int]], seen: Sequence[tuple[float, int]]
) -> tuple[list[float], int]:
    """Each sent batch is visible at the first update whose clock reaches its time."""
    seen = sorted(seen)
    times = [when for when, _ in seen]
    running: list[int] = list(itertools.accumulate((clock for _, clock in seen), max))
    latencies: list[float] = []
    missing = 0
    for stamp, count in sent:
        index = bisect.bisect_left(running, int(stamp * 1000))
        if index == len(running):
            missing += count
            continue
        latencies.extend([(times[index] - stamp) * 1000] * count)
    return latencies, missing


# -- report ----------------------------------------------------------------------------


def rate_text(value: float) -> str:
    return f"{value:,.0f}/s"


def spread_text(low: float, high: float, unit: str = "") -> str:
    if unit:
        return f"{low:.1f}-{high:.1f}{unit}"
    return f"{low / 1000:,.1f}k-{high / 1000:,.1f}k"


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def machine(client: redis.Redis) -> str:
    cpu = "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    server = client.info("server")
    return (
        f"{os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()}; "
        f"redis-server {server['redis_version']}; redis-py {redis.__version__}, "
        f"hiredis {'yes' if HIREDIS_AVAILABLE else 'NO'}"
    )


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def progress(began: float, what: str) -> None:
    print(f"[{time.monotonic() - began:5.1f} s] {what}...", flush=True)


def run(events_n: int, rounds: int, rate: float, seconds: float, with_profile: bool) -> list[str]:
    """Measure and print the tables; the gaps (empty when every figure is whole)."""
    began = time.monotonic()
    print(f"Building {events_n:,} city events (80 % positions, 15 % cases, 5 % other)...")
    events = city_events(events_n)
    entries = encode(events, Keys())
    counts: dict[str, int] = defaultdict(int)
    for event in events:
        counts[stream_of(event)] += 1
    print("  " + ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items())))

    with EmbeddedRedis() as server:
        admin = redis.Redis.from_url(server.url)
        print(machine(admin))
        pure = connect(server.url, pure_python=True)
        print(f"parsers: {parser_name(admin)} vs {parser_name(pure)}")
        pure.close()
        samples = Samples()
        with api_server(server.url) as base:
            body = items(events)
            for n in range(1, rounds + 1):
                progress(began, f"throughput round {n}/{rounds}")
                throughput_round(server.url, events, entries, samples, (base, body))
        per_round = seconds / rounds
        latency: dict[str, list[LatencyRound]] = {"aggregator": [], "raw": []}
        for n in range(1, rounds + 1):
            for mode in ("aggregator", "raw"):
                progress(began, f"latency round {n}/{rounds} ({mode}, {per_round:.1f} s)")
                latency[mode].append(latency_round(server.url, mode, rate, per_round, n))
        profile = profile_drain(server.url, entries) if with_profile else ""
        persistence = admin.info("persistence")
        admin.close()

    print()
    print(f"Ingest benchmark: {events_n:,} events, {rounds} rounds, medians (min-max)")
    print(report(samples, latency, rate))
    rewrites = persistence.get("aof_rewrites", 0)
    notes = [*samples.notes, f"{rewrites} AOF rewrite(s) ran during the benchmark"]
    for mode, found in latency.items():
        missing = sum(r.missing for r in found)
        if missing:
            notes.append(f"latency ({mode}): {missing} events never seen in updates (5 s wait)")
    print("\n".join("note: " + note for note in notes))
    if profile:
        print()
        print(profile)
    print(f"(ran {time.monotonic() - began:.0f} s)")
    return gaps(samples, latency)


def gaps(samples: Samples, latency: Mapping[str, Sequence[LatencyRound]]) -> list[str]:
    """Incomplete measurements: entries a read or a drain missed, events never seen."""
    out = list(samples.notes)  # only a shortfall is noted there
    for mode, found in latency.items():
        for number, round_ in enumerate(found, 1):
            if round_.missing or not round_.latencies_ms:
                out.append(f"latency ({mode}) round {number}: {round_.missing} of "
                           f"{round_.sent} events never seen in updates")  # fmt: skip
    return out


def report(samples: Samples, latency: Mapping[str, Sequence[LatencyRound]], rate: float) -> str:
    def rate_row(name: str, key: str, baseline: str | None, goal: str = "") -> list[str]:
        low, high = samples.spread(key)
        row = [name, rate_text(samples.median(key)), spread_text(low, high)]
        if baseline is None:
            return [*row, "", "", goal, ""]
        ratio = samples.ratio(key, baseline)
        result = verdict(ratio >= GOAL_RATIO) if goal else ""
        return [*row, rate_text(samples.median(baseline)), f"{ratio:.2f}x", goal, result]

    rows: list[list[str]] = [["measurement", "median", "spread", "baseline", "ratio", "goal", ""]]
    rows.append(rate_row("XADD pipelined, hiredis", "xadd/hiredis", None))
    rows.append(rate_row("XADD pipelined, pure-Python parser", "xadd/python", "xadd/hiredis"))
    rows.append(rate_row("XREADGROUP 500 + XACK, hiredis", "read/hiredis", None))
    rows.append(rate_row("XREADGROUP 500 + XACK, pure-Python", "read/python", "read/hiredis"))
    rows.append(rate_row("EventWriter.write (to_fields + XADD)", "writer", "xadd/hiredis"))
    rows.append(rate_row("POST /api/v1/events (HTTP, 1,000 per batch)", "http", "writer"))
    rows.append(
        rate_row("Aggregator.drain, full backlog", "drain", "read/hiredis", f">= {GOAL_RATIO:.1f}x")
    )

    def p(mode: str, q: float) -> list[float]:
        return [r.percentile(q) for r in latency[mode]]

    for q in (50.0, 95.0, 99.0):
        agg, raw = p("aggregator", q), p("raw", q)
        median = statistics.median(agg)
        goal = f"< {GOAL_P95_MS:.0f} ms" if q == 95.0 else ""
        rows.append(
            [
                f"event->state latency p{q:.0f} @ {rate:,.0f}/s",
                f"{median:.1f} ms",
                spread_text(min(agg), max(agg), " ms"),
                f"{statistics.median(raw):.1f} ms",
                f"{statistics.median(a / b for a, b in zip(agg, raw, strict=True)):.1f}x",
                goal,
                verdict(median < GOAL_P95_MS) if goal else "",
            ]
        )
    text = table(rows)
    cpu_rows = [["CPU per event (median)", "client (Python)", "redis-server", "total", "budget"]]
    for name, key in (
        ("XADD pipelined, hiredis", "xadd/hiredis"),
        ("XREADGROUP 500 + XACK, hiredis", "read/hiredis"),
        ("Aggregator.drain", "drain"),
    ):
        client = samples.median(f"cpu/client/{key}")
        server = samples.median(f"cpu/server/{key}")
        cores = os.cpu_count() or 1
        cpu_rows.append(
            [
                name,
                f"{client:.1f} us",
                f"{server:.1f} us",
                f"{client + server:.1f} us",
                f"{cores / (client + server) * 1e6:,.0f}/s on {cores} cores",
            ]
        )
    text += "\n\n" + table(cpu_rows)
    agg_rounds = latency["aggregator"]
    sent = sum(r.sent for r in agg_rounds)
    span = sum(r.seconds for r in agg_rounds)
    per_batch = statistics.median(samples.values["drain/batch"])
    return (
        f"{text}\n\n"
        "baseline: drain vs raw XREADGROUP+XACK (hiredis); pure-Python and EventWriter vs "
        "hiredis XADD; latency vs a bare consumer (read, ack, publish clock) in the same "
        "pipeline.\n"
        f"drain: {per_batch:,.0f} events per applied batch (median); "
        f"latency: {sent:,} events measured over {span:.0f} s "
        f"({sum(r.batches for r in agg_rounds):,} applied batches), first "
        f"{min(1.0, agg_rounds[0].seconds / 5):.1f} s of each round excluded as warm-up."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--events", type=int, help="backlog size (default 100000)")
    parser.add_argument("--rounds", type=int, help="repeats of each measurement (default 3)")
    parser.add_argument("--rate", type=float, default=1000.0, help="paced events/s (1000)")
    parser.add_argument("--seconds", type=float, help="paced load, split over the rounds (20)")
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    parser.add_argument(
        "--profile", action="store_true", help="then profile one drain (cProfile, commandstats)"
    )
    args = parser.parse_args(argv)
    events_n = args.events or (20_000 if args.quick else 100_000)
    rounds = max(args.rounds or 3, 1)
    seconds = args.seconds or (9.0 if args.quick else 20.0)
    return run_reporting(lambda: run(events_n, rounds, args.rate, seconds, args.profile))


if __name__ == "__main__":
    sys.exit(main())
