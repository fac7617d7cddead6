"""The simulator's cases carry schema v2 details: an address in 湘阴县, a description
fitting the category, the channel of the source; reproducibly under the seed."""

from __future__ import annotations

import csv
import hashlib
import math
import os
import random
import re
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from data_feeds.events import CaseEvent, parse_entry, to_fields
from data_feeds.simulator import CitySettings, events_between
from data_feeds.simulator.problems import LEADS, PROBLEMS
from data_feeds.simulator.settings import Place
from data_feeds.simulator.streets import address, streets_from
from testkit.citywall import SHIPPED_CONFIG
from wall.cli_data import city_settings
from wall.config import load_config

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
BOUNDS = ((28.64, 112.83), (28.74, 112.95))
CAMERAS = tuple(f"XY-{n:03d}" for n in range(1, 348))
with (ROOT / "cameras.csv").open(encoding="utf-8", newline="") as _handle:
    INVENTORY: tuple[Place, ...] = tuple(
        (row["name"], float(row["lat"]), float(row["lon"])) for row in csv.DictReader(_handle)
    )
BUILT_IN = CitySettings(bounds=BOUNDS, camera_ids=CAMERAS)  # the simulator's own street grid
SHIPPED = CitySettings(bounds=BOUNDS, camera_ids=CAMERAS, places=INVENTORY)
H1 = (datetime(2026, 1, 1, tzinfo=TZ), datetime(2026, 7, 1, tzinfo=TZ))
WEEK = (datetime(2026, 3, 2, tzinfo=TZ), datetime(2026, 3, 9, tzinfo=TZ))
CHANNELS = {
    "hotline": {"12319"},
    "wechat": {"wechat"},
    "patrol": {"officer"},
    "video": {"camera"},
    "referral": {"letter", "web"},
}
# Words a description of the category must use, checked independently of the templates.
KEYWORDS = {
    ("event", "0501"): ("经营", "货物"),
    ("event", "0502"): ("摊", "售卖"),
    ("event", "0503"): ("晾晒",),
    ("event", "0504"): ("停",),
    ("event", "0101"): ("垃圾",),
    ("component", "0101"): ("井盖",),
    ("component", "0102"): ("井盖",),
    ("component", "0103"): ("井盖", "篦子"),
    ("component", "0105"): ("路灯",),
}
TOWN = "湘阴县文星镇"
DISTANCE = r"约(?:\d+米|\d+\.\d公里)"
ADDRESS_FORMS = {
    "corner": re.compile(rf"^{TOWN}(?P<a>.+)与(?P<b>.+)交叉口[东西][南北]角$"),
    "number": re.compile(rf"^{TOWN}(?P<road>.+?)(?P<n>\d+)号(?:附近|门前|（(?P<near>.+)旁）)?$"),
    "way": re.compile(
        rf"^{TOWN}(?P<a>.+)与(?P<b>.+)交叉口往(?:[东西][南北]|[东西南北]){DISTANCE}$"
    ),
}


@cache
def cases(settings: CitySettings, start: datetime, end: datetime) -> dict[str, list[CaseEvent]]:
    found: dict[str, list[CaseEvent]] = defaultdict(list)
    for event in events_between(settings, start, end, streams=["cases"]):
        assert isinstance(event, CaseEvent)
        found[event.case_id].append(event)
    return found


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (a[0] - b[0]) * 111_320
    east = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def form_of(text: str) -> tuple[str, re.Match[str]]:
    for name, pattern in ADDRESS_FORMS.items():
        match = pattern.match(text)
        if match:
            return name, match
    raise AssertionError(f"not an address the simulator writes: {text!r}")


def details(case: list[CaseEvent]) -> tuple[str | None, str | None, str | None]:
    return case[0].address, case[0].description, case[0].channel


# -- every case event ------------------------------------------------------------------


@pytest.mark.parametrize("settings", [BUILT_IN, SHIPPED], ids=["own-streets", "inventory"])
def test_every_case_event_is_v2_with_address_description_and_channel(
    settings: CitySettings,
) -> None:
    found = cases(settings, *H1)
    channels: dict[str, set[str]] = defaultdict(set)
    assert len(found) > 350
    for case in found.values():
        for event in case:
            fields = to_fields(event)
            assert fields["v"] == "2"
            assert {"address", "description", "channel"} <= set(fields)
            assert "photos_before" not in fields and "photos_after" not in fields
            assert parse_entry("cases", fields) == event  # validates as v2, round trip
            assert details([event]) == details(case)  # the same on every event of the case
        first = case[0]
        assert first.address and first.description and first.channel
        assert first.address.startswith(TOWN) and len(first.address) <= 200
        form_of(first.address)
        assert first.channel in CHANNELS[first.source], (first.source, first.channel)
        channels[first.source].add(first.channel)
        lead, sentence = first.description.split("：", 1)
        assert lead + "：" in LEADS[first.channel]
        templates = PROBLEMS[(first.kind, first.category)]
        assert any(
            re.fullmatch(re.escape(t).replace(r"\{shop\}", ".+"), sentence) for t in templates
        )
        words = KEYWORDS.get((first.kind, first.category), ())
        assert not words or any(word in sentence for word in words), first.description
    assert channels == CHANNELS  # referrals come as letters and as web messages


def test_descriptions_vary_within_each_major_category() -> None:
    """Every 大类 with three cases or more says it in at least two ways."""
    by_major: dict[tuple[str, str], list[str]] = defaultdict(list)
    reports = [case[0] for case in cases(SHIPPED, *H1).values()]
    for report in reports:
        assert report.description is not None
        by_major[(report.kind, report.category[:2])].append(report.description)
    assert len(by_major) >= 10
    for major, texts in by_major.items():
        assert len(texts) < 3 or len(set(texts)) >= 2, major
    assert len({report.description for report in reports}) > 0.5 * len(reports)
    assert len({report.address for report in reports}) > 0.8 * len(reports)


def test_inventory_addresses_match_the_cameras_around_the_case() -> None:
    """The intersection named (its corner, one of its roads, the way from it) is that of
    the nearest intersection camera; a landmark named is a camera within 100 m."""
    junctions = {name: (lat, lon) for name, lat, lon in INVENTORY if name.endswith("交叉口")}
    others = {name: (lat, lon) for name, lat, lon in INVENTORY if name not in junctions}
    forms: dict[str, int] = defaultdict(int)
    for case in cases(SHIPPED, *H1).values():
        first = case[0]
        assert first.address is not None
        place = (first.lat, first.lon)
        nearest = min(junctions, key=lambda name: metres(junctions[name], place))
        form, match = form_of(first.address)
        forms[form] += 1
        if form == "corner":
            assert f"{match['a']}与{match['b']}交叉口" == nearest
            assert metres(junctions[nearest], place) <= 51
        elif form == "number":
            assert match["road"] in nearest.removesuffix("交叉口").split("与"), first.address
            if match["near"]:
                assert metres(others[match["near"]], place) <= 101
        else:
            assert f"{match['a']}与{match['b']}交叉口" == nearest
    assert forms["number"] > 0.6 * sum(forms.values())  # most cases are in town
    assert forms["way"] > 20  # the rest out of town


# -- reproducible ------------------------------------------------------------------------


def digest(settings: CitySettings) -> str:
    found = cases(settings, *WEEK)
    text = repr(sorted((case_id, details(case)) for case_id, case in found.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def test_details_are_the_same_in_another_process() -> None:
    """No salted hash() or global random: another interpreter writes the same details."""
    code = "from tests.unit.test_simulator_details import *; print(digest(SHIPPED))"
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    ).stdout.strip()
    assert cases(SHIPPED, *WEEK) and digest(SHIPPED) == there


def test_details_follow_the_seed_and_leave_the_plan_alone() -> None:
    """Another seed, other details; the places change the addresses and nothing else."""
    other = CitySettings(bounds=BOUNDS, camera_ids=CAMERAS, places=INVENTORY, seed=7)
    assert digest(other) != digest(SHIPPED)
    ours, theirs = cases(SHIPPED, *H1), cases(BUILT_IN, *H1)
    assert ours.keys() == theirs.keys()
    for case_id, case in ours.items():
        without = [event.model_copy(update={"address": None}) for event in case]
        assert without == [event.model_copy(update={"address": None}) for event in theirs[case_id]]
    assert sum(ours[key][0].address != theirs[key][0].address for key in ours) > 0.9 * len(ours)


def test_citywall_simulate_takes_the_places_from_the_camera_inventory() -> None:
    config = load_config(SHIPPED_CONFIG)
    settings = city_settings(config, 3, cameras=False)
    assert settings.camera_ids == () and settings.seed == 3
    assert settings.places == tuple((c.name, c.lat, c.lon) for c in config.cameras.items)
    assert settings.places == INVENTORY
    assert city_settings(config, 3).camera_ids == CAMERAS


# -- the address of a point --------------------------------------------------------------

# 解放路 runs north (two intersections on it); 湘阴大道 east; 文星路 is seen once.
PLACES: tuple[Place, ...] = (
    ("湘阴大道与解放路交叉口", 28.6683, 112.89175),
    ("文星路与解放路交叉口", 28.6729, 112.89175),
    ("湘阴大道与东湖路交叉口", 28.6683, 112.89725),
    ("农贸市场东门", 28.6710, 112.8921),
    ("解放路（凤凰路至太傅路段）", 28.6700, 112.8900),
)
M_LAT = 1 / 111_320  # degrees per metre north
M_LON = 1 / (111_320 * math.cos(math.radians(28.6683)))  # degrees per metre east


def at(north_m: float, east_m: float, seed: int = 0) -> str:
    lat, lon = 28.6683 + north_m * M_LAT, 112.89175 + east_m * M_LON
    return address(streets_from(PLACES, BOUNDS[0]), lat, lon, random.Random(seed))


def test_an_address_from_the_nearest_intersection() -> None:
    assert at(20, 20) == f"{TOWN}湘阴大道与解放路交叉口东北角"
    assert at(-30, -10) == f"{TOWN}湘阴大道与解放路交叉口西南角"
    # along 解放路, north of 湘阴大道: numbers grow northwards, even on the east side
    east_side, west_side = form_of(at(150, 8))[1], form_of(at(155, -8))[1]
    assert east_side["road"] == west_side["road"] == "解放路"
    assert int(east_side["n"]) % 2 == 0 and int(west_side["n"]) % 2 == 1
    assert int(form_of(at(400, 8))[1]["n"]) > int(east_side["n"])
    # 300 m east along 湘阴大道, between its two intersections
    assert form_of(at(5, 300))[1]["road"] == "湘阴大道"
    # the road goes on past its last camera; far off it, the way from the intersection
    south = form_of(at(-1500, 30))[1]
    assert south["road"] == "解放路" and int(south["n"]) < int(east_side["n"])
    west = form_of(at(-15, -700))[1]
    assert west["road"] == "湘阴大道" and int(west["n"]) % 2 == 1
    assert at(-1200, -900) == f"{TOWN}湘阴大道与解放路交叉口往西南约1.5公里"
    # 文星路's direction is unknown (seen once): the way from the intersection
    assert at(520, -200) == f"{TOWN}文星路与解放路交叉口往西约200米"
    # a landmark within 100 m is named; a road section's camera is not a landmark
    assert at(300, 30).endswith("号（农贸市场东门旁）")
    assert "段" not in at(190, -160)


def test_the_seed_picks_only_the_wording() -> None:
    spellings = {at(150, 8, seed) for seed in range(20)}
    assert len(spellings) > 1
    assert len({re.sub(r"号.*$", "号", text) for text in spellings}) == 1


def test_places_without_intersections_and_bad_places() -> None:
    streets = streets_from((("县政府南门", 28.68, 112.88),), BOUNDS[0])
    assert address(streets, 28.683, 112.88, random.Random(0)) == f"{TOWN}县政府南门往北约330米"
    assert address(streets, 28.6802, 112.8801, random.Random(0)) == f"{TOWN}县政府南门附近"
    assert address(streets_from((), BOUNDS[0]), 28.68, 112.88, random.Random(0)) == TOWN
    places = [["县政府南门", "28.68", 112.88]]
    settings = CitySettings(bounds=BOUNDS, camera_ids=(), places=places)  # type: ignore[arg-type]
    assert settings.places == (("县政府南门", 28.68, 112.88),) and hash(settings)
    for bad in [("", 28.68, 112.88), ("县政府", 91.0, 112.88), ("县政府", float("nan"), 112.88)]:
        with pytest.raises(ValueError, match="places"):
            CitySettings(bounds=BOUNDS, camera_ids=(), places=(bad,))
