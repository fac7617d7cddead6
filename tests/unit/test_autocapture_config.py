"""The ``autocapture`` section: a mistake is named by file, line and key (as every config
error is), the docs' example is valid, and ``citywall autocapture`` turns the section
into the bridge's plain settings."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from data_feeds.autocapture import CameraPlace
from testkit.citywall import ROOT, citywall_command, shipped_config_copy
from tests.unit.config_cases import BASE
from wall.cli_autocapture import autocapture_settings
from wall.config import ConfigError, load_config, parse_config

SECTION = """\
autocapture:
  frigate_url: http://10.20.0.30:5000/
  rules:
    - camera: wenxing
      citywall_camera: XY-001
      zone: no_parking
      category: "event:0504"
      labels: [car, truck]
      min_dwell_s: 300
      hours: "07:00-22:00"
    - camera: wenxing_east
      citywall_camera: XY-001
      zone: storefront
      category: "event:0501"
      labels: [person]
      window_s: 60
"""


def broken(*changes: tuple[str, str]) -> str:
    text = SECTION
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    return BASE + text


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return found[occurrence - 1]


CASES = {
    "unknown citywall camera": (
        broken(("citywall_camera: XY-001", "citywall_camera: XY-999")),
        ("citywall_camera: XY-999", 1),
        "autocapture -> rules -> 0 -> citywall_camera: unknown camera 'XY-999'",
    ),
    "unknown category": (
        broken(('category: "event:0504"', 'category: "event:0599"')),
        ('category: "event:0599"', 1),
        "autocapture -> rules -> 0 -> category: unknown category 'event:0599' (kind:code as "
        "in data_feeds/catalog.py, e.g. event:0504 违章停车)",
    ),
    "hours not HH:MM-HH:MM": (
        broken(('hours: "07:00-22:00"', 'hours: "7-22"')),
        ('hours: "7-22"', 1),
        "autocapture -> rules -> 0 -> hours: '7-22' is not HH:MM-HH:MM (e.g. 07:00-22:00, "
        "00:00-24:00)",
    ),
    "a key misspelt": (
        broken(("min_dwell_s: 300", "min_dwell: 300")),
        ("min_dwell: 300", 1),
        "autocapture -> rules -> 0 -> min_dwell: unknown key (valid keys: camera, category, "
        "citywall_camera, hours, labels, min_dwell_s, min_score, stationary_counts, window_s, "
        "zone)",
    ),
    "two rules for one camera and zone": (
        broken(("wenxing_east", "wenxing"), ("zone: storefront", "zone: no_parking")),
        ("zone: no_parking", 2),
        "autocapture -> rules -> 1 -> zone: a second rule for camera 'wenxing' zone "
        "'no_parking' (first at autocapture -> rules -> 0)",
    ),
    "Frigate's URL not http": (
        broken(("frigate_url: http://10.20.0.30:5000/", "frigate_url: 10.20.0.30:5000")),
        ("frigate_url:", 1),
        "autocapture -> frigate_url: '10.20.0.30:5000' is not an http(s) URL (e.g. "
        "http://10.20.0.30:5000)",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_mistake_is_named_by_file_line_and_key(name: str, tmp_path: Path) -> None:
    text, (needle, occurrence), message = CASES[name]
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "wall_config.yaml", tmp_path, environ={})
    line = line_of(text, needle, occurrence)
    assert [str(issue) for issue in raised.value.issues] == [f"wall_config.yaml:{line}: {message}"]


def test_check_config_exits_1_naming_the_unknown_camera(tmp_path: Path) -> None:
    text, (needle, _), message = CASES["unknown citywall camera"]
    (tmp_path / "wall_config.yaml").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYWALL_TEST_")}
    done = subprocess.run([citywall_command(), "check-config", "wall_config.yaml"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"wall_config.yaml:{line_of(text, needle)}: {message}",
        "wall_config.yaml: 1 problem(s); the wall was not started",
    ]


def test_the_section_is_absent_by_default_and_makes_no_settings(tmp_path: Path) -> None:
    config = parse_config(BASE, "wall_config.yaml", tmp_path, environ={})
    assert config.autocapture is None
    assert autocapture_settings(config) is None


def test_the_command_without_the_section_says_there_is_nothing_to_do(tmp_path: Path) -> None:
    (tmp_path / "wall_config.yaml").write_text(BASE, encoding="utf-8")
    done = subprocess.run([citywall_command(), "autocapture", "--config", "wall_config.yaml"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert "the config has no autocapture section: nothing to do" in done.stderr


def test_the_section_becomes_the_bridges_plain_settings(tmp_path: Path) -> None:
    config = parse_config(BASE + SECTION, "wall_config.yaml", tmp_path, environ={})
    settings = autocapture_settings(config)
    assert settings is not None
    assert settings.frigate_url == "http://10.20.0.30:5000"  # no trailing slash
    assert settings.timezone == "Asia/Shanghai"
    assert (settings.mqtt.host, settings.mqtt.port, settings.mqtt.topic) == (
        "127.0.0.1", 1883, "frigate/events",
    )  # fmt: skip
    parking, storefront = settings.rules
    place = CameraPlace("XY-001", "文星路口", 28.69, 112.89, "4306240010101")
    assert (parking.frigate_camera, parking.zone, parking.camera) == (
        "wenxing",
        "no_parking",
        place,
    )
    assert (parking.kind, parking.category, parking.labels) == (
        "event", "0504", frozenset({"car", "truck"}),
    )  # fmt: skip
    assert (parking.hours, parking.min_dwell_s, parking.window_s) == ((420, 1320), 300, 600)
    assert (storefront.hours, storefront.min_dwell_s, storefront.window_s) == ((0, 1440), 60, 60)


def test_the_docs_example_is_valid_against_the_shipped_inventory(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
    section = doc.split("## Smart auto-capture from Frigate", 1)[1]
    (example,) = re.findall(r"```yaml\n(autocapture:\n.*?)```", section, re.S)
    path = shipped_config_copy(tmp_path / "wall_config.yaml")
    text = path.read_text(encoding="utf-8")
    # the example's web.photo_origins joins the shipped web section
    example, photo_origins = example.split("web:\n")
    text = (
        text.replace("\nweb:\n", "\nweb:\n" + photo_origins, 1)
        if "\nweb:\n" in text
        else (text + "web:\n" + photo_origins)
    )
    path.write_text(text + example, encoding="utf-8")
    config = load_config(path, environ={**os.environ, "FRIGATE_MQTT_PASSWORD": "s3cret"})
    settings = autocapture_settings(config)
    assert settings is not None and len(settings.rules) == 3
    assert settings.mqtt.password == "s3cret"
    assert "http://10.20.0.30:5000" in config.web.photo_origins
    assert [rule.camera.id for rule in settings.rules] == ["XY-001", "XY-001", "XY-002"]
    assert settings.rules[2].window_s == 3600
