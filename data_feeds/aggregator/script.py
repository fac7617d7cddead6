"""What the apply script (``apply_batch.lua``) receives besides the batch: its KEYS
and one JSON object of constants. Every key, key prefix, stream code, topic, field
name and cap the script uses is built here from ``core.keys``, ``core.topics`` and
``ops.STREAM_CODES``, and the formats of what it stores from where they are declared
(the KPI bucket's fields from ``data_feeds.kpi_fields``, the camera state from
``core.camera_status``, the officer state from ``data_feeds.officer_state``, a case's
details from ``data_feeds.case_details``): the script spells none of them itself.

    KEYS     open cases, closed cases, deadlines, positions, officers, cameras,
             officers online, cameras offline, deadletter, updates, clock, then the
             input streams in the order of ``streams`` (for XACK)
    ARGV[1]  the constants (``script_constants``), ARGV[2] the ops (JSON), ARGV[3]
             the dead letters (JSON), then their original field/value pairs
             (``Batch.script_args``)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from core import camera_status, topics
from core.keys import AGGREGATOR_GROUP, DEADLETTER_MAXLEN, Keys
from data_feeds import approvals_published, case_details, case_timeline, kpi_fields, officer_state
from data_feeds.aggregator.ops import STREAM_CODES

SCRIPT = (Path(__file__).parent / "apply_batch.lua").read_text()
# The topics the script announces and the fields of its updates entry, under their
# names in core.topics.
_TOPICS: Final = {
    "CASES": topics.CASES, "KPI": topics.KPI, "OFFICERS": topics.OFFICERS,
    "CAMERAS": topics.CAMERAS, "DEADLETTER": topics.DEADLETTER,
}  # fmt: skip
_UPDATE_FIELDS: Final = {
    "TOPICS": topics.FIELD_TOPICS, "CASES": topics.FIELD_CASES, "CLOCK": topics.FIELD_CLOCK,
    "EARLIEST": topics.FIELD_EARLIEST,
}  # fmt: skip
# A KPI bucket's fields: <metric><SEPARATOR><PREFIXES[DIMENSION]><value>, a case's
# category value <kind><CATEGORY_JOIN><the category's first MAJOR_DIGITS characters>.
_KPI_FIELDS: Final = {
    "SEPARATOR": kpi_fields.SEPARATOR,
    "PREFIXES": {dim.upper(): prefix for dim, prefix in kpi_fields.DIMENSION_PREFIX.items()},
    "CATEGORY_JOIN": kpi_fields.CATEGORY_JOIN, "MAJOR_DIGITS": kpi_fields.MAJOR_DIGITS,
}  # fmt: skip
# The JSON documents kept per camera and per officer: their field names, and the
# status value the script compares (offline).
_CAMERA_STATE: Final = {
    "STATUS": camera_status.FIELD_STATUS, "T": camera_status.FIELD_T,
    "REASON": camera_status.FIELD_REASON, "OFFLINE": camera_status.OFFLINE,
}  # fmt: skip
_OFFICER_STATE: Final = {
    "STATUS": officer_state.FIELD_STATUS, "STATUS_T": officer_state.FIELD_STATUS_T,
    "GRID": officer_state.FIELD_GRID, "NAME": officer_state.FIELD_NAME,
    "CHECKIN": officer_state.FIELD_CHECKIN, "OFFLINE": officer_state.OFFLINE,
}  # fmt: skip

# A case's details (schema v2): their hash fields, in the order the case op carries
# them, and the suffix of the field holding when each was set.
_CASE_DETAILS: Final = {"FIELDS": list(case_details.FIELDS), "STAMP": case_details.STAMP_SUFFIX}
# A case's timeline: the prefix of its per-event fields and their values' separator.
_TIMELINE: Final = {"PREFIX": case_timeline.EVENT_PREFIX, "SEP": case_timeline.SEPARATOR}


def script_keys(keys: Keys) -> list[str]:
    """KEYS, in the order the script unpacks them."""
    return [
        keys.open_cases, keys.closed_cases, keys.deadlines, keys.positions, keys.officers,
        keys.cameras, keys.officers_online, keys.cameras_offline, keys.deadletter,
        keys.updates, keys.clock, *keys.streams.values(),
    ]  # fmt: skip


def script_constants(
    keys: Keys, *, bucket_ttl_s: int, trail_length: int, dedup_ttl_s: int, updates_maxlen: int
) -> str:
    """ARGV[1]: the same for every batch of a consumer, so encoded once. The script
    decodes it once per batch: ~10 µs of server time, where a full batch (~600
    events) takes ~10 ms."""
    constants = {
        "group": AGGREGATOR_GROUP,
        "streams": list(keys.streams),  # names, in the order of their keys in KEYS
        "codes": STREAM_CODES,  # op code -> stream name
        # Prefixes of the keys named by an id: <prefix><id>.
        "case": keys.case_prefix,
        "kpi": keys.kpi_prefix,  # + local hour YYYYMMDDHH
        "trail": keys.trail_prefix,
        "checkins": keys.checkins_prefix,  # + local day YYYYMMDD
        "seen": {code: keys.seen_prefix(stream) for code, stream in STREAM_CODES.items()},
        "topics": _TOPICS,
        "fields": _UPDATE_FIELDS,
        "kpi_fields": _KPI_FIELDS,
        "camera_state": _CAMERA_STATE,
        "officer_state": _OFFICER_STATE,
        "case_details": _CASE_DETAILS,
        "timeline": _TIMELINE,
        "published": {
            "KEY": keys.approvals_published,
            "SEP": approvals_published.SEPARATOR,
            "KEEP_MS": approvals_published.KEEP_MS,
        },
        "updates_maxlen": updates_maxlen,
        "deadletter_maxlen": DEADLETTER_MAXLEN,
        "bucket_ttl": bucket_ttl_s,
        "trail_length": trail_length,
        "dedup_ttl": dedup_ttl_s,
    }
    return json.dumps(constants, ensure_ascii=False, separators=(",", ":"))
