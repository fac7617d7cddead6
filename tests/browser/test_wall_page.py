"""What the hall sees on /wall and /wall/screen/<n>, in a real headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from testkit.chromium import console_errors
from testkit.citywall import SHIPPED_CONFIG, RunningWall, shipped_config_copy
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from wall.config import load_config
from wall.geometry import tiles_on_screen

CONFIG = load_config(SHIPPED_CONFIG)
WALL = CONFIG.wall


def open_page(driver: WebDriver, url: str) -> None:
    """Sign in as a viewer (once per browser), then open ``url``."""
    base, _, path = url.partition("/wall")
    if not getattr(driver, "_signed_in", False):
        sign_in(driver, base, then="/wall" + path)
        driver._signed_in = True  # type: ignore[attr-defined]
    driver.get(url)
    # The Dash renderer draws the tiles: 12 s of 20 on a loaded two-core machine.
    WebDriverWait(driver, 40).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-tile-id]"), "no tile rendered"
    )


def rect(driver: WebDriver, selector: str) -> dict[str, float]:
    box: dict[str, float] = driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {x: r.x, y: r.y, w: r.width, h: r.height};",
        selector,
    )
    return box


def assert_box(actual: dict[str, float], x: float, y: float, w: float, h: float) -> None:
    expected = {"x": x, "y": y, "w": w, "h": h}
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=1.5), f"{key}: {actual} != {expected}"


@pytest.mark.parametrize("viewport", [(1600, 900), (1000, 1000), (2400, 400)])
def test_wall_shows_every_screen_and_tile_where_the_config_puts_them(
    shipped_wall: RunningWall, browser: Browser, viewport: tuple[int, int]
) -> None:
    driver = browser(*viewport)
    open_page(driver, f"{shipped_wall.url}/wall")
    width, height = driver.execute_script("return [innerWidth, innerHeight]")
    aspect = (WALL.columns * WALL.screen.width) / (WALL.rows * WALL.screen.height)
    wall_w = min(width, height * aspect)
    wall_h = wall_w / aspect
    wall = rect(driver, "#wall")
    # scaled to the window, aspect kept, centred
    assert_box(wall, (width - wall_w) / 2, (height - wall_h) / 2, wall_w, wall_h)
    cell_w, cell_h = wall_w / WALL.columns, wall_h / WALL.rows

    screens = driver.find_elements(By.CSS_SELECTOR, "#wall > [data-screen]")
    assert len(screens) == WALL.columns * WALL.rows == 18
    for n in range(1, 19):
        col, row = (n - 1) % WALL.columns, (n - 1) // WALL.columns
        box = rect(driver, f'#wall > [data-screen="{n}"]')
        assert_box(box, wall["x"] + col * cell_w, wall["y"] + row * cell_h, cell_w, cell_h)

    shown = {
        e.get_attribute("data-tile-id")
        for e in driver.find_elements(By.CSS_SELECTOR, "[data-tile-id]")
    }
    assert shown == {tile.id for tile in CONFIG.tiles}
    for tile in CONFIG.tiles:
        box = rect(driver, f'[data-tile-id="{tile.id}"]')
        assert_box(
            box,
            wall["x"] + tile.x * cell_w,
            wall["y"] + tile.y * cell_h,
            tile.w * cell_w,
            tile.h * cell_h,
        )
    assert console_errors(driver) == []


@pytest.mark.parametrize("number", [7, 3, 8, 18])
def test_one_screen_shows_only_its_tiles_at_native_size(
    shipped_wall: RunningWall, browser: Browser, number: int
) -> None:
    driver = browser(1920, 1080)
    open_page(driver, f"{shipped_wall.url}/wall/screen/{number}")
    width, height = driver.execute_script("return [innerWidth, innerHeight]")
    assert (width, height) == (1920, 1080)
    col, row = (number - 1) % WALL.columns, (number - 1) // WALL.columns

    expected = tiles_on_screen(WALL, list(CONFIG.tiles), number)
    shown = [
        e.get_attribute("data-tile-id")
        for e in driver.find_elements(By.CSS_SELECTOR, "[data-tile-id]")
    ]
    assert shown == [tile.id for tile in expected]
    for tile in expected:
        # a tile spanning several screens sits where the wall puts it: this screen shows its part
        box = rect(driver, f'[data-tile-id="{tile.id}"]')
        assert_box(box, (tile.x - col) * 1920, (tile.y - row) * 1080, tile.w * 1920, tile.h * 1080)
    # the screen is covered: the element at each corner belongs to one of its tiles
    for x, y in [(5, 5), (1914, 5), (5, 1074), (1914, 1074), (960, 540)]:
        owner = driver.execute_script(
            "const e = document.elementFromPoint(arguments[0], arguments[1]);"
            "const t = e && e.closest('[data-tile-id]'); return t && t.dataset.tileId;",
            x,
            y,
        )
        assert owner in {tile.id for tile in expected}
    assert console_errors(driver) == []


def test_screen_7_is_the_case_list(shipped_wall: RunningWall, browser: Browser) -> None:
    driver = browser(1920, 1080)
    open_page(driver, f"{shipped_wall.url}/wall/screen/7")
    tiles = driver.find_elements(By.CSS_SELECTOR, "[data-tile-id]")
    assert [t.get_attribute("data-tile-id") for t in tiles] == ["cases"]
    assert "案件动态" in tiles[0].text
    # the session's seeded case, dispatched 10 minutes after it was reported
    row = '[data-list="latest"] [data-case-id="SHIPPED-1"]'
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, row), "no case")
    assert "派遣" in driver.find_element(By.CSS_SELECTOR, row).text
    assert console_errors(driver) == []


def shown_time(driver: WebDriver) -> str:
    text: str = driver.find_element(By.CSS_SELECTOR, ".cw-clock__time").text
    return text


def ticked(driver: WebDriver, first: str) -> None:
    """Until the time shown changes: the browser's clock has drawn (every 0.5 s when
    idle; a loaded machine runs the page's timers late)."""
    WebDriverWait(driver, 15).until(lambda d: shown_time(d) != first, "the seconds did not tick")


def test_clock_ticks_in_beijing_time_with_a_chinese_date(
    shipped_wall: RunningWall, browser: Browser
) -> None:
    driver = browser(1920, 1080)
    open_page(driver, f"{shipped_wall.url}/wall/screen/1")
    first = shown_time(driver)
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", first)
    ticked(driver, first)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    shown = datetime.strptime(shown_time(driver), "%H:%M:%S").replace(
        year=now.year, month=now.month, day=now.day, tzinfo=now.tzinfo
    )
    assert abs(shown - now) < timedelta(seconds=3) or abs(shown - now) > timedelta(
        hours=23, minutes=59
    )
    date = driver.find_element(By.CSS_SELECTOR, ".cw-clock__date").text
    assert date.startswith(f"{now.year}年") and "星期" in date
    assert driver.find_element(By.CSS_SELECTOR, ".cw-clock__label").text == "北京时间"
    assert console_errors(driver) == []


def test_english_wall(
    wall_server: Callable[..., RunningWall], browser: Browser, tmp_path: Path
) -> None:
    wall = wall_server(shipped_config_copy(tmp_path / "wall_config.yaml", locale="en"))
    driver = browser(1920, 1080)
    open_page(driver, f"{wall.url}/wall/screen/1")
    ticked(driver, shown_time(driver))  # the browser's own clock replaced the server's value
    assert driver.find_element(By.CSS_SELECTOR, ".cw-clock__label").text == "Beijing time"
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    # around midnight the page may still show the day before
    weekdays = {now.strftime("%A"), (now - timedelta(seconds=5)).strftime("%A")}
    date = driver.find_element(By.CSS_SELECTOR, ".cw-clock__date").text
    assert date.split(",")[0] in weekdays
    assert date.endswith(str(now.year))
    # screen 2: today's KPIs, labelled in English; no Redis configured, and it says so
    open_page(driver, f"{wall.url}/wall/screen/2")
    labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".cw-kpi__label")]
    assert labels[:2] == ["Cases dispatched", "Video auto-captures"]
    badge = "return document.querySelector('#tile-today .cw-tile__stale').textContent"
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script(badge) == "No data source",
        "the KPI tile does not say that it has no data source",
    )
    assert console_errors(driver) == []


def test_unknown_screen_is_a_clear_404(shipped_wall: RunningWall, browser: Browser) -> None:
    driver = browser(1280, 720)
    sign_in(driver, shipped_wall.url)
    driver.get(f"{shipped_wall.url}/wall/screen/19")
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "404" in body and "页面不存在" in body
    assert "本墙共 18 块屏幕，编号 1–18" in body
    # the way back works
    driver.find_element(By.LINK_TEXT, "返回大屏").click()
    WebDriverWait(driver, 40).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-tile-id]"))
    assert driver.current_url.endswith("/wall")
