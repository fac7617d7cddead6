"""An officer's phone with Traccar Client moves the officer's marker on the wall's
e-map: the three request forms of the OsmAnd protocol (GET query, POST form, POST JSON),
each to the terminal's own URL; another device or no token is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from data_feeds.events import OfficerEvent
from testkit.chromium import console_errors
from testkit.citywall import write_config
from testkit.ingest import citywall
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.browser.test_live_tiles import GRID, attribute, now, wait
from tests.live_stack import LiveStack

TILES = "  - {id: emap, type: map, x: 0, y: 0, w: 3, h: 3, cluster: false}\n"
AGENT = '#tile-emap [data-officer-id="ZF009"]'


@pytest.fixture
def wall(tmp_path: Path) -> Iterator[LiveStack]:
    stack = LiveStack(write_config(tmp_path / "wall.yaml", TILES), tmp_path).start()
    yield stack
    stack.stop()


def terminal_url(stack: LiveStack) -> str:
    out = citywall(stack.config, stack.redis.url, "terminal", "add", "--device", "868120301",
                   "--officer", "ZF009", "--name", "李娜", "--grid", GRID,
                   "--base-url", stack.url)  # fmt: skip
    found = re.search(r"^url:\s+(\S+)$", out, re.M)
    assert found, out
    return found.group(1)


def test_traccar_clients_three_forms_move_the_officer_and_strangers_are_refused(
    wall: LiveStack, browser: Browser
) -> None:
    url = terminal_url(wall)
    checkin = OfficerEvent.model_validate(
        {
            "event_id": "ZF009-in",
            "time": now(),
            "officer_id": "ZF009",
            "action": "checkin",
            "grid": GRID,
            "lat": 28.690,
            "lon": 112.880,
            "name": "李娜",
        }
    )
    wall.write([checkin])
    driver = browser(1920, 1080)
    sign_in(driver, wall.url)
    driver.get(f"{wall.url}/wall")
    wait(driver, lambda d: attribute(d, AGENT, "data-lat") == "28.69", "no officer marker")

    stamp = int(datetime.now(UTC).timestamp())
    query = {"id": "868120301", "lat": "28.6911", "lon": "112.8811",
             "timestamp": str(stamp + 1), "speed": "1.2", "bearing": "90", "altitude": "40",
             "accuracy": "5", "batt": "80"}  # fmt: skip
    assert requests.get(url, params=query, timeout=10).status_code == 200
    wait(driver, lambda d: attribute(d, AGENT, "data-lat") == "28.6911", "GET did not move it")

    form = {**query, "lat": "28.6922", "lon": "112.8822", "timestamp": str(stamp + 2)}
    assert requests.post(url, data=form, timeout=10).status_code == 200
    wait(driver, lambda d: attribute(d, AGENT, "data-lat") == "28.6922", "a form did not move it")

    fix_time = datetime.fromtimestamp(stamp + 3, UTC).isoformat().replace("+00:00", ".000Z")
    body = {"location": {"timestamp": fix_time, "coords": {"latitude": 28.6933,
            "longitude": 112.8833, "accuracy": 5, "speed": 1, "heading": 90, "altitude": 40},
            "is_moving": True, "battery": {"level": 0.8, "is_charging": False}},
            "device_id": "868120301"}  # fmt: skip
    assert requests.post(url, json=body, timeout=10).status_code == 200
    wait(driver, lambda d: attribute(d, AGENT, "data-lat") == "28.6933", "JSON did not move it")

    late = {**query, "lat": "28.7", "timestamp": str(stamp)}  # older than the last fix
    assert requests.get(url, params=late, timeout=10).status_code == 200
    stranger = {**query, "id": "999", "timestamp": str(stamp + 4)}
    assert requests.get(url, params=stranger, timeout=10).status_code == 403
    token = url.rsplit("/", 1)[1]
    wrong = url.replace(token, token.partition(".")[0] + ".wrong")
    assert requests.get(wrong, params=query, timeout=10).status_code == 401
    assert requests.get(f"{wall.url}/api/osmand", params=query, timeout=10).status_code == 401
    repeat = {**query, "lat": "28.6944", "timestamp": str(stamp + 5)}
    assert requests.get(url, params=repeat, timeout=10).status_code == 200
    wait(driver, lambda d: attribute(d, AGENT, "data-lat") == "28.6944", "no later fix shown")
    assert attribute(driver, AGENT, "data-lon") == "112.8811"  # the late fix never showed
    assert console_errors(driver) == []
