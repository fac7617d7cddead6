"""The apply script's wire contract is declared once, in Python: apply_batch.lua
spells no key, stream, topic or updates field of its own, and what it receives
(script.py) is built from core.keys, core.topics and ops.STREAM_CODES."""

from __future__ import annotations

import json
import re

from core import topics
from core.keys import DEADLETTER_MAXLEN, STREAMS, UPDATES_MAXLEN, Keys
from data_feeds.aggregator import AggregatorSettings, consumer, ops
from data_feeds.aggregator.script import SCRIPT, script_constants, script_keys

# A Lua string literal in single or double quotes ('--' comments are removed first).
LUA_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)\"""")


def lua_strings(source: str) -> list[str]:
    code = "\n".join(line.split("--", 1)[0] for line in source.splitlines())
    return [single or double for single, double in LUA_STRING.findall(code)]


def wire_names() -> tuple[set[str], set[str]]:
    """What no literal of the script may be (names) or begin with (stems): every key
    ``Keys`` declares, without its prefix, and every stream, topic and updates field."""
    bare = Keys(prefix="")
    fixed = {
        bare.open_cases, bare.closed_cases, bare.deadlines, bare.positions, bare.officers,
        bare.cameras, bare.officers_online, bare.cameras_offline, bare.deadletter,
        bare.updates, bare.clock,
    }  # fmt: skip
    fields = {topics.FIELD_TOPICS, topics.FIELD_CASES, topics.FIELD_CLOCK, topics.FIELD_EARLIEST}
    names = fixed | set(STREAMS) | set(topics.TOPICS) | fields
    stems = {
        bare.case_prefix, bare.kpi_prefix, bare.trail_prefix, bare.checkins_prefix,
        "cases:", "state:", "seen:",
    }  # fmt: skip
    return names, stems


def spelled_wire_names(source: str) -> list[str]:
    names, stems = wire_names()
    return [s for s in lua_strings(source) if s in names or s.startswith(tuple(stems))]


def test_the_apply_script_spells_no_key_stream_topic_or_field_name() -> None:
    assert spelled_wire_names(SCRIPT) == []


def test_the_check_catches_what_the_script_used_to_spell() -> None:
    old = """
    local STREAM = {c = 'cases', o = "officers"}  -- 'clock' in a comment is fine
    redis.call('ZADD', P .. 'cases:open', t, id)
    redis.call('HGET', P .. 'state:officers', id)
    redis.call('SET', P .. 'seen:' .. stream .. ':' .. e, 1)
    local key = P .. 'kpi:' .. hour; local trail = P .. 'trail:' .. id
    redis.call('XADD', P .. 'updates', '*', 'topics', names, 'earliest', e)
    topics['deadletter'] = true
    """
    assert spelled_wire_names(old) == [
        "cases", "officers", "cases:open", "state:officers", "seen:", "kpi:", "trail:",
        "updates", "topics", "earliest", "deadletter",
    ]  # fmt: skip
    assert lua_strings("count(h, 'checkins', 1, {'g:' .. g})") == ["checkins", "g:"]


def test_stream_codes_are_declared_once_for_every_stream() -> None:
    assert consumer.STREAM_CODES is ops.STREAM_CODES
    assert sorted(ops.STREAM_CODES.values()) == sorted(STREAMS)
    assert all(len(code) == 1 for code in ops.STREAM_CODES)


def test_the_script_receives_every_key_under_the_prefix() -> None:
    keys = Keys("hall7:")
    fixed = script_keys(keys)
    assert fixed[-len(STREAMS) :] == [keys.stream(name) for name in STREAMS]
    assert len(set(fixed)) == len(fixed) == 11 + len(STREAMS)
    assert all(key.startswith("hall7:") for key in fixed)
    constants = json.loads(
        script_constants(keys, bucket_ttl_s=60, trail_length=5, dedup_ttl_s=30, updates_maxlen=7)
    )
    assert constants["streams"] == list(STREAMS)
    assert constants["codes"] == ops.STREAM_CODES
    assert constants["case"] == keys.case_prefix and keys.case("C1") == "hall7:case:C1"
    assert constants["kpi"] == keys.kpi_prefix and keys.kpi_bucket("2026030209").startswith(
        "hall7:"
    )
    assert constants["seen"]["h"] == keys.seen_prefix("hotline") == "hall7:seen:hotline:"
    assert set(constants["topics"].values()) == set(topics.TOPICS) - {topics.WALL}
    assert (constants["updates_maxlen"], constants["deadletter_maxlen"]) == (7, DEADLETTER_MAXLEN)


def test_the_updates_cap_defaults_to_the_declared_one() -> None:
    assert AggregatorSettings(consumer="a1").updates_maxlen == UPDATES_MAXLEN
