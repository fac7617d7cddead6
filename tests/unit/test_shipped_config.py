"""The shipped wall_config.yaml describes the Xiangyin hall, and citywall accepts it."""

from __future__ import annotations

import subprocess

from testkit.citywall import ROOT, SHIPPED_CONFIG, citywall_command
from wall.config import load_config
from wall.geometry import tiles_on_screen

CONFIG = load_config(SHIPPED_CONFIG, environ={})


def test_the_hall_has_18_screens_of_full_hd_in_6_columns() -> None:
    wall = CONFIG.wall
    assert (wall.columns, wall.rows, wall.screen.width, wall.screen.height) == (6, 3, 1920, 1080)
    assert wall.locale == "zh-CN"


def test_every_screen_shows_exactly_one_tile() -> None:
    for number in range(1, 19):
        assert len(tiles_on_screen(CONFIG.wall, list(CONFIG.tiles), number)) == 1, number


def test_347_cameras_with_unique_ids_inside_the_county_seat() -> None:
    cameras = CONFIG.cameras.items
    assert len(cameras) == 347
    assert len({c.id for c in cameras}) == 347
    assert all(CONFIG.map.contains(c.lat, c.lon) for c in cameras)
    assert all(abs(c.lat - 28.69) < 0.05 and abs(c.lon - 112.89) < 0.05 for c in cameras)
    assert all(c.main != c.sub for c in cameras)
    assert sum("重点路口" in c.tags for c in cameras) >= 12


def test_the_inventory_is_what_the_generator_writes() -> None:
    generated = subprocess.run(
        ["python3", str(ROOT / "scripts" / "make_camera_inventory.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert generated == (ROOT / "cameras.csv").read_text(encoding="utf-8")


def test_check_config_exits_0_on_the_shipped_file() -> None:
    result = subprocess.run(
        [citywall_command(), "check-config", str(SHIPPED_CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "OK (11 tiles on 18 screens, 347 cameras)" in result.stdout


def test_serve_validate_config_exits_0() -> None:
    result = subprocess.run(
        [citywall_command(), "serve", "--validate-config", "--config", str(SHIPPED_CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
