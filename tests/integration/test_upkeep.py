"""What keeps memory bounded and the web tier informed: trimming never drops an
unapplied entry, old closed cases go, and every applied batch is announced."""

from __future__ import annotations

from datetime import timedelta

import redis

from core.keys import AGGREGATOR_GROUP, Keys
from data_feeds.aggregator import Aggregator, AggregatorSettings, Maintenance, RetentionPolicy
from data_feeds.kpis import KpiReader
from data_feeds.writer import EventWriter
from tests.case_story import SHANGHAI, CaseStory

T0 = __import__("datetime").datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
KEYS = Keys()


def stories(count: int) -> list[CaseStory]:
    return [
        CaseStory(f"K{i}", T0 + timedelta(minutes=i)).through_dispatch().at(40, "handled")
        for i in range(count)
    ]


def test_trimming_keeps_every_entry_not_yet_applied(redis_client: redis.Redis) -> None:
    events = [event for story in stories(300) for event in story.events]  # 1,200 events
    EventWriter(redis_client).write(events)
    agg = Aggregator(redis_client, AggregatorSettings(consumer="a1", batch=500))
    agg.ensure_groups()
    assert agg.read_batch(block_ms=10) == 0  # it has no pending entries of its own
    assert agg.read_batch(block_ms=10) == 0  # reads 500: applied with the next read…
    assert agg.flush() == 500  # …or now
    stream = KEYS.stream("cases")
    redis_client.xreadgroup(AGGREGATOR_GROUP, "dead", {stream: ">"}, count=200)
    # 500 applied; 200 delivered to a consumer that died (pending); 500 never delivered.
    entries = [entry_id for entry_id, _ in redis_client.xrange(stream)]
    upkeep = Maintenance(redis_client, KEYS, RetentionPolicy(stream_keep_s=0))
    assert upkeep.trim_stream(stream) > 0
    left = [entry_id for entry_id, _ in redis_client.xrange(stream)]
    assert len(left) < len(entries)
    assert left == entries[len(entries) - len(left) :]  # only the oldest went
    assert set(entries[500:]) <= set(left)  # all the pending and the undelivered stay

    Aggregator(redis_client, AggregatorSettings(consumer="b", claim_idle_ms=0)).claim_stale()
    agg.drain()
    assert redis_client.xpending(stream, AGGREGATOR_GROUP)["pending"] == 0
    counters = KpiReader(redis_client).counters(T0, T0 + timedelta(days=1)).sum()
    assert counters["handled"] == counters["dispatched"] == 300  # each applied once


def test_closed_cases_older_than_retention_are_dropped(redis_client: redis.Redis) -> None:
    old, recent = stories(2)
    old.at(50, "verified").at(55, "closed")
    recent.at(50, "verified").at(55, "closed")
    EventWriter(redis_client).write(old.events + recent.events)
    agg = Aggregator(redis_client, AggregatorSettings(consumer="a1"))
    agg.ensure_groups()
    agg.drain()
    closed_at = int(redis_client.hget(KEYS.case("K1"), "closed_at") or 0)
    upkeep = Maintenance(redis_client, KEYS, RetentionPolicy(closed_case_days=1))
    assert upkeep.drop_closed_cases(now_ms=closed_at + 86_400_000 - 30_000) == 1  # K0 only
    assert not redis_client.exists(KEYS.case("K0"))
    assert redis_client.exists(KEYS.case("K1"))
    assert redis_client.zrange(KEYS.closed_cases, 0, -1) == [b"K1"]


def test_every_applied_batch_is_announced(redis_client: redis.Redis) -> None:
    story = CaseStory("U1", T0).through_dispatch()
    EventWriter(redis_client).write(story.events)
    agg = Aggregator(redis_client, AggregatorSettings(consumer="a1"))
    agg.ensure_groups()
    agg.drain()
    updates = redis_client.xrange(KEYS.updates)
    assert len(updates) == 1
    _, fields = updates[0]
    assert fields[b"topics"] == b"cases,kpi"
    assert fields[b"cases"] == b"U1,U1,U1"
    assert int(fields[b"clock"]) == int(story.events[-1].time.timestamp() * 1000)
