"""What the live tiles compute without Redis: periods, deltas, number formats, labels."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from data_feeds.kpi_catalog import KPI_BY_KEY, KPIS, KpiKey
from data_feeds.periods import current_window, previous_window
from wall.config.tiles.kpi import KpiTile
from wall.live.values import dumps, keyed_diff, plain
from wall.tile_views import wall_translator
from wall.tiles.kpi import format_change, format_value
from wall.tiles.officers import roster
from wall.ui.labels import grid_label, short_duration

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 14, 30, tzinfo=ZONE)


def test_today_compares_with_yesterday_up_to_the_same_time() -> None:
    assert current_window("today", NOW) == (NOW.replace(hour=0, minute=0), NOW)
    start, end = previous_window("today", NOW, "same_time")  # type: ignore[misc]
    assert start == datetime(2026, 11, 24, tzinfo=ZONE)
    assert end == datetime(2026, 11, 24, 14, 30, tzinfo=ZONE)
    assert previous_window("today", NOW, "full") == (start, datetime(2026, 11, 25, tzinfo=ZONE))
    assert previous_window("today", NOW, "none") is None


def test_month_and_half_year_compare_with_the_period_before() -> None:
    assert current_window("half_year", NOW)[0] == datetime(2026, 7, 1, tzinfo=ZONE)
    start, end = previous_window("half_year", NOW, "full")  # type: ignore[misc]
    assert (start, end) == (datetime(2026, 1, 1, tzinfo=ZONE), datetime(2026, 7, 1, tzinfo=ZONE))
    start, end = previous_window("month", NOW, "same_time")  # type: ignore[misc]
    assert start == datetime(2026, 10, 1, tzinfo=ZONE)
    assert end == datetime(2026, 10, 25, 14, 30, tzinfo=ZONE)
    # 31 March's "same time" in February stops at February's end.
    march = datetime(2026, 3, 31, 12, tzinfo=ZONE)
    _, feb_end = previous_window("month", march, "same_time")  # type: ignore[misc]
    assert feb_end == datetime(2026, 3, 1, tzinfo=ZONE)


def test_keyed_diff_sends_changed_and_removed_keys_only() -> None:
    old = {"a": 1, "b": {"x": 1}, "c": 3}
    new = {"a": 1, "b": {"x": 2}, "d": 4}
    assert keyed_diff(old, new) == {"b": {"x": 2}, "d": 4, "c": None}
    assert keyed_diff(new, new) == {}


def test_plain_makes_json_that_browsers_parse() -> None:
    value = plain({"n": np.int64(3), "f": np.float64(math.nan), "a": np.arange(2), "t": (1, 2)})
    assert value == {"n": 3, "f": None, "a": [0, 1], "t": [1, 2]}
    assert json.loads(dumps({"name": "派遣", **value}))["name"] == "派遣"
    with pytest.raises(ValueError):
        dumps({"bad": math.inf})


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [("dispatched", 351.0, "351"), ("two_hour_rate", 0.9146, "91.5%"),
     ("mean_handle_minutes", 45.25, "45.2"), ("closure_rate", None, "—")],
)  # fmt: skip
def test_kpi_values_are_formatted_for_the_wall(key: str, value: float | None, text: str) -> None:
    assert format_value(KPI_BY_KEY[key], value) == text


def test_kpi_changes_say_which_way_and_how_much() -> None:
    dispatched, rate = KPI_BY_KEY["dispatched"], KPI_BY_KEY["two_hour_rate"]
    assert format_change(dispatched, 12, 9, "个百分点") == ("▲ 3", "up")
    assert format_change(dispatched, 9, 12, "个百分点") == ("▼ 3", "down")
    assert format_change(dispatched, 9, 9, "个百分点") == ("0", "same")
    assert format_change(rate, 0.90, 0.875, "个百分点") == ("▲ 2.5 个百分点", "up")
    assert format_change(rate, 0.90, None, "pts") == ("", "none")


def test_every_kpi_can_be_put_on_a_kpi_tile() -> None:
    assert set(get_args(KpiKey)) == {kpi.key for kpi in KPIS}
    with pytest.raises(ValidationError, match="two_hour_rate"):
        KpiTile.model_validate({"type": "kpi", "id": "k", "x": 0, "y": 0, "kpis": ["nope"]})


def test_grid_codes_read_as_row_and_column() -> None:
    assert grid_label("4306240010203") == "02-03"
    assert grid_label("430624-0101") == "430624-0101"


def test_durations_in_both_languages() -> None:
    zh, en = wall_translator("zh-CN"), wall_translator("en")
    assert short_duration(timedelta(minutes=42), zh) == "42 分钟"
    assert short_duration(timedelta(hours=3, minutes=5), zh) == "3 小时 5 分"
    assert short_duration(timedelta(days=3, hours=1), en) == "3 d"


def test_roster_counts_officers_by_grid_and_status() -> None:
    officers = pd.DataFrame(
        {"grid": ["g1", "g1", "g1", "g2"], "status": ["patrolling", "offline", "idle", "handling"]}
    )
    table = roster(officers, grids=None)
    assert table.loc["g1"].to_dict() == {
        "patrolling": 1, "handling": 0, "idle": 1, "offline": 1, "on_duty": 2,
    }  # fmt: skip
    assert list(roster(officers, grids=["g2"]).index) == ["g2"]
