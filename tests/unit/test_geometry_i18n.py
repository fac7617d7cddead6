"""Screen numbering, tile placement and the two languages."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.unit.config_cases import BASE
from wall.config import parse_config
from wall.geometry import Rect, screen_rect, tiles_on_screen
from wall.i18n import LOCALES
from wall.tile_views import wall_translator
from wall.tiles.clock import format_date


def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    return parse_config(BASE, "w.yaml", tmp_path, environ={})


def test_screens_are_numbered_row_major(tmp_path: Path) -> None:
    wall = config(tmp_path).wall
    assert screen_rect(wall, 1) == Rect(0, 0, 1, 1)
    assert screen_rect(wall, 6) == Rect(5, 0, 1, 1)
    assert screen_rect(wall, 7) == Rect(0, 1, 1, 1)
    assert screen_rect(wall, 18) == Rect(5, 2, 1, 1)
    for bad in (0, 19, -1):
        with pytest.raises(ValueError, match=r"1\.\.18"):
            screen_rect(wall, bad)


def test_a_spanning_tile_is_on_each_of_its_screens(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    tiles = list(cfg.tiles)
    assert [t.id for t in tiles_on_screen(cfg.wall, tiles, 1)] == ["clock"]
    assert [t.id for t in tiles_on_screen(cfg.wall, tiles, 2)] == ["notice"]
    assert [t.id for t in tiles_on_screen(cfg.wall, tiles, 3)] == ["notice"]
    assert tiles_on_screen(cfg.wall, tiles, 4) == []


def test_locales_have_the_same_keys() -> None:
    keys = [set(json.loads(Path(f"wall/locales/{loc}.json").read_text("utf-8"))) for loc in LOCALES]
    assert all(k == keys[0] for k in keys)


def test_dates_read_as_the_browser_writes_them() -> None:
    day = datetime(2026, 11, 25, 9, 5, 7)
    assert format_date(day, "zh-CN", True, wall_translator("zh-CN")) == "2026年11月25日星期三"
    assert format_date(day, "en", True, wall_translator("en")) == "Wednesday, November 25, 2026"
    assert format_date(day, "zh-CN", False, wall_translator("zh-CN")) == "2026年11月25日"
