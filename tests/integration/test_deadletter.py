"""Malformed events never stop anything: hypothesis makes at least 10,000 of them;
every one lands in the dead-letter stream with its reason and its payload, and the
valid events around them are still applied."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import redis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.events import HotlineEvent, to_fields
from data_feeds.kpis import KpiReader

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=timezone(timedelta(hours=8)))
STREAMS = ["cases", "officers", "hotline", "approvals", "cameras"]
VALID = {
    "cases": {"v": "1", "event_id": "e1", "time": "2026-05-04T10:00:00+08:00", "case_id": "C1",
              "status": "reported", "kind": "event", "category": "0503", "source": "video",
              "lat": "28.7", "lon": "112.9", "grid": "430624-0101"},
    "officers": {"v": "1", "event_id": "o1", "time": "2026-05-04T10:00:00+08:00",
                 "officer_id": "ZF-001", "action": "position", "grid": "430624-0101",
                 "lat": "28.7", "lon": "112.9"},
    "hotline": {"v": "1", "event_id": "h1", "time": "2026-05-04T10:00:00+08:00", "call_id": "H1",
                "seat": "3", "outcome": "case", "case_id": "C1"},
    "approvals": {"v": "1", "event_id": "p1", "time": "2026-05-04T10:00:00+08:00",
                  "application_id": "A1", "service": "ad", "status": "published"},
    "cameras": {"v": "1", "event_id": "m1", "time": "2026-05-04T10:00:00+08:00",
                "camera_id": "XY-001", "status": "offline"},
}  # fmt: skip
# Values no field accepts for the field it replaces (each breaks a different rule).
BAD_VALUES = {
    "v": ["3", "", "1.0"],
    "event_id": ["", " x", "a" * 65, "中文"],
    "time": ["yesterday", "2026-05-04T10:00:00", "2026-13-01T00:00:00+08:00"],
    "lat": ["north", "91", "nan", "inf"],
    "lon": ["-181", "", "1e400"],
    "status": ["done", "CLOSED", ""],
    "category": ["99", "9999", "05a3"],
    "seat": ["0", "100", "three"],
    "service": ["casino"],
    "outcome": ["maybe"],
}


MUTATIONS = ("broken", "missing", "extra", "not_utf8", "garbage")


def malformed() -> st.SearchStrategy[tuple[str, dict[bytes, bytes]]]:
    """One bad entry. Drawn as flat primitives and built by ``spoil``: nested
    strategies would make 10,000 entries take minutes to generate."""
    return st.builds(
        spoil,
        st.sampled_from(STREAMS),
        st.sampled_from(MUTATIONS),
        st.integers(min_value=0, max_value=10_000),
        st.binary(max_size=24),
        st.dictionaries(st.binary(min_size=1, max_size=8), st.binary(max_size=32), max_size=4),
    )


def spoil(
    stream: str, how: str, pick: int, data: bytes, junk: dict[bytes, bytes]
) -> tuple[str, dict[bytes, bytes]]:
    valid = VALID[stream]
    fields = _encode(valid)
    names = list(valid)
    if how == "broken":  # a valid event with one field replaced by a bad value
        breakable = [name for name in names if name in BAD_VALUES]
        name = breakable[pick % len(breakable)]
        fields[name.encode()] = BAD_VALUES[name][pick % len(BAD_VALUES[name])].encode()
    elif how == "missing":  # a required field left out
        required = [name for name in names if name != "v"]
        del fields[required[pick % len(required)].encode()]
    elif how == "extra":  # a field the schema does not have
        fields[b"x_" + data.hex().encode()[:12]] = data
    elif how == "not_utf8":  # a value that is not text
        fields[names[pick % len(names)].encode()] = b"\xff" + data
    else:  # arbitrary fields and bytes, without the schema version
        fields = {key: value for key, value in junk.items() if key != b"v"} or {b"?": data}
    return stream, fields


def _encode(fields: dict[str, str]) -> dict[bytes, bytes]:
    return {key.encode(): value.encode() for key, value in fields.items()}


def test_ten_thousand_malformed_events_land_in_the_dead_letters(
    redis_client: redis.Redis,
) -> None:
    aggregator = Aggregator(redis_client, AggregatorSettings(consumer="a1"))
    aggregator.ensure_groups()
    call_ids = itertools.count(1)
    totals = {"bad": 0, "good": 0}

    @settings(
        max_examples=80,
        deadline=None,
        database=None,
        # Shrinking 10,000 entries would take minutes; a failure prints its batch anyway.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(malformed(), min_size=130, max_size=160))
    def batch_of_bad_events(entries: list[tuple[str, dict[bytes, bytes]]]) -> None:
        before = redis_client.xlen("citywall:deadletter")
        pipe = redis_client.pipeline(transaction=False)
        written: list[tuple[str, dict[bytes, bytes]]] = []
        for index, (stream, fields) in enumerate(entries):
            pipe.xadd(f"citywall:{stream}", fields)  # type: ignore[arg-type]
            written.append((stream, fields))
            if index % 10 == 0:  # valid calls among the bad ones
                call = next(call_ids)
                event = HotlineEvent(event_id=f"h{call}", time=T0, call_id=f"H{call}", seat=1,
                                     outcome="consultation")  # fmt: skip
                pipe.xadd("citywall:hotline", to_fields(event))  # type: ignore[arg-type]
                totals["good"] += 1
        ids = pipe.execute()
        aggregator.drain(idle_rounds=1)
        dead = redis_client.xrevrange("citywall:deadletter", count=len(written) + 1)
        dead = dead[: redis_client.xlen("citywall:deadletter") - before]
        assert len(dead) == len(written)
        by_entry = {(fields[b"stream"], fields[b"entry_id"]): fields for _, fields in dead}
        for (stream, fields), entry_id in zip(written, _bad_ids(ids, entries), strict=True):
            letter = by_entry[(stream.encode(), entry_id)]
            assert letter[b"reason"].strip()
            payload = {k.removeprefix(b"payload."): v for k, v in letter.items()
                       if k.startswith(b"payload.")}  # fmt: skip
            assert payload == fields
        totals["bad"] += len(written)

    batch_of_bad_events()
    assert totals["bad"] >= 10_000
    assert redis_client.xlen("citywall:deadletter") == totals["bad"]
    for stream in STREAMS:
        assert redis_client.xpending(f"citywall:{stream}", "aggregator")["pending"] == 0
    hotline = KpiReader(redis_client).summary(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert hotline.loc["hotline_calls", "value"] == totals["good"]
    assert not list(redis_client.scan_iter(match="citywall:case:*"))


def _bad_ids(ids: list[bytes], entries: list[tuple[str, dict[bytes, bytes]]]) -> list[bytes]:
    """The stream ids of the bad entries, in order (the valid calls are interleaved)."""
    picked, position = [], 0
    for index in range(len(entries)):
        picked.append(ids[position])
        position += 2 if index % 10 == 0 else 1
    return picked
