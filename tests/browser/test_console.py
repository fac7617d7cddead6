"""The operators' console against a real stack (Redis, aggregator, video relay, web
server), with two browsers: an operator at /console and a wall screen signed in as a
viewer. What the operator does must show on the wall: the new camera *playing*."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from data_feeds.events import CameraEvent
from testkit.chromium import console_errors
from testkit.citywall import write_config
from testkit.signin import http_session, sign_in
from tests.browser.conftest import Browser
from tests.case_story import SHANGHAI, CaseStory
from tests.live_stack import LiveStack

TILES = """\
  - {id: main, type: camera, title: 主画面, x: 0, y: 0, cameras: [XY-001]}
  - {id: quad, type: camera, title: 四分屏, x: 1, y: 0, cameras: [XY-001, XY-002, XY-003, XY-004]}
  - {id: alarm, type: camera, title: 警情画面, x: 2, y: 0, cameras: [XY-010]}
  - {id: emap, type: map, title: 电子地图, x: 3, y: 0, w: 2, h: 2}
"""
CONTROL_YAML = """\
tours:
  - {name: 测试巡逻, cameras: [XY-005, XY-006], dwell_s: 3}
presets:
  - name: 防汛
    tiles:
      main: {cameras: [XY-007]}
      quad: {cameras: [XY-008, XY-009, XY-011, XY-012]}
alarms: {tile: alarm, radius_m: 800, revert_s: 600}
"""
ALARM_CAMERA = ("XY-030", 28.6775, 112.91375)  # as in cameras.csv


@pytest.fixture(scope="module")
def console_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    logs = tmp_path_factory.mktemp("console")
    config = write_config(logs / "wall_config.yaml", TILES)
    config.write_text(config.read_text("utf-8") + CONTROL_YAML, encoding="utf-8")
    stack = LiveStack(config, logs, relay=True).start()
    yield stack
    stack.stop()


@pytest.fixture
def stack(console_stack: LiveStack) -> LiveStack:
    """The module's stack with the wall back at its config (a test's changes undone)."""
    return console_stack.reset_wall()


def read(driver: WebDriver, script: str) -> object:
    return driver.execute_script(script)


def frames(driver: WebDriver, tile: str, camera: str) -> int:
    value = read(
        driver,
        f"return document.querySelector('#tile-{tile} [data-camera-id=\"{camera}\"]')"
        "?.dataset.frames",
    )
    return int(str(value)) if value else 0


def wait_playing(driver: WebDriver, tile: str, camera: str, timeout: float = 20) -> None:
    WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: frames(d, tile, camera) > 0, f"{camera} never played on tile {tile}"
    )
    first = frames(driver, tile, camera)
    WebDriverWait(driver, 5).until(
        lambda d: frames(d, tile, camera) > first + 5, f"{camera} stopped on tile {tile}"
    )


def shown_text(driver: WebDriver, element_id: str) -> str:
    """The text of a part of the page once the operator scrolled to it (below the fold,
    the console's audit log is not on screen, and Selenium reads only what is)."""
    element = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return str(element.text)


def open_console(driver: WebDriver, base: str) -> None:
    sign_in(driver, base, role="operator", then="/console")
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#console-mini [data-tile="main"]'),
        "the console's miniature never showed",
    )


def open_screen(driver: WebDriver, base: str, number: int) -> None:
    sign_in(driver, base, role="viewer", then=f"/wall/screen/{number}")


def click(driver: WebDriver, css: str, text: str = "") -> None:
    """Click the first element matching ``css`` (and starting with ``text``), again if
    the console redrew it between finding and clicking (it refreshes every second)."""

    def clicked(d: WebDriver) -> bool:
        try:
            for element in d.find_elements(By.CSS_SELECTOR, css):
                if element.text.startswith(text):
                    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
                    element.click()
                    return True
        except StaleElementReferenceException:
            pass
        return False

    WebDriverWait(driver, 10).until(clicked, f"nothing to click at {css} {text}")


def results(console: WebDriver) -> list[str]:
    """The cameras the console's list shows (what the operator can pick from)."""
    found = read(
        console,
        "return Array.from(document.querySelectorAll('#console-results [data-camera]'))"
        ".map(e => e.dataset.camera)",
    )
    return list(found) if isinstance(found, list) else []


def select_cell(console: WebDriver, tile: str, cell: int = 0) -> None:
    click(console, f'#console-mini [data-tile="{tile}"] .cw-mini__cell:nth-child({cell + 1})')
    WebDriverWait(console, 5).until(
        lambda d: tile in d.find_element(By.ID, "console-selection").text,
        f"tile {tile} was not selected",
    )


def choose(console: WebDriver, group: str, label: str) -> None:
    """Click the radio item ``label`` of the console's list ``group`` (tours, presets)."""
    click(console, f"#{group} label", label)


def test_operator_switches_a_tile_and_the_wall_plays_the_new_camera(
    stack: LiveStack, browser: Browser
) -> None:
    wall, console = browser(1280, 720), browser(1600, 1000)
    open_screen(wall, stack.url, 1)
    wait_playing(wall, "main", "XY-001")
    open_console(console, stack.url)
    select_cell(console, "main")
    console.find_element(By.ID, "console-search").send_keys("XY-020")
    WebDriverWait(console, 30).until(
        lambda d: results(d) == ["XY-020"], "the list never showed the search's result"
    )
    click(console, '#console-results [data-camera="XY-020"]')
    wait_playing(wall, "main", "XY-020")
    assert not wall.find_elements(By.CSS_SELECTOR, '#tile-main [data-camera-id="XY-001"]')
    # the console's miniature and its audit log say so too
    WebDriverWait(console, 10).until(
        lambda d: (
            "XY-020"
            in str(
                read(
                    d,
                    "return document.querySelector("
                    "'#console-mini [data-tile=\"main\"]').dataset.showing",
                )
            )
        ),
    )
    WebDriverWait(console, 10).until(lambda d: "切换画面" in shown_text(d, "console-audit"))
    assert console_errors(wall) == []
    assert console_errors(console) == []


def test_a_tour_advances_on_the_wall(stack: LiveStack, browser: Browser) -> None:
    wall, console = browser(1280, 720), browser(1600, 1000)
    open_screen(wall, stack.url, 1)
    wait_playing(wall, "main", "XY-001")  # a wall that was playing when the tour starts
    open_console(console, stack.url)
    select_cell(console, "main")
    choose(console, "console-tour", "测试巡逻")
    console.find_element(By.ID, "console-tour-start").click()
    wait_playing(wall, "main", "XY-005")
    wait_playing(wall, "main", "XY-006", timeout=10)  # dwell 3 s: the next one comes
    wait_playing(wall, "main", "XY-005", timeout=10)  # and round again
    assert wall.find_element(By.CSS_SELECTOR, "#tile-main .cw-camera__tour").text.count("测试巡逻")
    console.find_element(By.ID, "console-tour-stop").click()
    WebDriverWait(wall, 10).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "#tile-main .cw-camera__tour"),
        "the tour badge stayed after stop",
    )
    assert console_errors(wall) == []
    assert console_errors(console) == []


def test_a_preset_is_recalled_on_the_wall(stack: LiveStack, browser: Browser) -> None:
    wall, console = browser(1280, 720), browser(1600, 1000)
    open_screen(wall, stack.url, 2)
    wait_playing(wall, "quad", "XY-004")
    open_console(console, stack.url)
    choose(console, "console-preset", "防汛")
    console.find_element(By.ID, "console-preset-recall").click()
    for camera in ("XY-008", "XY-009", "XY-011", "XY-012"):
        wait_playing(wall, "quad", camera)
    assert not wall.find_elements(By.CSS_SELECTOR, '#tile-quad [data-camera-id="XY-004"]')
    assert console_errors(wall) == []
    assert console_errors(console) == []


def test_an_urgent_case_pops_up_the_nearest_camera_and_acknowledging_reverts(
    stack: LiveStack, browser: Browser
) -> None:
    camera_id, lat, lon = ALARM_CAMERA
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    stack.write(
        [
            CameraEvent.model_validate(
                {
                    "event_id": f"cam-{camera_id}-{now:%H%M%S}",
                    "time": now,
                    "camera_id": camera_id,
                    "status": "online",
                }
            )
        ]
    )
    wall, console = browser(1280, 720), browser(1600, 1000)
    open_screen(wall, stack.url, 3)
    wait_playing(wall, "alarm", "XY-010")
    open_console(console, stack.url)
    story = CaseStory("URGENT-1", now, priority="urgent")
    story.at(0, "reported", lat=lat + 0.0004, lon=lon + 0.0004)
    stack.write(story.events)
    wait_playing(wall, "alarm", camera_id)
    banner = wall.find_element(By.CSS_SELECTOR, "#tile-alarm .cw-camera__alarm").text
    assert "URGENT-1" in banner
    WebDriverWait(console, 10).until(
        lambda d: "URGENT-1" in d.find_element(By.ID, "console-alarm").text
    )
    console.find_element(By.ID, "console-alarm-ack").click()
    wait_playing(wall, "alarm", "XY-010")
    assert not wall.find_elements(By.CSS_SELECTOR, "#tile-alarm .cw-camera__alarm")
    WebDriverWait(console, 10).until(lambda d: "确认报警" in shown_text(d, "console-audit"))
    assert console_errors(wall) == []
    assert console_errors(console) == []


def test_map_click_multi_view_and_snapshot(stack: LiveStack, browser: Browser) -> None:
    wall, console = browser(1280, 720), browser(1600, 1000)
    open_screen(wall, stack.url, 1)
    open_console(console, stack.url)
    select_cell(console, "main")
    # a camera clicked on the console's map goes to the selected cell
    marker = "#console .cw-console-cam--XY-127"
    WebDriverWait(console, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, marker))
    console.execute_script(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", marker
    )
    click(console, marker)
    wait_playing(wall, "main", "XY-127")
    # 4 views: the tile keeps XY-127 and fills three more cells, all playing
    click(console, '[id*="\\"console\\":\\"layout\\""][id*="\\"n\\":4"]')
    WebDriverWait(wall, 15).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tile-main [data-camera-id]")) == 4,
        "the tile did not become a 2×2",
    )
    cameras = [
        e.get_attribute("data-camera-id")
        for e in wall.find_elements(By.CSS_SELECTOR, "#tile-main [data-camera-id]")
    ]
    assert cameras[0] == "XY-127" and len(set(cameras)) == 4
    for camera in cameras:
        wait_playing(wall, "main", str(camera))
    # a snapshot of the selected cell, with a case id, listed and served as a JPEG
    select_cell(console, "main", 0)
    console.find_element(By.ID, "console-case").send_keys("CASE-77")
    click(console, "#console-snapshot")
    WebDriverWait(console, 15).until(
        lambda d: "XY-127 · operator · CASE-77" in d.find_element(By.ID, "console-snapshots").text,
        "the snapshot is not listed",
    )
    href = console.find_element(By.CSS_SELECTOR, "#console-snapshots a").get_attribute("href")
    kind = console.execute_script(
        "return fetch(arguments[0]).then(r => r.status + ' ' + r.headers.get('content-type'))",
        href,
    )
    assert kind == "200 image/jpeg"
    assert http_session(stack.url, "viewer").get(href, timeout=10).status_code == 403
    assert console_errors(wall) == []
    assert console_errors(console) == []


def test_an_admin_makes_and_revokes_a_wall_pcs_token(stack: LiveStack, browser: Browser) -> None:
    console, wall_pc = browser(1600, 1000), browser(1280, 720)
    sign_in(console, stack.url, role="admin", then="/console")
    WebDriverWait(console, 20).until(lambda d: d.find_elements(By.ID, "admin-create"))
    screen = console.find_element(By.CSS_SELECTOR, "input#admin-screen, #admin-screen input")
    screen.send_keys(Keys.CONTROL, "a")
    screen.send_keys("2")
    click(console, "#admin-create")
    WebDriverWait(console, 10).until(
        lambda d: "/login/device?token=" in d.find_element(By.ID, "admin-new-token").text
    )
    url = console.find_element(By.CSS_SELECTOR, "#admin-new-token code").text
    wall_pc.get(url)  # the wall PC: no password, straight to its screen
    WebDriverWait(wall_pc, 10).until(lambda d: d.current_url.endswith("/wall/screen/2"))
    wait_playing(wall_pc, "quad", "XY-001")
    device_id = url.split("token=")[1].split(".")[0]
    click(console, f'[data-device="{device_id}"] button')
    WebDriverWait(console, 10).until(lambda d: "吊销设备令牌" in shown_text(d, "console-audit"))
    # its next request is refused: a new video token, or the page itself
    status = wall_pc.execute_script(
        "return fetch('/video/token?camera=XY-001').then(r => r.status)"
    )
    assert status == 401
    wall_pc.get(f"{stack.url}/wall/screen/2")
    assert "/login" in wall_pc.current_url
    assert console_errors(console) == []
    # a config reload with a broken file is refused with its line; the wall carries on
    good = stack.config.read_text("utf-8")
    stack.config.write_text(good.replace("alarms: {tile: alarm", "alarms: {tile: emap"), "utf-8")
    try:
        click(console, "#admin-reload")
        WebDriverWait(console, 10).until(
            lambda d: "✗" in d.find_element(By.ID, "admin-reload-result").text
        )
        result = console.find_element(By.ID, "admin-reload-result").text
        assert "wall_config.yaml:" in result and "'emap' is not a camera tile" in result
    finally:
        stack.config.write_text(good, "utf-8")


def preview_frames(console: WebDriver, camera: str) -> int:
    value = read(
        console,
        f"return document.querySelector('#console-preview [data-camera-id=\"{camera}\"]')"
        "?.dataset.frames",
    )
    return int(str(value)) if value else 0


def test_the_console_previews_the_selected_camera_and_the_one_picked(
    stack: LiveStack, browser: Browser
) -> None:
    console = browser(1600, 1000)
    open_console(console, stack.url)
    select_cell(console, "quad", 1)  # XY-002
    WebDriverWait(console, 30, poll_frequency=0.1).until(
        lambda d: preview_frames(d, "XY-002") > 5, "the preview never played the selected camera"
    )
    first = preview_frames(console, "XY-002")
    WebDriverWait(console, 10).until(lambda d: preview_frames(d, "XY-002") > first + 5)
    console.find_element(By.ID, "console-search").send_keys("XY-021")
    WebDriverWait(console, 30).until(lambda d: results(d) == ["XY-021"])
    click(console, '#console-results [data-camera="XY-021"]')
    WebDriverWait(console, 30, poll_frequency=0.1).until(
        lambda d: preview_frames(d, "XY-021") > 5, "the preview never played the picked camera"
    )
    stream = read(console, "return document.querySelector('#console-preview [data-camera-id]')"
                           ".dataset.stream")  # fmt: skip
    assert stream == "sub"
    assert console_errors(console) == []
