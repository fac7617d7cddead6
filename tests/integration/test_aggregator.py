"""The aggregator against a real redis-server: case stories drive the live state and
the KPIs to exact values, whatever the order, the repeats or the consumers."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pandas as pd
import pytest
import redis

from core.keys import Keys
from data_feeds import case_details
from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.events import CaseEvent, Event, OfficerEvent
from data_feeds.kpis import KpiReader
from data_feeds.writer import EventWriter
from tests.case_story import SHANGHAI, CaseStory

T0 = __import__("datetime").datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
DAY = (T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=1))


def aggregator(client: redis.Redis, name: str = "a1", **settings: object) -> Aggregator:
    agg = Aggregator(client, AggregatorSettings(consumer=name, **settings))  # type: ignore[arg-type]
    agg.ensure_groups()
    return agg


def feed(client: redis.Redis, events: list[CaseEvent] | list[Event]) -> Aggregator:
    EventWriter(client).write(events)
    agg = aggregator(client)
    agg.drain()
    return agg


def the_day() -> list[CaseStory]:
    """Five cases of one morning; the expected KPIs are worked out in the tests."""
    a = CaseStory("A", T0, source="video").through_dispatch(130)
    a.at(50, "handled").at(60, "verified").at(65, "closed")
    b = CaseStory("B", T0, source="hotline", category="0101").through_dispatch(130)
    b.at(60, "handled").at(70, "verified").at(71, "rework").at(150, "handled")
    b.at(160, "verified").at(170, "closed")
    c = CaseStory("C", T0, source="wechat").at(0, "reported").at(20, "cancelled")
    d = CaseStory("D", T0, kind="component", category="0101", grid="430624-0202")
    d.at(0, "reported").at(5, "filed").dispatch(50, 120)
    e = CaseStory("E", T0 + timedelta(minutes=100), source="referral", category="0203")
    e.through_dispatch(2000)
    return [a, b, c, d, e]


def all_events(stories: list[CaseStory]) -> list[CaseEvent]:
    return sorted((ev for story in stories for ev in story.events), key=lambda ev: ev.time)


def kpi_values(client: redis.Redis) -> dict[str, float | None]:
    summary = KpiReader(client).summary(*DAY)
    return {key: (None if value != value else value) for key, value in summary["value"].items()}


def test_a_day_of_cases_gives_exact_kpis(redis_client: redis.Redis) -> None:
    feed(redis_client, all_events(the_day()))
    values = kpi_values(redis_client)
    assert values["reported"] == 5
    assert values["filed"] == 4
    assert values["dispatched"] == 4
    assert values["video_captures"] == 1
    assert values["closed"] == 2
    assert values["due"] == 3  # A and B closed, D open past its deadline
    assert values["closure_rate"] == pytest.approx(2 / 3)
    assert values["ontime_closure_rate"] == pytest.approx(1 / 3)  # only A was on time
    assert values["two_hour_rate"] == pytest.approx(1 / 2)  # A in 65 min, B in 170
    assert values["timely_dispatch_rate"] == pytest.approx(3 / 4)  # D waited 45 min
    assert values["rework_rate"] == pytest.approx(1 / 3)  # one rework, three handlings
    assert values["mean_handle_minutes"] == pytest.approx(45)  # A 40, B 50 (first handling)

    reader = KpiReader(redis_client)
    assert reader.now() == T0 + timedelta(minutes=170)
    open_cases = reader.open_cases()
    assert sorted(open_cases.index) == ["D", "E"]
    assert set(open_cases["status"]) == {"dispatched"}
    assert open_cases.loc["D", "major_name"] == "公用设施"
    by_grid = reader.by("grid", *DAY)
    assert by_grid.loc["430624-0202", "due"] == 1
    assert by_grid.loc["430624-0202", "closure_rate"] == 0
    assert by_grid.loc["430624-0101", "closed"] == 2
    by_source = reader.by("source", *DAY)
    assert by_source.loc["video", "name"] == "视频抓拍"
    assert by_source.loc["hotline", "ontime_closure_rate"] == 0
    by_category = reader.by("category", *DAY)
    assert by_category.loc["event-05", "reported"] == 2  # A and C
    assert by_category.loc["event-05", "name"] == "事件/街面秩序"
    hourly = reader.hourly(*DAY, kpis=["dispatched", "closed"])
    assert hourly.loc[T0, "dispatched"] == 3  # A, B, D; E is dispatched at 10:50
    assert hourly.loc[T0 + timedelta(hours=1), "dispatched"] == 1
    assert hourly["closed"].sum() == 2


def test_status_follows_the_workflow_with_rework_and_cancellation(
    redis_client: redis.Redis,
) -> None:
    keys = Keys()
    b = CaseStory("B", T0, category="0101").through_dispatch(130)
    b.at(60, "handled").at(70, "verified").at(71, "rework")
    c = CaseStory("C", T0).at(0, "reported").at(20, "cancelled")
    feed(redis_client, b.events + c.events)
    assert redis_client.hget(keys.case("B"), "status") == b"rework"
    assert redis_client.hget(keys.case("B"), "rework_count") == b"1"
    assert KpiReader(redis_client).open_cases().index.tolist() == ["B"]
    assert redis_client.hget(keys.case("C"), "status") == b"cancelled"
    assert redis_client.zscore(keys.closed_cases, "C") is not None

    b.events.clear()
    b.at(150, "handled").at(160, "verified").at(170, "closed")
    feed(redis_client, b.events)
    assert redis_client.hget(keys.case("B"), "status") == b"closed"
    assert KpiReader(redis_client).open_cases().empty
    values = kpi_values(redis_client)
    assert (values["closed"], values["rework_rate"]) == (1, pytest.approx(1 / 2))


def test_the_same_event_twice_counts_once(redis_client: redis.Redis) -> None:
    events = all_events(the_day())
    EventWriter(redis_client).write(events + events[::-1])
    agg = aggregator(redis_client)
    agg.drain()
    assert agg.stats.applied == 2 * len(events)
    once = kpi_values(redis_client)
    assert once["dispatched"] == 4 and once["rework_rate"] == pytest.approx(1 / 3)
    feed(redis_client, events[:7])  # and again, after they were applied
    assert kpi_values(redis_client) == once


def state_snapshot(client: redis.Redis, prefix: str) -> dict[str, object]:
    """Everything the tiles read, minus what depends on delivery (stream ids)."""
    keys = Keys(prefix)
    snapshot: dict[str, object] = {}
    for key in client.scan_iter(match=prefix + "*"):
        name = key.decode().removeprefix(prefix)
        kind = client.type(key)
        if kind == b"hash" and not name.startswith("lock"):
            snapshot[name] = client.hgetall(key)
        elif kind == b"zset":
            snapshot[name] = client.zrange(key, 0, -1, withscores=True)
    assert keys.clock.removeprefix(prefix) not in snapshot
    return snapshot


# ── schema version 2: a case's details ─────────────────────────────────
DETAIL_HASH_FIELDS = [*case_details.FIELDS, *map(case_details.stamp, case_details.FIELDS)]


def detailed_story(i: int, category: str) -> CaseStory:
    """A case whose details change on its way: the address corrected on filing, photos
    after handling, and the description set twice at one instant (the greater wins)."""
    photo = f"https://szcg.example.gov.cn/photos/S{i}-"
    story = CaseStory(f"S{i}", T0 + timedelta(minutes=7 * i), category=category)
    story.at(0, "reported", address=f"人民路{i}号", description="占道经营",
             photos_before=[photo + "1.jpg"], channel="12319")  # fmt: skip
    story.at(5, "filed", address=f"人民路{i}号东侧").dispatch(10, 150)
    story.at(40, "handled", photos_after=[photo + "2.jpg", photo + "3.jpg"])
    story.at(45, "verified", description="已清理").at(45, "verified", description="已清理完毕")
    return story.at(50, "closed")


def final_details(story: CaseStory) -> dict[str, str]:
    """What a detailed_story's case hash must end with, whatever the order."""
    n = story.case_id.removeprefix("S")
    photo = f"https://szcg.example.gov.cn/photos/S{n}-"
    return {
        "address": f"人民路{n}号东侧",
        "description": "已清理完毕",
        "photos_before": case_details.encode_photos([photo + "1.jpg"]),
        "photos_after": case_details.encode_photos([photo + "2.jpg", photo + "3.jpg"]),
        "channel": "12319",
    }


def details_of(client: redis.Redis, keys: Keys, case_id: str) -> dict[str, str]:
    values = client.hmget(keys.case(case_id), list(case_details.FIELDS))
    return {
        name: value.decode()
        for name, value in zip(case_details.FIELDS, values, strict=True)
        if value is not None
    }


def test_case_details_land_in_the_case_state_newest_first(redis_client: redis.Redis) -> None:
    story = detailed_story(1, "0503")
    # Newest first, one event per batch: each older one arrives after a newer one.
    for event in reversed(story.events):
        feed(redis_client, [event])
    assert details_of(redis_client, Keys(), "S1") == final_details(story)
    reported_ms = int(story.events[0].time.timestamp() * 1000)
    stamps = redis_client.hmget(Keys().case("S1"), ["channel_t", "address_t"])
    assert stamps == [str(reported_ms).encode(), str(reported_ms + 5 * 60_000).encode()]

    # A version 1 producer's case: applied as before, no details.
    old = CaseStory("OLD-1", T0).at(0, "reported", v="1").at(5, "filed", v="1")
    assert [event.v for event in old.events] == ["1", "1"]
    feed(redis_client, old.events)
    assert details_of(redis_client, Keys(), "OLD-1") == {}
    assert redis_client.hget(Keys().case("OLD-1"), "status") == b"filed"

    # What the tiles read: the details beside the status (photos as JSON arrays).
    cases = KpiReader(redis_client).recent_cases(10)
    assert cases.loc["S1", "address"] == "人民路1号东侧"
    assert case_details.decode_photos(cases.loc["S1", "photos_after"])[1].endswith("S1-3.jpg")
    assert pd.isna(cases.loc["OLD-1", "address"])


def test_order_and_consumers_do_not_change_the_result(redis_client: redis.Redis) -> None:
    """Two consumers, shuffled events: the same state as one consumer in order."""
    stories = [
        detailed_story(i, cat) for i, cat in enumerate(["0503", "0101", "0203", "0401"] * 15)
    ]
    events = all_events(stories) + all_events(the_day())
    in_order = Keys("ref:")
    EventWriter(redis_client, in_order).write(events)
    reference = Aggregator(redis_client, AggregatorSettings(consumer="ref"), in_order)
    reference.ensure_groups()
    reference.drain()

    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    EventWriter(redis_client).write(shuffled)
    first = aggregator(redis_client, "a1", batch=7)
    second = aggregator(redis_client, "a2", batch=7)
    threads = [threading.Thread(target=agg.drain) for agg in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert first.stats.applied > 0 and second.stats.applied > 0
    assert first.stats.applied + second.stats.applied == len(events)
    ours, theirs = state_snapshot(redis_client, "citywall:"), state_snapshot(redis_client, "ref:")
    ours = {k: v for k, v in ours.items() if not k.startswith("case:")}
    theirs = {k: v for k, v in theirs.items() if not k.startswith("case:")}
    for name in sorted(set(ours) | set(theirs)):
        mine, reference_value = ours.get(name), theirs.get(name)
        if isinstance(mine, dict) and isinstance(reference_value, dict):
            differ = {
                f for f in set(mine) | set(reference_value) if mine.get(f) != reference_value.get(f)
            }
            assert not differ, (name, {f: (mine.get(f), reference_value.get(f)) for f in differ})
        assert mine == reference_value, name  # every KPI bucket and index, field by field
    for story in stories:
        status = redis_client.hget(Keys().case(story.case_id), "status")
        assert status == redis_client.hget(in_order.case(story.case_id), "status") == b"closed"
        # Each detail, and when it was set, as in order: the newest event's value.
        mine_details = redis_client.hmget(Keys().case(story.case_id), DETAIL_HASH_FIELDS)
        assert mine_details == redis_client.hmget(in_order.case(story.case_id), DETAIL_HASH_FIELDS)
        assert details_of(redis_client, Keys(), story.case_id) == final_details(story)


def test_a_crashed_consumers_entries_are_claimed(redis_client: redis.Redis) -> None:
    events = all_events(the_day())
    EventWriter(redis_client).write(events)
    crashed = aggregator(redis_client, "crashed")
    # It reads its batch and dies before applying anything.
    redis_client.xreadgroup("aggregator", "crashed", {"citywall:cases": ">"}, count=100)
    assert redis_client.xpending("citywall:cases", "aggregator")["pending"] == len(events)
    del crashed
    survivor = aggregator(redis_client, "survivor", claim_idle_ms=50)
    __import__("time").sleep(0.1)
    assert survivor.claim_stale() == len(events)
    assert redis_client.xpending("citywall:cases", "aggregator")["pending"] == 0
    assert kpi_values(redis_client)["dispatched"] == 4


def officer_fix(n: int, minute: float, lat: float, action: str = "position") -> OfficerEvent:
    extra = {"status": "patrolling"} if action == "status" else {"lat": lat, "lon": 112.9}
    return OfficerEvent.model_validate(
        {"event_id": f"o-{n}-{minute}-{action}", "time": T0 + timedelta(minutes=minute),
         "officer_id": f"ZF-{n:03d}", "action": action, "grid": "430624-0101", "name": "李明",
         **extra}
    )  # fmt: skip


def test_officers_last_position_status_and_trail(redis_client: redis.Redis) -> None:
    fixes = [officer_fix(1, minute, 28.6 + minute / 1000) for minute in range(30)]
    late = officer_fix(1, 3.5, 28.0)  # arrives after newer fixes: too old for the map
    status = [officer_fix(1, 0, 0, "status"), officer_fix(2, 0, 0, "status")]
    feed(redis_client, [*fixes[:15], *status, late, *fixes[15:], fixes[-1]])
    reader = KpiReader(redis_client)
    officers = reader.officers()
    assert officers.loc["ZF-001", "lat"] == pytest.approx(28.629)  # the last fix wins
    assert officers.loc["ZF-001", "status"] == "patrolling"
    assert officers.loc["ZF-002", "name"] == "李明"
    trail = reader.trail("ZF-001")
    assert len(trail) == 20  # the trail keeps the last 20 fixes, oldest first
    assert trail["lat"].tolist() == pytest.approx([28.6 + m / 1000 for m in range(10, 30)])
    assert reader.officers_online().loc["430624-0101", "online"] == 2
