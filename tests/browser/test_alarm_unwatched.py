"""The alarm pop-up picks from every camera, not only the watched ones (issue 17): with
the shipped wall (its 347 cameras, its alarm tile) and the relay probing the cameras
nobody watches, an urgent case next to an unwatched camera puts that camera on the
alarm tile, playing; one next to an offline camera (here XY-006, whose address answers
nothing) puts the nearest online one there instead, never the offline one. Real
Chromium, relay, Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
import redis
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.keys import Keys
from core.localhost import free_port
from testkit.chromium import console_errors
from testkit.citywall import ROOT, shipped_config_copy
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.browser.test_console import wait_playing
from tests.case_story import SHANGHAI, CaseStory
from tests.live_stack import LiveStack
from wall.control.alarms import distance_m

ROW = '#console-results [data-camera="XY-006"]'
EMAP_SCREEN = 8  # the shipped e-map's top-left screen (x 1, y 1)
ALARM_SCREEN = 11  # the shipped alarm tile main-junction stands at x 4, y 1 of 6 × 3
XY_006 = (28.668300, 112.891750)  # 湘阴大道与解放路交叉口 (cameras.csv)


@pytest.fixture(scope="module")
def shipped_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    logs = tmp_path_factory.mktemp("unwatched")
    inventory = (ROOT / "cameras.csv").read_text(encoding="utf-8").splitlines()
    dead = f"rtsp://127.0.0.1:{free_port()}/gone"
    inventory = [
        ",".join([*row.split(",")[:5], dead, dead, row.split(",")[7]])
        if row.startswith("XY-006,") else row
        for row in inventory
    ]  # fmt: skip
    (logs / "cameras.csv").write_text("\n".join(inventory) + "\n", encoding="utf-8")
    config = shipped_config_copy(logs / "wall_config.yaml")
    text = config.read_text(encoding="utf-8")
    text = text.replace(f"inventory: {ROOT / 'cameras.csv'}", f"inventory: {logs / 'cameras.csv'}")
    text = text.replace(
        "  port: ${RELAY_PORT:-8889}", "  port: ${RELAY_PORT:-8889}\n  probe_interval_s: 3"
    )
    config.write_text(text, encoding="utf-8")
    stack = LiveStack(config, logs, relay=True).start()
    yield stack
    stack.stop()


def rows() -> list[list[str]]:
    """The shipped inventory's rows: id, name, lat, lon, ..."""
    lines = (ROOT / "cameras.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",") for line in lines if line]


def status(client: redis.Redis, camera_id: str) -> str | None:
    raw = client.hget(Keys().cameras, camera_id)
    return None if raw is None else str(json.loads(raw)["status"])


def urgent_case(case_id: str, lat: float, lon: float) -> CaseStory:
    story = CaseStory(case_id, datetime.now(SHANGHAI), priority="urgent", lat=lat, lon=lon)
    return story.at(0, "reported")


def test_an_urgent_case_by_an_unwatched_camera_and_by_an_offline_one(
    shipped_stack: LiveStack, browser: Browser
) -> None:
    client = shipped_stack.client()
    # The prober knows every camera, watched or not.
    WebDriverWait(client, 60, poll_frequency=0.5).until(
        lambda c: status(c, "XY-007") == "online" and status(c, "XY-006") == "offline",
        "the prober never reported the unwatched cameras",
    )
    statuses = client.hgetall(Keys().cameras)
    assert len(statuses) == 347  # every camera has a state: none is 未知
    wall = browser(1920, 1080)
    sign_in(wall, shipped_stack.url, role="viewer", then=f"/wall/screen/{ALARM_SCREEN}")
    wait_playing(wall, "main-junction", "XY-001")
    # Next to XY-020, which nobody watches: it takes the alarm tile and plays.
    xy_020 = next(r for r in rows() if r[0] == "XY-020")
    shipped_stack.write(urgent_case("URG-UNWATCHED", float(xy_020[2]), float(xy_020[3])).events)
    wait_playing(wall, "main-junction", "XY-020", timeout=30)
    # Next to XY-006, offline: the nearest online camera instead.
    case_at = (XY_006[0], XY_006[1] + 0.00025)
    shipped_stack.write(urgent_case("URG-OFFLINE", *case_at).events)
    nearest = min((distance_m(*case_at, float(r[2]), float(r[3])), r[0]) for r in rows()
                  if r[0] != "XY-006")  # fmt: skip
    assert nearest[0] < 600  # within the shipped alarm radius
    wait_playing(wall, "main-junction", nearest[1], timeout=30)
    assert not wall.find_elements(By.CSS_SELECTOR, '#tile-main-junction [data-camera-id="XY-006"]')
    assert console_errors(wall) == []


def test_the_console_and_the_e_map_show_an_offline_camera_and_why(
    shipped_stack: LiveStack, browser: Browser
) -> None:
    client = shipped_stack.client()
    WebDriverWait(client, 60, poll_frequency=0.5).until(
        lambda c: status(c, "XY-006") == "offline", "XY-006 never reported offline"
    )
    console = browser(1600, 1000)
    sign_in(console, shipped_stack.url, role="operator", then="/console")
    WebDriverWait(console, 30).until(lambda d: d.find_elements(By.ID, "console-search"))
    console.find_element(By.ID, "console-search").send_keys("XY-006")
    WebDriverWait(console, 30).until(
        lambda d: "refused" in " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, ROW)),
        "the console's list never said why XY-006 is offline",
    )  # fmt: skip
    found = console.find_element(By.CSS_SELECTOR, ROW)
    assert found.get_attribute("data-status") == "offline"
    wall = browser(1920, 1080)
    sign_in(wall, shipped_stack.url, role="viewer", then=f"/wall/screen/{EMAP_SCREEN}")
    WebDriverWait(wall, 30).until(
        lambda d: d.execute_script(
            "const m = document.querySelector('#tile-emap'); return m && m.dataset.camerasOffline"
        ) == "1",
        "the e-map does not show the one offline camera",
    )  # fmt: skip
    cameras = int(
        wall.execute_script("return document.querySelector('#tile-emap').dataset.cameras")
    )
    assert cameras == 347
    assert console_errors(console) == []
    assert console_errors(wall) == []
