"""The alarm pop-up on the e-map, in a real headless Chromium against ``citywall serve``
(whose alarm watcher sees the case), a real Redis and the real aggregator: an urgent
case flies the map to it and rings it; acknowledged, the map flies back."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from testkit.chromium import console_errors
from testkit.citywall import write_config
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.case_story import SHANGHAI, CaseStory
from tests.live_stack import LiveStack
from wall.config import load_config
from wall.control import WallControl

TILES = """\
  - {id: alarm, type: camera, x: 0, y: 0, cameras: [XY-010]}
  - {id: emap, type: map, x: 1, y: 0, w: 2, h: 2, cluster: false}
"""
ALARMS = "alarms: {tile: alarm, radius_m: 500, revert_s: 120}\n"
RING = '#tile-emap [data-focus-case-id="URG-1"]'
CAMERA = '#tile-emap [data-camera-id="XY-001"]'


@pytest.fixture
def alarm_wall(tmp_path: Path) -> Iterator[LiveStack]:
    path = write_config(tmp_path / "wall.yaml", TILES)
    path.write_text(path.read_text(encoding="utf-8") + ALARMS, encoding="utf-8")
    stack = LiveStack(path, tmp_path, relay=True).start()  # the alarm tile plays its camera
    yield stack
    stack.stop()


def centre(driver: WebDriver, selector: str) -> tuple[float, float] | None:
    box: dict[str, float] | None = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "if (!e) return null; const r = e.getBoundingClientRect();"
        "return {x: r.left + r.width / 2, y: r.top + r.height / 2};",
        selector,
    )
    return (box["x"], box["y"]) if box else None


def attribute(driver: WebDriver, selector: str, name: str) -> str | None:
    value: str | None = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e ? e.getAttribute(arguments[1]) : null;",
        selector,
        name,
    )
    return value


def near(a: tuple[float, float] | None, b: tuple[float, float] | None, px: float) -> bool:
    return a is not None and b is not None and math.dist(a, b) <= px


def settled(driver: WebDriver, selector: str) -> Any:
    """The element's centre once it stops moving: for the map's first view only, which
    does not fly. Not for the end of a flight: a page starved of CPU does not move for
    a poll or two mid-flight (or before the flight starts), and that looks settled."""
    last: list[tuple[float, float] | None] = [None]

    def still(d: WebDriver) -> tuple[float, float] | None:
        now = centre(d, selector)
        done = now if near(now, last[0], 0.5) else None
        last[0] = now
        return done

    return WebDriverWait(driver, 10, poll_frequency=0.25).until(still, f"{selector} kept moving")


def test_an_urgent_case_centres_the_map_until_acknowledged(
    alarm_wall: LiveStack, browser: Browser
) -> None:
    driver = browser(1920, 1080)
    sign_in(driver, alarm_wall.url)
    driver.get(f"{alarm_wall.url}/wall")
    # The alarm watcher, the push and a 1.5 s flight: seconds idle, more under load.
    wait = WebDriverWait(driver, 30, poll_frequency=0.05)
    wait.until(lambda d: centre(d, CAMERA), "no camera marker on the map")
    home = settled(driver, CAMERA)

    story = CaseStory("URG-1", datetime.now(SHANGHAI).replace(microsecond=0), priority="urgent")
    alarm_wall.write(story.at(0, "reported", lat=28.6683, lon=112.8715).events)
    wait.until(lambda d: attribute(d, "#tile-emap", "data-focus") == "URG-1", "no focus")
    stage = centre(driver, "#tile-emap .cw-map__stage")
    wait.until(lambda d: near(centre(d, RING), stage, 3), "the ring is not at the map's centre")
    assert not near(centre(driver, CAMERA), home, 20)  # the map moved

    config = load_config(alarm_wall.config)
    client = alarm_wall.client()
    try:
        assert WallControl(client, config).acknowledge_alarm("operator") is not None
    finally:
        client.close()
    wait.until(lambda d: attribute(d, "#tile-emap", "data-focus") is None, "focus stayed")
    wait.until(lambda d: centre(d, RING) is None, "the ring stayed")
    wait.until(lambda d: near(centre(d, CAMERA), home, 2), f"the map did not return to {home}")
    assert console_errors(driver) == []
