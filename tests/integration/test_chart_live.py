"""Chart figures built from a real Redis fed by the real aggregator: a dispatched case
raises today's bar for its hour, on its own and through the live hub."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from core.keys import Keys
from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.events import CaseEvent
from data_feeds.kpis import KpiReader
from data_feeds.writer import EventWriter
from tests.case_story import SHANGHAI, CaseStory
from tests.unit.config_cases import BASE
from wall.config import WallConfig, parse_config
from wall.config.tile_registry import schemas_in
from wall.config.tiles import chart, clock, text
from wall.config.tiles.chart import ChartTile
from wall.live import HubSettings, LiveHub
from wall.live.data import LiveData
from wall.live.hub import merge_changes
from wall.live.values import plain
from wall.tile_views import live_tiles, tile_views, wall_translator
from wall.tiles import chart as chart_view

# "Now" on the wall is the later of the data clock and the wall clock, so the cases
# happen today: from the start of the current hour (H) and, for "another hour", in the
# hour before it (the one after at 23 h).
H = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0)
OTHER = H - timedelta(hours=1) if H.hour > 0 else H + timedelta(hours=1)
TYPES = schemas_in([clock, text, chart])
CHARTS = """\
  - {id: trend, type: chart, chart: hourly, x: 3, y: 0, title: 今日派遣}
  - {id: kinds, type: chart, chart: category, kpi: reported, x: 4, y: 0}
  - {id: sources, type: chart, chart: source, x: 5, y: 0}
  - {id: grids, type: chart, chart: grid, kpi: reported, top: 1, x: 3, y: 1}
  - {id: promise, type: chart, chart: gauge, target: 0.9, x: 4, y: 1}
"""


@pytest.fixture
def config(tmp_path: Path) -> WallConfig:
    text = BASE.replace("cameras:\n", CHARTS + "cameras:\n", 1)
    return parse_config(text, "wall_config.yaml", tmp_path, environ={}, schemas=TYPES)


def feed(client: redis.Redis, events: list[CaseEvent]) -> None:
    EventWriter(client).write(sorted(events, key=lambda event: event.time))
    aggregator = Aggregator(client, AggregatorSettings(consumer="a1"))
    aggregator.ensure_groups()
    aggregator.drain()


def build(client: redis.Redis, config: WallConfig, tile_id: str) -> dict[str, Any]:
    """One build of the tile's live part, as the hub makes it: a fresh LiveData, plain JSON."""
    reader = KpiReader(client, Keys(config.redis.prefix), config.wall.timezone)
    data = LiveData(client, reader, config, wall_translator(config.wall.locale))
    tile = next(t for t in config.tiles if t.id == tile_id)
    assert isinstance(tile, ChartTile)
    (part,) = chart_view.VIEW.part_specs(tile)
    assert part.name == "figure" and part.topics == {"kpi", "cases"}
    parts = plain(part.build(tile, data))
    assert list(parts) == ["figure"]
    figure: dict[str, Any] = parts["figure"]
    return figure


def bars_by_hour(figure: dict[str, Any]) -> dict[int, float]:
    bars = next(trace for trace in figure["data"] if trace["type"] == "bar")
    return dict(zip(bars["x"], bars["y"], strict=True))


def line_by_hour(figure: dict[str, Any]) -> dict[int, float | None]:
    line = next(trace for trace in figure["data"] if trace["type"] == "scatter")
    return dict(zip(line["x"], line["y"], strict=True))


def test_a_dispatched_case_raises_todays_bar_for_its_hour(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    hour, other = H.hour, OTHER.hour
    yesterday = CaseStory("Y1", OTHER - timedelta(days=1)).through_dispatch()
    first = CaseStory("A", H).through_dispatch()  # dispatched at H:10
    feed(redis_client, yesterday.events + first.events)
    before = build(redis_client, config, "trend")
    assert bars_by_hour(before)[hour] == 1
    assert sum(bars_by_hour(before).values()) == 1
    assert line_by_hour(before)[other] == 1  # yesterday's case
    assert sum(v or 0 for v in line_by_hour(before).values()) == 1

    second = CaseStory("B", H + timedelta(minutes=20)).through_dispatch()  # H:30
    reported_only = CaseStory("C", H + timedelta(minutes=25)).at(0, "reported")
    feed(redis_client, second.events + reported_only.events)
    after = build(redis_client, config, "trend")
    assert bars_by_hour(after)[hour] == 2  # a report alone dispatches nothing
    assert sum(bars_by_hour(after).values()) == 2
    assert line_by_hour(after) == line_by_hour(before)

    another = CaseStory("D", OTHER).through_dispatch()
    feed(redis_client, another.events)
    bars = bars_by_hour(build(redis_client, config, "trend"))
    assert (bars[hour], bars[other], sum(bars.values())) == (2, 1, 3)


def test_breakdowns_and_gauge_from_a_morning_of_cases(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    start = H - timedelta(hours=3) if H.hour >= 3 else H  # all of it today: 170 min
    a = CaseStory("A", start, source="video").through_dispatch()
    a.at(50, "handled").at(60, "verified").at(65, "closed")  # within 2 h
    b = CaseStory("B", start, source="hotline", category="0101").through_dispatch()
    b.at(60, "handled").at(70, "verified").at(170, "closed")  # not within 2 h
    c = CaseStory("C", start, kind="component", category="0301", grid="430624-0202")
    c.at(0, "reported")
    feed(redis_client, a.events + b.events + c.events)

    (kinds,) = build(redis_client, config, "kinds")["data"]
    assert kinds["y"] == ["市容环境(部件)", "市容环境(事件)", "街面秩序"]  # one report each
    assert kinds["x"] == [1, 1, 1]

    (sources,) = build(redis_client, config, "sources")["data"]
    assert sources["x"] == ["12319热线", "巡查上报", "视频抓拍", "微信", "上级交办"]
    assert sources["y"] == [1, 0, 1, 0, 0]  # dispatched: A by video, B by hotline

    (grids,) = build(redis_client, config, "grids")["data"]
    assert (grids["y"], grids["x"]) == (["430624-0101"], [2])  # top 1 of 2 grids

    (gauge,) = build(redis_client, config, "promise")["data"]
    assert gauge["value"] == pytest.approx(50)  # 2小时办结率: A yes, B no
    assert gauge["gauge"]["threshold"]["value"] == pytest.approx(90)


def test_an_empty_day_says_no_data_rather_than_failing(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    for tile_id in ("kinds", "grids"):
        figure = build(redis_client, config, tile_id)
        assert figure["data"] == []
        assert figure["layout"]["annotations"][0]["text"] == "暂无数据"
    (sources,) = build(redis_client, config, "sources")["data"]
    assert sources["y"] == [0, 0, 0, 0, 0]
    hour = datetime.now(SHANGHAI).hour  # now, not H: the suite may cross an hour meanwhile
    assert bars_by_hour(build(redis_client, config, "trend")) == dict.fromkeys(range(hour + 1), 0)
    assert "value" not in build(redis_client, config, "promise")["data"][0]


def test_the_hub_pushes_the_new_figure_when_a_case_is_dispatched(
    redis_client: redis.Redis, config: WallConfig
) -> None:
    feed(redis_client, CaseStory("A", H).through_dispatch().events)
    translate = wall_translator(config.wall.locale)
    tiles = live_tiles(config, tile_views())
    hub = LiveHub(redis_client, config, tiles, translate, HubSettings(block_ms=50))
    hub.cycle()
    frame, _status = hub.current()
    assert bars_by_hour(hub.state("trend")["figure"]["figure"])[H.hour] == 1

    feed(redis_client, CaseStory("B", H + timedelta(minutes=20)).through_dispatch().events)
    hub.cycle()
    later, _status = hub.current()
    frames = hub.frames_after(frame.seq, later)  # one frame per tile that changed
    assert frames is not None
    changed = merge_changes(frames)
    assert bars_by_hour(hub.state("trend")["figure"]["figure"])[H.hour] == 2
    assert "trend" in changed and "sources" in changed
    assert "promise" not in changed  # no case closed: the 2-hour rate has not changed
