"""The console's case desk against a real stack (Redis, aggregator, video relay, web
server) in real Chromium: an operator opens a case from the list and reads its
timeline, puts its nearest camera on a wall tile in one click, shows it on the wall's
map, and reports a case from a camera, which the wall's case list and map then show."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from streams.sources.registry import open_source
from testkit.chromium import console_errors
from testkit.citywall import write_config
from testkit.signin import http_session, sign_in
from tests.browser.conftest import Browser
from tests.browser.test_console import (
    click,
    frames,
    open_console,
    read,
    select_cell,
    shown_text,
    wait_playing,
)
from tests.case_story import SHANGHAI, CaseStory
from tests.integration.test_relay_clips import open_clip, sps_of
from tests.live_stack import LiveStack

TILES = """\
  - {id: main, type: camera, title: 主画面, x: 0, y: 0, cameras: [XY-001]}
  - {id: emap, type: map, title: 电子地图, x: 1, y: 0}
  - {id: latest, type: cases, title: 最新案件, x: 2, y: 0, show: latest, limit: 12}
"""
NEAR = ("XY-030", 28.6775, 112.91375)  # as in cameras.csv: the case stands 20 m from it
STAGES = ["reported", "filed", "dispatched", "handled", "rework", "handled", "verified"]


@pytest.fixture(scope="module")
def desk_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    logs = tmp_path_factory.mktemp("desk")
    stack = LiveStack(write_config(logs / "wall_config.yaml", TILES), logs, relay=True).start()
    yield stack
    stack.stop()


@pytest.fixture
def stack(desk_stack: LiveStack) -> LiveStack:
    """The module's stack with the wall back at its config (a test's changes undone)."""
    return desk_stack.reset_wall()


def story(case_id: str, minutes_ago: float = 90) -> CaseStory:
    start = datetime.now(SHANGHAI) - timedelta(minutes=minutes_ago)
    case = CaseStory(case_id, start, lat=NEAR[1] + 0.0001, lon=NEAR[2] + 0.0001)
    case.at(0, "reported", v="2", reporter="王先生 13800000000", address="湘阴县文星镇解放路12号",
            description="店外堆放杂物", channel="12319")  # fmt: skip
    case.at(4, "filed").dispatch(9, 240)
    case.at(30, "handled", officer="P0007").at(40, "rework", officer="P0003")
    case.at(60, "handled", officer="P0007").at(70, "verified", officer="P0003")
    return case


def timeline(console: WebDriver) -> list[str]:
    rows = "#console-case-panel [data-stage]"
    found = read(console, f"return Array.from(document.querySelectorAll('{rows}'))"
                          ".map(e => e.dataset.stage)")  # fmt: skip
    return list(found) if isinstance(found, list) else []


def test_an_operator_opens_a_case_reads_its_timeline_and_puts_its_nearest_camera_on_a_tile(
    stack: LiveStack, browser: Browser
) -> None:
    stack.write(story("DESK-0001").events)
    wall, console = browser(1280, 720), browser(1600, 1200)
    sign_in(wall, stack.url, role="viewer", then="/wall")  # every tile on one page
    wait_playing(wall, "main", "XY-001")
    open_console(console, stack.url)
    click(console, '#console-cases [data-case-id="DESK-0001"]')
    WebDriverWait(console, 15).until(lambda d: timeline(d) == STAGES, "no timeline")
    panel = shown_text(console, "console-case-panel")
    for shown in (
        "店外堆放杂物",
        "湘阴县文星镇解放路12号",
        "王先生",
        "P0003",
        "城管执法大队",
        "核查",
    ):
        assert shown in panel, shown
    # the nearest camera first, one click from the selected cell to the wall
    select_cell(console, "main")
    first = console.find_element(By.CSS_SELECTOR, "#console-case-panel [data-camera]")
    assert first.get_attribute("data-camera") == NEAR[0]
    click(console, f'#console-case-panel [data-camera="{NEAR[0]}"]')
    wait_playing(wall, "main", NEAR[0])
    # and the case shown on the wall's e-map
    click(console, "#console-case-highlight")
    WebDriverWait(wall, 10).until(
        lambda d: (
            read(d, "return document.querySelector('#tile-emap').dataset.focus") == "DESK-0001"
        ),
        "the wall's map never ringed the case",
    )
    assert console_errors(wall) == []
    errors = console_errors(console)
    assert errors == [], [e[:600] for e in errors]


def test_a_case_reported_from_a_camera_reaches_the_walls_list_and_map(
    stack: LiveStack, browser: Browser
) -> None:
    wall, console = browser(1280, 720), browser(1600, 1200)
    sign_in(wall, stack.url, role="viewer", then="/wall")  # every tile on one page
    wait_playing(wall, "main", "XY-001")
    # The wall notes when a reported case's row and marker first appear (its own clock).
    wall.execute_script("""
        window.__seen = {};
        new MutationObserver(() => {
          document.querySelectorAll('#tile-latest [data-case-id^="V"]').forEach(
            (row) => { window.__seen.row = window.__seen.row || Date.now(); });
          const map = document.querySelector('#tile-emap');
          if (map && Number(map.dataset.cases) > Number(map.dataset.casesBefore || 1e9))
            window.__seen.marker = window.__seen.marker || Date.now();
        }).observe(document.body, {subtree: true, childList: true, attributes: true});
        const map = document.querySelector('#tile-emap');
        map.dataset.casesBefore = map.dataset.cases || "0";
    """)
    open_console(console, stack.url)
    select_cell(console, "main")
    WebDriverWait(console, 10).until(lambda d: "XY-001" in shown_text(d, "console-report-camera"))
    category = console.find_element(By.CSS_SELECTOR, "#console-report-category")
    category.click()
    search = console.switch_to.active_element
    search.send_keys("违章停车")
    search.send_keys(Keys.ENTER)
    WebDriverWait(console, 10).until(
        lambda d: "违章停车" in d.find_element(By.ID, "console-report-category").text,
        "the category was not chosen",
    )
    console.find_element(By.ID, "console-report-description").send_keys("路口违停三辆")
    clicked_at = float(str(read(console, "return Date.now()")))
    click(console, "#console-report-submit")
    WebDriverWait(console, 15).until(
        lambda d: "已上报案件 V" in d.find_element(By.ID, "console-message").text,
        "the report was not accepted",
    )
    case_id = console.find_element(By.ID, "console-message").text.split("已上报案件 ")[1][:22]
    seen = WebDriverWait(wall, 15).until(
        lambda d: (lambda s: s if s.get("row") and s.get("marker") else None)(
            read(d, "return window.__seen") or {}
        ),
        "the wall never showed the reported case",
    )
    print(f"report → wall list {seen['row'] - clicked_at:.0f} ms, "
          f"map {seen['marker'] - clicked_at:.0f} ms")  # fmt: skip
    # the case is a 视频巡逻 report with the camera's snapshot as evidence
    opened = WebDriverWait(console, 15).until(
        lambda d: (
            timeline(d) == ["reported"]
            and d.find_elements(By.CSS_SELECTOR, '#console-case-panel [data-kind="snapshot"]')
        ),
        "the reported case's panel never showed its snapshot",
    )
    assert opened
    assert case_id.startswith("V")
    assert console_errors(wall) == []
    assert console_errors(console) == []


def test_a_viewer_cannot_report_a_case_and_nobody_signed_out_can(stack: LiveStack) -> None:
    body = {"camera": "XY-001", "category": "event:0504", "description": "违停"}
    viewer = http_session(stack.url, role="viewer")
    answer = viewer.post(f"{stack.url}/cases/report", json=body, timeout=10)
    assert answer.status_code == 403
    assert viewer.get(f"{stack.url}/cases/DESK-0001", timeout=10).status_code == 403
    nobody = requests.post(f"{stack.url}/cases/report", json=body, timeout=10,
                           headers={"Origin": stack.url}, allow_redirects=False)  # fmt: skip
    assert nobody.status_code == 401
    operator = http_session(stack.url, role="operator")
    started = time.monotonic()
    answer = operator.post(f"{stack.url}/cases/report", json=body, timeout=20)
    assert answer.status_code == 201, answer.text
    assert time.monotonic() - started < 20
    bad = operator.post(f"{stack.url}/cases/report", timeout=10,
                        json={**body, "category": "event:9999"})  # fmt: skip
    assert bad.status_code == 400 and "category" in bad.json()["error"]


def camera_sps(url: str) -> bytes:
    """The SPS the camera itself sends in front of its keyframes (opened directly)."""

    async def first_keyframe() -> bytes:
        iterator = open_source(url).packets()
        try:
            async for packet in iterator:
                if packet.keyframe:
                    return sps_of(packet.data)
        finally:
            await iterator.aclose()  # type: ignore[attr-defined]
        raise AssertionError("the camera sent no keyframe")

    return asyncio.run(asyncio.wait_for(first_keyframe(), 30))


def reveal(driver: WebDriver, element_id: str) -> WebElement:
    """The element, scrolled to the middle of the view (as the operator scrolls to it)."""
    element = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return element


def recording_seconds(console: WebDriver) -> float:
    text = shown_text(console, "console-clip-recording")
    found = re.search(r"XY-001 (\d+)", text)
    return float(found.group(1)) if found else -1.0


def test_an_operator_saves_a_clip_that_plays_in_the_console_and_is_the_cameras_h264(
    stack: LiveStack, browser: Browser
) -> None:
    stack.write(story("DESK-0002").events)
    wall, console = browser(1280, 720), browser(1600, 1200)
    sign_in(wall, stack.url, role="viewer", then="/wall")
    wait_playing(wall, "main", "XY-001")  # the relay pulls it: its last seconds are kept
    WebDriverWait(wall, 30).until(lambda d: frames(d, "main", "XY-001") > 60)  # ≥ 4 s
    open_console(console, stack.url)
    select_cell(console, "main")
    reveal(console, "console-case").send_keys("DESK-0002")
    before = reveal(console, "console-clip-before")
    before.clear()
    before.send_keys("2")
    reveal(console, "console-clip-start").click()
    WebDriverWait(console, 20).until(
        lambda d: "开始录像 XY-001" in d.find_element(By.ID, "console-message").text,
        "the recording never started",
    )
    started = time.monotonic()
    WebDriverWait(console, 30).until(lambda d: recording_seconds(d) >= 3, "not recording")
    reveal(console, "console-clip-stop").click()
    stopped = time.monotonic()
    WebDriverWait(console, 60).until(
        lambda d: "已保存录像 XY-001" in d.find_element(By.ID, "console-message").text,
        "the clip was never saved",
    )
    # It plays in the console: the browser decodes its frames.
    WebDriverWait(console, 30).until(
        lambda d: int(str(read(d, "const v = document.getElementById('console-clip-player');"
                                  "return v.getVideoPlaybackQuality().totalVideoFrames;"))) > 10,
        "the console's player decoded no frames",
    )  # fmt: skip
    operator = http_session(stack.url, role="operator")
    listed = operator.get(f"{stack.url}/clips", timeout=10).json()["clips"][0]
    assert listed["camera_id"] == "XY-001" and listed["case_id"] == "DESK-0002"
    mp4 = operator.get(f"{stack.url}{listed['url']}", timeout=30).content
    assert hashlib.sha256(mp4).hexdigest() == listed["sha256"]
    codec, _size, duration, sps, decoded = open_clip(mp4)
    pre_roll = float(
        next(e for e in stack.client().xrevrange("citywall:audit", count=50)
             if b"clip.start" in e[1][b"action"])[1][b"after"].decode().split('"before_s": ')[1]
        .split(",")[0]
    )  # fmt: skip
    expected = pre_roll + (stopped - started)
    assert codec == "h264" and decoded > 0
    assert abs(duration - expected) <= 1.0, (duration, expected)
    assert sps == camera_sps("sim://XY-001?stream=main")  # no re-encode: the camera's SPS
    # ... and it is the case's evidence, in its panel
    click(console, '#console-cases [data-case-id="DESK-0002"]')
    WebDriverWait(console, 15).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#console-case-panel [data-kind="clip"]'),
        "the case panel does not list the clip",
    )
    assert console_errors(wall) == []
    assert console_errors(console) == []


def test_clips_are_for_operators_only(stack: LiveStack) -> None:
    operator = http_session(stack.url, role="operator")
    clips = operator.get(f"{stack.url}/clips", timeout=10).json()["clips"]
    url = f"{stack.url}{clips[0]['url']}" if clips else f"{stack.url}/clips/x.mp4"
    viewer = http_session(stack.url, role="viewer")
    assert (
        viewer.post(f"{stack.url}/clips", json={"camera": "XY-001"}, timeout=10).status_code == 403
    )
    assert viewer.post(f"{stack.url}/clips/x/stop", timeout=10).status_code == 403
    assert viewer.get(url, timeout=10).status_code == 403
    assert requests.get(url, timeout=10, allow_redirects=False).status_code == 401
