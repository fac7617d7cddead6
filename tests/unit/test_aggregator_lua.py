"""The apply script's wire contract is declared once, in Python: apply_batch.lua
spells no key, stream, topic or updates field of its own, nor the formats of what it
stores (a KPI bucket's field names, the camera and officer JSON, a case's details),
and what it receives (script.py) is built from core.keys, core.topics,
ops.STREAM_CODES, data_feeds.kpi_fields, core.camera_status, data_feeds.officer_state
and data_feeds.case_details."""

from __future__ import annotations

import json
import re
from datetime import datetime

from core import camera_status, topics
from core.keys import DEADLETTER_MAXLEN, STREAMS, UPDATES_MAXLEN, Keys
from data_feeds import case_details, kpi_fields, officer_state
from data_feeds.aggregator import AggregatorSettings, consumer, ops
from data_feeds.aggregator.script import SCRIPT, script_constants, script_keys
from tests.case_story import SHANGHAI, CaseStory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
PHOTO = "https://szcg.example.gov.cn/p/1.jpg"

# A Lua string literal in single or double quotes ('--' comments are removed first).
LUA_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)\"""")
# A table field named in the code: ``s.status`` (not ``..``, not a number), or a key
# of a table constructor (``{status = 1}``, ``{x, t = 0}``). Lua braces are only ever
# table constructors.
LUA_DOTTED_FIELD = re.compile(r"(?<![.\d])\.\s*([A-Za-z_]\w*)")
LUA_INNERMOST_TABLE = re.compile(r"\{[^{}]*\}")
LUA_CONSTRUCTOR_KEY = re.compile(r"(?:^|[{,;])\s*([A-Za-z_]\w*)\s*=(?!=)")


def lua_code(source: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in source.splitlines())


def lua_strings(source: str) -> list[str]:
    return [single or double for single, double in LUA_STRING.findall(lua_code(source))]


def lua_field_names(source: str) -> list[str]:
    """Field names spelled as names: after a dot, or as keys of a table constructor
    (strings blanked first, nested constructors read innermost first)."""
    code = LUA_STRING.sub("''", lua_code(source))
    names = LUA_DOTTED_FIELD.findall(code)
    while (table := LUA_INNERMOST_TABLE.search(code)) is not None:
        names += LUA_CONSTRUCTOR_KEY.findall(table.group()[:-1])
        code = code[: table.start()] + "0" + code[table.end() :]
    return names


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


# The stored formats: a KPI bucket's dimension prefixes and separator, the values of
# a status the script compares, and the field names of the camera and officer JSON.
KPI_FIELD_PARTS = frozenset(kpi_fields.DIMENSION_PREFIX.values())
STATUS_VALUES = frozenset({camera_status.ONLINE, camera_status.OFFLINE, officer_state.OFFLINE})
STATE_FIELDS = frozenset(camera_status.FIELDS) | frozenset(officer_state.FIELDS)


def spelled_formats(source: str) -> list[str]:
    """String literals that are a KPI field's dimension prefix (or begin with one),
    hold its separator, or are a camera or officer status; and camera or officer
    state fields named in the code (``s.status``, ``{t = 0}``)."""
    literals = [
        s for s in lua_strings(source)
        if s.startswith(tuple(KPI_FIELD_PARTS)) or kpi_fields.SEPARATOR in s
        or s in STATUS_VALUES
    ]  # fmt: skip
    return literals + [name for name in lua_field_names(source) if name in STATE_FIELDS]


def test_the_apply_script_spells_no_key_stream_topic_or_field_name() -> None:
    assert spelled_wire_names(SCRIPT) == []


def test_the_apply_script_spells_no_kpi_field_or_state_format() -> None:
    assert spelled_formats(SCRIPT) == []


def test_the_format_check_catches_what_the_script_used_to_spell() -> None:
    old = """
    local field = metric .. '|' .. dims[i]  -- 'c:' and s.status in a comment are fine
    local dims = {'c:' .. k .. '-' .. string.sub(cat, 1, 2), 's:' .. src, 'g:' .. g}
    local dims = {"o:" .. outcome}; count(h, 'approvals_' .. st, 1, {'v:' .. service})
    local s = raw and cjson.decode(raw) or {status = 'offline', st_t = 0}
    if a == 'status' and t >= s.st_t then s.status, s.st_t = st, t end
    s.grid = g; if name then s.name = name end; s.checkin = t
    local s = raw and cjson.decode(raw) or {status = 'online', t = 0}
    if t < s.t then return end
    s.status, s.t, s.reason = st, t, reason or nil
    local x = {a = {t = 1}, C.t .. ('a.reason' .. 1.5)}
    """
    assert spelled_formats(old) == [
        "|", "c:", "s:", "g:", "o:", "v:", "offline", "online",
        "st_t", "status", "st_t", "grid", "name", "checkin", "t", "status", "t", "reason", "t",
        "status", "st_t", "status", "t", "t",
    ]  # fmt: skip
    # What the script does now: the names are received, the action 'status' is an
    # event's value, and the case hash's 'status' field is not a state document's.
    now = """
    local s = raw and cjson.decode(raw) or {[OFF_STATUS] = OFF_OFFLINE, [OFF_STATUS_T] = 0}
    if a == 'status' and t >= s[OFF_STATUS_T] then s[OFF_STATUS] = st end
    put('status', st); local w = {'case_id', id, 'grid', g}; local tt = C.camera_state.T
    """
    assert spelled_formats(now) == []


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


def test_the_script_receives_the_formats_of_what_it_stores() -> None:
    constants = json.loads(
        script_constants(Keys(), bucket_ttl_s=60, trail_length=5, dedup_ttl_s=30, updates_maxlen=7)
    )
    kpi = constants["kpi_fields"]
    assert kpi["SEPARATOR"] == kpi_fields.SEPARATOR
    assert kpi["PREFIXES"] == {d.upper(): p for d, p in kpi_fields.DIMENSION_PREFIX.items()}
    assert (kpi["CATEGORY_JOIN"], kpi["MAJOR_DIGITS"]) == (
        kpi_fields.CATEGORY_JOIN, kpi_fields.MAJOR_DIGITS,
    )  # fmt: skip
    camera = constants["camera_state"]
    assert [camera["STATUS"], camera["T"], camera["REASON"]] == list(camera_status.FIELDS)
    assert camera["OFFLINE"] == camera_status.OFFLINE
    officer = constants["officer_state"]
    assert [officer[name] for name in ("STATUS", "STATUS_T", "GRID", "NAME", "CHECKIN")] == list(
        officer_state.FIELDS
    )
    assert officer["OFFLINE"] == officer_state.OFFLINE
    # What the web tier reads back: a per-dimension count, and a camera's JSON.
    assert kpi_fields.split("closed|g:G03") == ("closed", "g:G03")
    assert kpi_fields.category_value("event", "0503") == "event-05"
    assert camera_status.CameraStatus("offline", 5, "x").to_json() == (
        '{"status": "offline", "t": 5, "reason": "x"}'
    )


def test_the_updates_cap_defaults_to_the_declared_one() -> None:
    assert AggregatorSettings(consumer="a1").updates_maxlen == UPDATES_MAXLEN


def test_the_script_receives_a_cases_details_and_spells_none() -> None:
    constants = json.loads(
        script_constants(Keys(), bucket_ttl_s=60, trail_length=5, dedup_ttl_s=30, updates_maxlen=7)
    )
    details = constants["case_details"]
    assert details == {"FIELDS": list(case_details.FIELDS), "STAMP": case_details.STAMP_SUFFIX}
    stamps = {case_details.stamp(name) for name in case_details.FIELDS}
    names = set(case_details.FIELDS) | stamps
    assert [s for s in lua_strings(SCRIPT) if s in names] == []
    assert [n for n in lua_field_names(SCRIPT) if n in names] == []
    # The op carries them after its fixed items, in the same order.
    event = (
        CaseStory("C1", T0).at(0, "reported", address="长安路1号", photos_after=[PHOTO]).events[0]
    )
    op = ops.OpBuilder().build("1-0", event)
    assert op[20:] == ["长安路1号", False, False, case_details.encode_photos([PHOTO]), False, False]
    assert "local DETAIL_AT = 20" in SCRIPT
