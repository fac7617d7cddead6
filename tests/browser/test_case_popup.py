"""A case's details (schema v2) on the wall, in a real headless Chromium against
``citywall serve``, a real Redis and the real aggregator: the case list shows a case's
address (and its grid when it has none); a click on the case on the e-map opens a
popup with its category, status, address, description and photos, each photo an
<img> that loads, and nothing of the event's text is ever taken as markup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from testkit.chromium import console_errors
from testkit.citywall import write_config
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.case_story import SHANGHAI, CaseStory
from tests.live_stack import LiveStack

# Two screens: the case list on one, the e-map centred on the cases on the other.
WALL = "  locale: zh-CN\n  columns: 2\n  rows: 1\n"
TILES = """\
  - {id: cases, type: cases, x: 0, y: 0, show: latest}
  - {id: emap, type: map, x: 1, y: 0, cluster: false, center: [28.69, 112.89], zoom: 16}
"""
GRID = "4306240010203"  # shown as 02-03
ADDRESS = "湘阴县文星镇长安路与人民路交叉口东北角"
LISTED = "长安路与人民路交叉口东北角"  # the list leaves out the county and town; the popup not
# Event text that would be markup if it were ever parsed as HTML.
DESCRIPTION = '人行道上堆放建筑垃圾 <img src="/x.png" onerror="window.pwned=1"> <b>约2方</b>'
MARKER = '#tile-emap [data-case-id="POP-1"]'
POPUP = '#tile-emap .cw-map-popup[data-case-id="POP-1"]'

# What the popup shows, read in one script: markers are redrawn, handles go stale.
POPUP_JS = """
const box = document.querySelector(arguments[0]);
if (!box) return null;
const text = (name) => {
  const e = box.querySelector(".cw-map-popup__" + name + " .cw-map-popup__text");
  return e ? e.textContent : null;
};
return {
  title: box.querySelector(".cw-map-popup__title").textContent,
  status: box.querySelector(".cw-map-popup__status").textContent,
  address: text("address"),
  description: text("description"),
  channel: text("channel"),
  images: Array.from(box.querySelectorAll("img")).map((img) => ({
    src: img.getAttribute("src"),
    row: img.parentElement.classList.contains("cw-map-popup__before") ? "before" : "after",
    loaded: img.complete && img.naturalWidth > 0,
  })),
  bold: box.querySelectorAll("b").length,
  pwned: window.pwned === 1,
};
"""


@pytest.fixture
def popup_wall(tmp_path: Path) -> Iterator[LiveStack]:
    path = write_config(tmp_path / "wall.yaml", TILES)
    path.write_text(path.read_text(encoding="utf-8").replace("  locale: zh-CN\n", WALL, 1))
    stack = LiveStack(path, tmp_path).start()
    yield stack
    stack.stop()


def text(driver: WebDriver, selector: str) -> str | None:
    shown: str | None = driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
        selector,
    )
    return shown


def click_marker(driver: WebDriver) -> bool:
    """Click the case's marker as a user does; False while it is not there to click (not
    drawn yet, or redrawn between finding and clicking it)."""
    try:
        driver.find_element(By.CSS_SELECTOR, MARKER).click()
    except WebDriverException:
        return False
    return True


def test_a_cases_address_is_listed_and_its_popup_shows_its_details(
    popup_wall: LiveStack, browser: Browser
) -> None:
    # A same-origin image for the photos: the default policy (web.photo_origins [])
    # lets the wall load images from its own origin only.
    photo = f"{popup_wall.url}/_favicon.ico"
    assert requests.get(photo, timeout=10).headers["Content-Type"].startswith("image/")
    start = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=20)
    detailed = CaseStory("POP-1", start, grid=GRID, category="0101")
    detailed.at(0, "reported", address=ADDRESS, description=DESCRIPTION, channel="12319",
                photos_before=[photo + "?before"])  # fmt: skip
    detailed.at(5, "filed").dispatch(10, 130).at(15, "handled", photos_after=[photo + "?after"])
    plain = CaseStory("POP-2", start + timedelta(minutes=1), grid=GRID)  # no details
    plain.at(0, "reported", lat=28.695, lon=112.895)
    popup_wall.write([*detailed.events, *plain.events])

    driver = browser(1920, 540)
    sign_in(driver, popup_wall.url)
    driver.get(f"{popup_wall.url}/wall")
    wait = WebDriverWait(driver, 30, poll_frequency=0.05)
    row = '#tile-cases [data-case-id="POP-1"]'
    wait.until(lambda d: text(d, row + " .cw-case__address") == LISTED, "no address in the list")
    assert text(driver, row + " .cw-case__grid") is None  # the address takes the grid's place
    plain_row = '#tile-cases [data-case-id="POP-2"]'
    wait.until(lambda d: text(d, plain_row + " .cw-case__grid") == "02-03", "no grid for POP-2")
    assert text(driver, plain_row + " .cw-case__address") is None

    wait.until(click_marker, "the case's marker could not be clicked")
    shown: dict[str, Any] = wait.until(
        lambda d: d.execute_script(POPUP_JS, POPUP), "no popup for the case"
    )
    assert (shown["title"], shown["status"]) == ("暴露垃圾", "处置")
    assert (shown["address"], shown["description"]) == (ADDRESS, DESCRIPTION)
    assert shown["channel"] == "12319热线电话"
    assert (shown["bold"], shown["pwned"]) == (0, False)  # the description stayed text
    photos = [
        {"src": photo + "?before", "row": "before"},
        {"src": photo + "?after", "row": "after"},
    ]
    assert [{"src": i["src"], "row": i["row"]} for i in shown["images"]] == photos
    wait.until(
        lambda d: all(i["loaded"] for i in d.execute_script(POPUP_JS, POPUP)["images"]),
        "the photos did not load",
    )
    assert console_errors(driver) == []
