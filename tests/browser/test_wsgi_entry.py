"""The WSGI entry (``waitress-serve app:server``) is the whole wall, not a lesser one:
the same factory as ``citywall serve`` gives it live data and a working console. A real
redis-server, the real aggregator and waitress serving app.py, all on free ports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from core.localhost import free_port, stop_process
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.chromium import console_errors
from testkit.citywall import ROOT, citywall_command, write_config
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.case_story import SHANGHAI, CaseStory

TILES = """\
  - {id: today, type: kpi, x: 0, y: 0, kpis: [dispatched]}
  - {id: main, type: camera, x: 1, y: 0, cameras: [XY-001]}
"""


class WsgiWall:
    def __init__(self, logs: Path) -> None:
        self.config = write_config(logs / "wall_config.yaml", TILES)
        self.redis = EmbeddedRedis(data_dir=logs)
        self.redis.start()
        env = {**os.environ, "REDIS_URL": self.redis.url, "CITYWALL_CONFIG": str(self.config)}
        with (logs / "aggregate.log").open("wb") as out:
            self.aggregator = subprocess.Popen(
                [citywall_command(), "aggregate", "--config", str(self.config)],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        waitress = str(Path(sys.executable).parent / "waitress-serve")
        self.log = logs / "waitress.log"
        with self.log.open("wb") as out:
            self.web = subprocess.Popen(
                [waitress, f"--listen=127.0.0.1:{port}", "--threads=32", "app:server"],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True,
            )  # fmt: skip

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.web.poll() is None, self.log.read_text(errors="replace")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"app:server never answered:\n{self.log.read_text()}")

    def stop(self) -> None:
        stop_process(self.web, group=True)
        stop_process(self.aggregator, group=True)
        self.redis.close()


@pytest.fixture
def wsgi_wall(tmp_path: Path) -> Iterator[WsgiWall]:
    wall = WsgiWall(tmp_path)
    try:
        wall.wait_healthy()
        yield wall
    finally:
        wall.stop()


def clicked(driver: WebDriver, css: str) -> bool:
    """Click the element when it is there; the list may be redrawn between finding it
    and clicking it (the search answers as the operator types): then try again."""
    try:
        for element in driver.find_elements(By.CSS_SELECTOR, css):
            element.click()
            return True
    except StaleElementReferenceException:
        pass
    return False


def kpi_text(driver: object) -> str:
    return str(
        driver.execute_script(  # type: ignore[attr-defined]
            "return document.querySelector('[data-kpi=\"dispatched\"] .cw-kpi__value')"
            "?.textContent || ''"
        )
    )


def test_app_server_has_live_tiles_and_a_working_console(
    wsgi_wall: WsgiWall, browser: Browser
) -> None:
    wall = browser(1600, 900)
    sign_in(wall, wsgi_wall.url, then="/wall")
    WebDriverWait(wall, 30).until(lambda d: kpi_text(d) == "0", "no live KPI from app:server")

    # Live frames: a case dispatched now reaches the wall through the aggregator.
    client = redis.Redis.from_url(wsgi_wall.redis.url)
    start = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=5)
    EventWriter(client).write(list(CaseStory("WSGI-1", start).through_dispatch().events))
    WebDriverWait(wall, 30).until(lambda d: kpi_text(d) == "1", "the case never showed")

    # The console: an operator puts another camera on the tile; the wall follows.
    console = browser(1600, 1000)
    sign_in(console, wsgi_wall.url, role="operator", then="/console")
    search = WebDriverWait(console, 30).until(lambda d: d.find_element(By.ID, "console-search"))
    search.send_keys("XY-020")
    WebDriverWait(console, 30).until(
        lambda d: (
            d.execute_script(
                "return Array.from(document.querySelectorAll('#console-results [data-camera]'))"
                ".map(e => e.dataset.camera).join()"
            )
            == "XY-020"
        ),
        "the list never showed the search's result",
    )
    WebDriverWait(console, 30).until(
        lambda d: clicked(d, '#console-results [data-camera="XY-020"]'), "no XY-020 to pick"
    )
    WebDriverWait(wall, 20).until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, '#tile-main .cw-camera [data-camera-id="XY-020"]'
        ),
        "the wall never switched",
    )
    WebDriverWait(console, 20).until(
        lambda d: (
            d.execute_script(
                "return document.querySelector('#console-mini [data-tile=\"main\"]')"
                ".dataset.showing"
            )
            == "XY-020"
        ),
        "the console's miniature never followed",
    )
    client.close()
    # No relay runs here: the camera player's failed fetches are expected, nothing else.
    errors = [e for e in console_errors(wall) if "/whep/" not in e and "Failed to load" not in e]
    assert errors == []
