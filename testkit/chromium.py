"""The one way this project starts a browser: Debian's headless Chromium, driven by
selenium through Debian's chromedriver, in a fresh profile that goes away on quit."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chromium.webdriver import ChromiumDriver

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMEDRIVER: Final = Path("/usr/bin/chromedriver")
# Headless, no sandbox (containers), and no network chatter: the hall's network is closed.
FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def check_installed() -> None:
    """Raise if the browser or its driver is missing (a failure, never a skip)."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        raise RuntimeError(
            f"{' and '.join(missing)} not found: install Debian's chromium and "
            "chromium-driver (make test does it as root)"
        )


class Chromium(webdriver.Chrome):
    """``Chromium(width, height)``: a page viewport of exactly that size. ``logs`` are
    the selenium log types kept in full ("browser" is the console; "performance" the
    DevTools network events)."""

    def __init__(
        self,
        width: int,
        height: int,
        logs: Sequence[str] = ("browser",),
        flags: Sequence[str] = (),
    ) -> None:
        check_installed()
        os.environ["SE_OFFLINE"] = "true"  # Selenium Manager would try to download a browser
        self.profile = Path(tempfile.mkdtemp(prefix="citywall-chromium-"))
        options = _options(self.profile, width, height, logs, flags)
        try:
            super().__init__(options=options, service=Service(str(CHROMEDRIVER)))
        except BaseException:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        try:
            self._fit_viewport(width, height)
        except BaseException:
            self.quit()
            raise

    def quit(self) -> None:
        try:
            super().quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def _fit_viewport(self, width: int, height: int) -> None:
        """Make the page's viewport (not the window) ``width × height``: the window's
        frame takes some pixels, a different number on each Chromium version."""
        for _ in range(3):
            inner_w, inner_h = self.execute_script("return [innerWidth, innerHeight]")
            if (inner_w, inner_h) == (width, height):
                return
            size = self.get_window_size()
            self.set_window_size(size["width"] + width - inner_w, size["height"] + height - inner_h)


def _options(
    profile: Path, width: int, height: int, logs: Sequence[str], flags: Sequence[str] = ()
) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, *flags, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {kind: "ALL" for kind in logs})
    return options


def console_errors(driver: ChromiumDriver) -> list[str]:
    """Severe entries of the browser console since the last call (the log is drained)."""
    entries: list[dict[str, str]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [entry["message"] for entry in entries if entry["level"] == "SEVERE"]
