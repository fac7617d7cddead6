"""A real headless Chromium, driven by selenium through Debian's chromedriver.

Missing browser or driver is a failure, never a skip: ``make test`` installs both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.chromium import CHROMIUM_FLAGS

Browser = Callable[[int, int], webdriver.Chrome]


def _find(names: list[str]) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"none of {names} found: install Debian's chromium and chromium-driver "
        "(make test does it as root)",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def chrome_binaries() -> tuple[str, str]:
    # Selenium Manager would try to download a browser; this machine has no internet.
    os.environ["SE_OFFLINE"] = "true"
    return _find(["chromium", "chromium-browser"]), _find(["chromedriver"])


@pytest.fixture
def browser(chrome_binaries: tuple[str, str], tmp_path: Path) -> Iterator[Browser]:
    """``browser(width, height)`` opens a fresh Chromium with that viewport."""
    drivers: list[webdriver.Chrome] = []

    def open_browser(width: int, height: int) -> webdriver.Chrome:
        options = webdriver.ChromeOptions()
        options.binary_location = chrome_binaries[0]
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={tmp_path / f'chrome-{len(drivers)}'}")
        options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(chrome_binaries[1]))
        drivers.append(driver)
        _fit_viewport(driver, width, height)
        return driver

    yield open_browser
    for driver in drivers:
        driver.quit()


def _fit_viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    """Make the page's viewport (not the window) exactly ``width × height``."""
    for _ in range(3):
        inner_w, inner_h = driver.execute_script("return [innerWidth, innerHeight]")
        if (inner_w, inner_h) == (width, height):
            return
        size = driver.get_window_size()
        driver.set_window_size(size["width"] + width - inner_w, size["height"] + height - inner_h)


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """Severe entries of the browser console since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
