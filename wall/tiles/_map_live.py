"""The map tile's live parts as pure functions of the live frames (tested without Redis).

Each returns key → JSON value; the hub diffs them key by key, so a moved officer
costs one entry of the officers part, not 312.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from typing_extensions import TypedDict

from data_feeds import case_details
from wall.control.views import Alarm, AlarmJson


class CasePointJson(TypedDict):
    """One case of the part ``cases`` (keyed by case id): what its marker shows."""

    lat: float
    lon: float
    status: str
    kind: str
    cat: str  # the 大类, event-05
    name: str  # the 大类's name in the wall's language
    priority: str
    overdue: bool
    grid: str
    source: str
    # What its popup shows besides status (schema v2 details: "" or [] when unknown).
    category: str  # in words: the 小类 on a zh-CN wall, else the 大类's name
    address: str  # 地址
    description: str  # 问题描述
    channel: str  # how it was reported (catalog.CaseChannel)
    photos_before: list[str]  # 处置前: http(s) URLs
    photos_after: list[str]  # 处置后


class OfficerPointJson(TypedDict):
    """One officer of the part ``officers`` (keyed by officer id)."""

    lat: float
    lon: float
    status: str
    name: str
    trail: list[list[float]]  # [lat, lon] pairs, oldest first


CAMERA_STATUSES = frozenset({"online", "offline"})
UNKNOWN = "unknown"  # a camera the relay never reported


def case_points(
    cases: pd.DataFrame,
    now: datetime,
    category_names: Mapping[str, str],
    grids: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    sources: Collection[str] | None = None,
    minor_names: bool = False,
) -> dict[str, CasePointJson]:
    """Open cases that have a place: case id → what its marker and its popup show.

    ``cases`` is ``KpiReader.open_cases()``; ``now`` the data clock (a case is
    overdue once its deadline is before it); ``category_names`` maps ``event-05``
    to its name in the wall's language; ``minor_names``: the popup names the 小类
    (the catalog's names are Chinese). Filters left None keep everything.
    """
    placed = cases[cases["lat"].notna() & cases["lon"].notna()]
    kind = placed["kind"].fillna("").astype(str)
    cat = kind + "-" + placed["category"].fillna("").astype(str).str[:2]
    keep = pd.Series(True, index=placed.index)
    if grids is not None:
        keep &= placed["grid"].isin(list(grids))
    if categories is not None:
        keep &= cat.isin(list(categories))
    if sources is not None:
        keep &= placed["source"].isin(list(sources))
    placed, kind, cat = placed[keep], kind[keep], cat[keep]
    deadline = placed["deadline"]
    overdue = deadline.notna() & (deadline < pd.Timestamp(now))
    rows = zip(placed.index, placed.to_dict("records"), kind, cat, overdue, strict=True)
    return {
        str(case_id): _case_point(row, kind_, cat_, bool(late), category_names, minor_names)
        for case_id, row, kind_, cat_, late in rows
    }


def _case_point(
    row: Mapping[Any, Any],  # a frame record: column → value
    kind: str,
    cat: str,
    overdue: bool,
    category_names: Mapping[str, str],
    minor_names: bool,
) -> CasePointJson:
    name = category_names.get(cat, "")
    minor = _text(row.get("category_name")) if minor_names else ""
    return {
        "lat": float(row["lat"]),
        "lon": float(row["lon"]),
        "status": _text(row["status"]),
        "kind": kind,
        "cat": cat,
        "name": name,
        "priority": _text(row["priority"]) or "normal",
        "overdue": overdue,
        "grid": _text(row["grid"]),
        "source": _text(row["source"]),
        "category": minor or name,
        "address": _text(row.get(case_details.ADDRESS)),
        "description": _text(row.get(case_details.DESCRIPTION)),
        "channel": _text(row.get(case_details.CHANNEL)),
        "photos_before": case_details.decode_photos(_text(row.get(case_details.PHOTOS_BEFORE))),
        "photos_after": case_details.decode_photos(_text(row.get(case_details.PHOTOS_AFTER))),
    }


def placed_officers(officers: pd.DataFrame, grids: Collection[str] | None = None) -> pd.DataFrame:
    """Officers with a known position, in the given grids (all when None)."""
    placed = officers[officers["lat"].notna() & officers["lon"].notna()]
    if grids is not None:
        placed = placed[placed["grid"].isin(list(grids))]
    return placed


def officer_points(
    officers: pd.DataFrame, trails: Mapping[str, list[list[float]]]
) -> dict[str, OfficerPointJson]:
    """officer id → position, status, name and trail (oldest fix first).

    ``officers`` is ``placed_officers(...)``; ``trails`` the officers' last fixes
    as ``LiveData.trails`` gives them. An officer without a trail yet gets a
    one-point trail at its position.
    """
    columns = zip(
        officers.index, officers["lat"], officers["lon"], officers["status"], officers["name"],
        strict=True,
    )  # fmt: skip
    points: dict[str, OfficerPointJson] = {}
    for officer_id, lat, lon, status, name in columns:
        here = [float(lat), float(lon)]
        trail = trails.get(str(officer_id)) or [here]
        points[str(officer_id)] = {
            "lat": here[0],
            "lon": here[1],
            "status": _text(status) or "offline",
            "name": _text(name),
            "trail": trail,
        }
    return points


def camera_statuses(camera_ids: Iterable[str], reported: pd.DataFrame) -> dict[str, str]:
    """camera id → online, offline, or unknown for a camera the relay never reported."""
    known = reported["status"].to_dict() if "status" in reported else {}
    statuses: dict[str, str] = {}
    for camera_id in camera_ids:
        status = known.get(camera_id)
        statuses[camera_id] = status if status in CAMERA_STATUSES else UNKNOWN
    return statuses


def alarm_focus(alarm: Alarm | None) -> dict[str, AlarmJson]:
    """The ``focus`` part: ``{"alarm": ...}`` while an alarm is on the wall (the map
    flies to the case and rings it), else nothing (the map returns to its view)."""
    return {} if alarm is None else {"alarm": alarm.as_json()}


def _text(value: object) -> str:
    """A frame cell as text: None and NaN (a missing field) become ""."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)
