"""The aggregator under another prefix (a second hall on the same Redis): every key
it writes is one ``Keys`` declares, under that prefix, and the KPIs are exact. The
apply script builds no key of its own, so nothing can land outside the prefix."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import redis

from core import topics
from core.keys import STREAMS, Keys
from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.aggregator.script import script_keys
from data_feeds.events import (
    ApprovalEvent,
    CameraEvent,
    Event,
    HotlineEvent,
    OfficerEvent,
)
from data_feeds.kpis import KpiReader
from data_feeds.writer import EventWriter
from tests.integration.test_aggregator import DAY, T0, all_events, the_day

HALL7 = Keys("hall7:")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def officer(n: int, minutes: float, action: str, **extra: Any) -> OfficerEvent:
    return OfficerEvent.model_validate(
        {"event_id": f"o-{n}-{minutes}-{action}", "time": at(minutes),
         "officer_id": f"ZF-{n:03d}", "action": action, "grid": "430624-0101", **extra}
    )  # fmt: skip


def officers() -> list[Event]:
    """ZF-001 patrols (25 fixes, a trail of 20) and checks in; ZF-002 checks in,
    handles a case and signs off: one officer online, two check-ins."""
    here = {"lat": 28.69, "lon": 112.89}
    fixes = [officer(1, m, "position", lat=28.6 + m / 1000, lon=112.9) for m in range(25)]
    return [
        *fixes,
        officer(1, 1, "status", status="patrolling", name="李明"),
        officer(1, 2, "checkin", **here),
        officer(2, 3, "status", status="handling"),
        officer(2, 4, "checkin", **here),
        officer(2, 100, "status", status="offline"),
    ]


def others() -> list[Event]:
    """Three hotline calls, two approvals published (and one submitted), a camera
    that stays offline and one that comes back."""
    calls = [
        HotlineEvent(event_id=f"h{i}", time=at(10 + i), call_id=f"H{i}", seat=3,
                     outcome=outcome, case_id="B" if outcome == "case" else None)
        for i, outcome in enumerate(["case", "consultation", "duplicate"])
    ]  # fmt: skip
    approvals = [
        ApprovalEvent(event_id=f"p{i}", time=at(20 + i), application_id=f"A{i}",
                      service="ad", status=status)
        for i, status in enumerate(["submitted", "published", "published"])
    ]  # fmt: skip
    cameras = [
        CameraEvent(event_id=f"m{i}", time=at(30 + i), camera_id=camera, status=status)
        for i, (camera, status) in enumerate(
            [("XY-001", "offline"), ("XY-002", "offline"), ("XY-002", "online")]
        )
    ]
    return [*calls, *approvals, *cameras]


def declared(key: str, keys: Keys) -> bool:
    """A fixed key ``Keys`` names, or one of its prefixes followed by an id."""
    named = [getattr(keys, name) for name, attr in vars(Keys).items() if isinstance(attr, property)]
    fixed = {value for value in named if isinstance(value, str) and not value.endswith(":")}
    fixed |= set(keys.streams.values())
    prefixes = (
        keys.case_prefix, keys.kpi_prefix, keys.trail_prefix, keys.checkins_prefix,
        *(keys.seen_prefix(stream) for stream in STREAMS),
    )  # fmt: skip
    return key in fixed or any(key.startswith(p) and len(key) > len(p) for p in prefixes)


def test_every_key_is_declared_and_under_the_hall_prefix(redis_client: redis.Redis) -> None:
    events = [*all_events(the_day()), *officers(), *others()]
    writer = EventWriter(redis_client, HALL7)
    writer.write(events)
    writer.write(others()[:1])  # a repeated call: counted once
    redis_client.xadd(HALL7.stream("approvals"), {"v": "1", "event_id": "bad", "status": "x"})
    agg = Aggregator(redis_client, AggregatorSettings(consumer="hall7-a1"), HALL7)
    agg.ensure_groups()
    assert agg.drain() == len(events) + 2
    agg.step()  # the heartbeat and the upkeep lock too
    assert (agg.stats.applied, agg.stats.dead) == (len(events) + 1, 1)

    found = sorted(key.decode() for key in redis_client.scan_iter(count=1000))
    assert [key for key in found if not declared(key, HALL7)] == []
    assert set(script_keys(HALL7)) <= set(found)  # every key the script receives is used
    for key in ("case:A", "kpi:2026030209", "trail:ZF-001", "checkins:20260302",
                "seen:hotline:h0", "seen:approvals:p1"):  # fmt: skip
        assert HALL7.prefix + key in found
    assert not any(key.startswith(Keys().prefix) for key in found)

    reader = KpiReader(redis_client, HALL7)
    values = dict(reader.summary(*DAY)["value"].items())
    assert values == {
        "reported": 5, "filed": 4, "dispatched": 4, "video_captures": 1, "hotline_calls": 3,
        "approvals_published": 2, "closed": 2, "due": 3, "closure_rate": pytest.approx(2 / 3),
        "ontime_closure_rate": pytest.approx(1 / 3), "two_hour_rate": pytest.approx(1 / 2),
        "timely_dispatch_rate": pytest.approx(3 / 4), "rework_rate": pytest.approx(1 / 3),
        "mean_handle_minutes": pytest.approx(45), "checkins": 2,
        "camera_online_rate": pytest.approx(1 / 2),  # one camera online, one offline
    }  # fmt: skip
    assert redis_client.get(HALL7.officers_online) == b"1"
    assert redis_client.get(HALL7.cameras_offline) == b"1"
    assert redis_client.llen(HALL7.trail("ZF-001")) == 20
    assert sorted(reader.open_cases().index) == ["D", "E"]

    dead = redis_client.xrange(HALL7.deadletter)
    assert [entry[b"stream"] for _, entry in dead] == [b"approvals"]
    _, last = redis_client.xrevrange(HALL7.updates, count=1)[0]
    assert {field.decode() for field in last} == {
        topics.FIELD_TOPICS,
        topics.FIELD_CASES,
        topics.FIELD_CLOCK,
        topics.FIELD_EARLIEST,
    }
    announced: set[str] = set()
    for _, entry in redis_client.xrange(HALL7.updates):
        announced |= topics.parse_topics(entry[topics.FIELD_TOPICS.encode()].decode())
    assert announced == set(topics.TOPICS) - {topics.WALL}
