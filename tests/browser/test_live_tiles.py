"""Live tiles in a real headless Chromium against a real Redis and the real aggregator:
an event written to Redis changes what the wall shows; Redis going away brings the
stale badges over the last values, and its return clears them by itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from data_feeds.events import Event, OfficerEvent
from testkit.chromium import console_errors
from testkit.citywall import write_config
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.case_story import SHANGHAI, CaseStory
from tests.live_stack import LiveStack

TILES = """\
  - {id: today, type: kpi, x: 0, y: 0, w: 2, kpis: [dispatched, hotline_calls, two_hour_rate]}
  - {id: cases, type: cases, x: 2, y: 0, h: 2}
  - {id: roster, type: officers, x: 3, y: 0}
  - {id: emap, type: map, x: 0, y: 1, w: 2, h: 2, cluster: false}
  - {id: hourly, type: chart, x: 3, y: 1, chart: hourly, kpi: dispatched}
"""
GRID = "4306240010203"


@pytest.fixture
def live_wall(tmp_path: Path) -> Iterator[LiveStack]:
    stack = LiveStack(write_config(tmp_path / "wall.yaml", TILES), tmp_path).start()
    yield stack
    stack.stop()


def now() -> datetime:
    return datetime.now(SHANGHAI).replace(microsecond=0)


def officer(officer_id: str, action: str, lat: float, lon: float, **extra: Any) -> OfficerEvent:
    return OfficerEvent.model_validate(
        {"event_id": f"{officer_id}-{action}-{lat}-{lon}", "time": now(),
         "officer_id": officer_id, "action": action, "grid": GRID, "lat": lat, "lon": lon,
         **extra}
    )  # fmt: skip


def seed(stack: LiveStack) -> None:
    events: list[Event] = [
        *CaseStory("SEED-1", now() - timedelta(minutes=30)).through_dispatch().events
    ]
    events.append(officer("ZF001", "checkin", 28.690, 112.880, name="张伟"))
    events.append(
        OfficerEvent.model_validate(
            {"event_id": "ZF001-status", "time": now(), "officer_id": "ZF001",
             "action": "status", "grid": GRID, "status": "patrolling", "name": "张伟"}
        )
    )  # fmt: skip
    stack.write(events)


def text(driver: WebDriver, selector: str) -> str:
    shown: str = driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", selector
    )
    return shown


def wait(driver: WebDriver, check: Callable[[WebDriver], Any], message: str, timeout: float = 30):
    """Until the page shows it. The push path (aggregator, hub, SSE, redraw) takes well
    under a second when idle; a loaded two-core machine took 21 s to show a fresh page."""
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(check, message)


DISPATCHED = '#tile-today [data-kpi="dispatched"] .cw-kpi__value'


def open_live_wall(stack: LiveStack, browser: Browser) -> WebDriver:
    seed(stack)
    driver = browser(1920, 1080)
    sign_in(driver, stack.url)
    driver.get(f"{stack.url}/wall")
    wait(driver, lambda d: text(d, DISPATCHED) == "1", "today's dispatched count never showed 1")
    wait(driver, lambda d: d.find_element(By.ID, "wall").get_attribute("data-live-state") == "live",
         "the wall never turned live")  # fmt: skip
    return driver


def attribute(driver: WebDriver, selector: str, name: str) -> str | None:
    # Read in one script: markers are redrawn, so an element handle can go stale.
    value: str | None = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e ? e.getAttribute(arguments[1]) : null;",
        selector,
        name,
    )
    return value


def chart_total(driver: WebDriver) -> str | None:
    return attribute(driver, "#tile-hourly", "data-chart-total")


def test_a_new_case_and_an_officers_move_reach_the_wall(
    live_wall: LiveStack, browser: Browser
) -> None:
    driver = open_live_wall(live_wall, browser)
    # Each tile shows its own part of the seed: the KPI's count says nothing of the others
    # (the officer's stream may be applied in a later batch, each tile drawn on its push).
    patrolling = '#tile-roster [data-status="patrolling"] .cw-officers__count'
    wait(driver, lambda d: text(d, patrolling) == "1", "the roster never counted the officer")
    seed_marker = '#tile-emap [data-case-id="SEED-1"]'
    wait(driver, lambda d: attribute(d, seed_marker, "data-status") == "dispatched",
         "no dispatched case marker")  # fmt: skip
    agent = '#tile-emap [data-officer-id="ZF001"]'
    wait(driver, lambda d: attribute(d, agent, "data-lat") == "28.69", "no officer marker")
    wait(driver, lambda d: chart_total(d) == "1", "the hourly chart does not show the case")

    live_wall.write(
        list(CaseStory("NEW-7", now() - timedelta(minutes=12)).through_dispatch().events)
    )
    wait(driver, lambda d: text(d, DISPATCHED) == "2", "the KPI did not count the new case")
    wait(driver, lambda d: "派遣" in text(d, '#tile-cases [data-case-id="NEW-7"]'),
         "the new case is not in the case list, dispatched")  # fmt: skip
    marker = '#tile-emap [data-case-id="NEW-7"]'
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, marker), "no marker for the case")
    wait(driver, lambda d: chart_total(d) == "2", "the hourly chart did not count it")

    live_wall.write([officer("ZF001", "position", 28.6952, 112.8871)])
    wait(driver, lambda d: (attribute(d, agent, "data-lat"), attribute(d, agent, "data-lon"))
         == ("28.6952", "112.8871"), "the officer did not move on the map")  # fmt: skip
    assert console_errors(driver) == []


def test_stopping_redis_marks_tiles_stale_and_restarting_clears_them(
    live_wall: LiveStack, browser: Browser
) -> None:
    driver = open_live_wall(live_wall, browser)
    live_tiles = driver.find_elements(By.CSS_SELECTOR, ".cw-tile[data-live]")
    assert {t.get_attribute("data-tile-id") for t in live_tiles} >= {"today", "cases", "roster"}
    assert not driver.find_elements(By.CSS_SELECTOR, ".cw-tile--stale")

    live_wall.redis.stop()
    stale = ".cw-tile--stale"
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, stale)) == len(live_tiles),
         "not every live tile turned stale")  # fmt: skip
    badge = text(driver, "#tile-today .cw-tile__stale")
    assert re.fullmatch(r"数据中断 · \d+ s", badge), badge
    assert text(driver, DISPATCHED) == "1", "stale must keep the last value, never blank"

    live_wall.redis.start()
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".cw-tile--stale"),
         "the stale badges did not clear after Redis came back")  # fmt: skip
    assert text(driver, "#tile-today .cw-tile__stale") == ""
    assert console_errors(driver) == []
