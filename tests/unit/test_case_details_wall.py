"""Schema v2 details on the wall, without a browser: the case list's row carries the
address (the renderer shows it instead of the grid), and the photos' origins are a
config setting that reaches the Content-Security-Policy's img-src, nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from dash import Dash

from testkit.citywall import ROOT
from tests.unit.config_cases import BASE
from wall.config import ConfigError, WallConfig, parse_config
from wall.tile_views import wall_translator
from wall.tiles.cases import case_row
from wall.ui.labels import street_address
from wall.web.security import content_security_policy

NOW = pd.Timestamp(datetime.fromisoformat("2026-03-02T10:00:00+08:00"))
ORIGIN = "https://szcg.example.gov.cn"


def case(**values: object) -> pd.Series:
    """One case as KpiReader.recent_cases() gives it."""
    row = {"status": "dispatched", "kind": "event", "category": "0503",
           "category_name": "乱挂乱晒", "priority": "normal", "grid": "4306240010203",
           "deadline": NOW + timedelta(hours=1), "reported_at": NOW - timedelta(minutes=5),
           **values}  # fmt: skip
    return pd.Series(row)


def test_a_case_row_carries_the_address_when_the_case_has_one() -> None:
    t = wall_translator("zh-CN")
    row = case_row(case(address="长安路12号"), 0, NOW, t, NOW.tzinfo)  # type: ignore[arg-type]
    assert (row["address"], row["grid"], row["category"]) == ("长安路12号", "02-03", "乱挂乱晒")
    for missing in (None, float("nan")):  # a v1 case: the row shows its grid as before
        row = case_row(case(address=missing), 0, NOW, t, NOW.tzinfo)  # type: ignore[arg-type]
        assert (row["address"], row["grid"]) == ("", "02-03")


def web_config(lines: str) -> WallConfig:
    return parse_config(BASE + "web:\n" + lines, "wall_config.yaml", ROOT, environ={})


def test_photo_origins_are_added_to_img_src_only() -> None:
    app = Dash(__name__)
    default = content_security_policy(app, web_config("  frame_ancestors: []\n"))
    assert default["img-src"] == ["'self'", "data:", "blob:"]  # this origin only
    config = web_config(f"  photo_origins: [{ORIGIN}, 'http://10.20.0.5:8080']\n")
    policy = content_security_policy(app, config)
    assert policy["img-src"] == ["'self'", "data:", "blob:", ORIGIN, "http://10.20.0.5:8080"]
    assert ORIGIN not in str({k: v for k, v in policy.items() if k != "img-src"})


@pytest.mark.parametrize(
    "origin", [f"{ORIGIN}/photos", "ftp://szcg.example.gov.cn", f"{ORIGIN}; script-src *", "*"]
)
def test_a_photo_origin_is_an_http_origin_and_nothing_more(origin: str) -> None:
    with pytest.raises(ConfigError, match="is not an origin"):
        web_config(f"  photo_origins: ['{origin}']\n")


@pytest.mark.parametrize(
    ("address", "listed"),
    [
        ("湘阴县文星镇解放路128号附近", "解放路128号附近"),
        ("湖南省岳阳市湘阴县城西街道建设路5号", "建设路5号"),
        ("湘阴县文星镇湘阴大道与解放路交叉口东北角", "湘阴大道与解放路交叉口东北角"),
        ("解放路12号", "解放路12号"),
        ("湘阴县", "湘阴县"),  # nothing would be left: kept whole
        ("12 Main Street", "12 Main Street"),
    ],
)
def test_the_case_list_shows_the_street_not_the_county_every_case_shares(
    address: str, listed: str
) -> None:
    assert street_address(address) == listed
