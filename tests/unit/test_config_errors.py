"""Each broken config gives exactly the lines an operator needs, and check-config exits 1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from testkit.citywall import citywall_command
from tests.unit.config_cases import BASE, CASES, Case
from wall.config import ConfigError, parse_config


def write_case(case: Case, directory: Path) -> Path:
    config = directory / "wall_config.yaml"
    config.write_text(case.text(), encoding="utf-8")
    if case.inventory is not None:
        (directory / "cameras.csv").write_text(case.inventory, encoding="utf-8")
    return config


def test_the_base_config_is_valid(tmp_path: Path) -> None:
    config = parse_config(BASE, "wall_config.yaml", tmp_path, environ={})
    assert [tile.id for tile in config.tiles] == ["clock", "notice"]


def test_there_are_many_distinct_broken_configs() -> None:
    assert len({(case.text(), case.inventory) for case in CASES}) == len(CASES) >= 12


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_error_lines(case: Case, tmp_path: Path) -> None:
    path = write_case(case, tmp_path)
    with pytest.raises(ConfigError) as raised:
        parse_config(path.read_text("utf-8"), "wall_config.yaml", tmp_path, environ=case.env)
    assert [str(issue) for issue in raised.value.issues] == list(case.expected)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_check_config_exits_1_and_prints_the_lines(case: Case, tmp_path: Path) -> None:
    write_case(case, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYWALL_TEST_")}
    result = subprocess.run(
        [citywall_command(), "check-config", "wall_config.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == list(case.expected)
    assert (
        lines[-1] == f"wall_config.yaml: {len(case.expected)} problem(s); the wall was not started"
    )


def test_placeholders_take_the_environment_and_defaults(tmp_path: Path) -> None:
    text = BASE.replace(
        "map:\n", "redis:\n  url: ${CITYWALL_REDIS:-redis://127.0.0.1:6390/0}\nmap:\n"
    )
    assert (
        parse_config(text, "c.yaml", tmp_path, environ={}).redis.url == "redis://127.0.0.1:6390/0"
    )
    set_env = {"CITYWALL_REDIS": "redis://10.1.1.1:6379/2"}
    assert (
        parse_config(text, "c.yaml", tmp_path, environ=set_env).redis.url
        == "redis://10.1.1.1:6379/2"
    )


def test_empty_placeholder_means_the_embedded_redis(tmp_path: Path) -> None:
    text = BASE.replace("map:\n", "redis:\n  url: ${REDIS_URL:-}\nmap:\n")
    assert parse_config(text, "c.yaml", tmp_path, environ={}).redis.url is None


def test_inventory_rows_come_first_and_keep_their_tags(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "inventory file missing")
    (tmp_path / "cameras.csv").write_text(
        "id,name,lat,lon,grid,main,sub,tags\n"
        "XY-101,湘阴大道与左公路交叉口,28.6683,112.8642,4306240010202,"
        "rtsp://10.0.0.1/main,rtsp://10.0.0.1/sub,重点路口|主干道\n",
        encoding="utf-8",
    )
    config = parse_config(case.text(), "wall_config.yaml", tmp_path, environ={})
    assert [c.id for c in config.cameras.items] == ["XY-101", "XY-001"]
    assert config.cameras.items[0].tags == ["重点路口", "主干道"]
    assert config.cameras.items[0].lat == pytest.approx(28.6683)
