"""A real headless Chromium per test (testkit.chromium: Debian's chromium and
chromedriver). Missing browser or driver is a failure, never a skip: ``make test``
installs both."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from testkit.chromium import Chromium, check_installed

Browser = Callable[[int, int], Chromium]


@pytest.fixture(scope="session")
def chromium_installed() -> None:
    try:
        check_installed()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def browser(chromium_installed: None) -> Iterator[Browser]:
    """``browser(width, height)`` opens a fresh Chromium with that viewport; every one
    is quit (and its profile removed) after the test."""
    drivers: list[Chromium] = []

    def open_browser(width: int, height: int) -> Chromium:
        drivers.append(Chromium(width, height))
        return drivers[-1]

    yield open_browser
    for driver in drivers:
        driver.quit()
