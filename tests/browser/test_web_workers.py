"""Two web workers behind one wall (issue 14): they share one build of the live parts.
A wall screen on the worker that follows sees what an operator does on the console of
the worker that builds; when the builder's worker is killed, the other takes over the
build and the screen keeps getting updates by itself."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.keys import Keys
from core.localhost import free_port
from testkit.chromium import console_errors
from testkit.citywall import RunningWall, start_wall, write_config
from tests.browser.conftest import Browser
from tests.browser.test_console import (
    TILES,
    click,
    open_console,
    open_screen,
    results,
    select_cell,
    wait_playing,
)
from tests.live_stack import LiveStack


@pytest.fixture
def two_workers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveStack, RunningWall]]:
    logs = tmp_path_factory.mktemp("workers")
    config = write_config(logs / "wall_config.yaml", TILES)
    stack = LiveStack(config, logs, relay=True).start()  # worker 1: the first, the builder
    assert stack._relay is not None
    env = {**stack.env(), "RELAY_PORT": str(urlsplit(stack._relay.url).port)}
    port = free_port()
    args = ["serve", "--port", str(port), "--config", str(config)]
    second = start_wall(args, logs / "citywall-2.log", port, env=env)
    try:
        yield stack, second
    finally:
        second.stop()
        stack.stop()


def switch(console: object, camera: str) -> None:
    select_cell(console, "main")  # type: ignore[arg-type]
    box = console.find_element(By.ID, "console-search")  # type: ignore[attr-defined]
    box.clear()
    box.send_keys(camera)
    WebDriverWait(console, 30).until(lambda d: results(d) == [camera], f"no {camera} in the list")
    click(console, f'#console-results [data-camera="{camera}"]')  # type: ignore[arg-type]


def builder_pid(stack: LiveStack) -> int:
    client = stack.client()
    for key in client.scan_iter(match=Keys().prefix + "live:*:builder"):
        owner = client.get(key)
        if owner is not None:
            return int(owner.decode().rsplit("-", 1)[1])  # worker name: <host>-<pid>
    raise AssertionError("no builder")


def test_a_screen_on_one_worker_follows_the_console_on_the_other_and_survives_the_builder(
    two_workers: tuple[LiveStack, RunningWall], browser: Browser
) -> None:
    first, second = two_workers
    # Worker 1 started first and builds; worker 2 follows.
    WebDriverWait(None, 30, poll_frequency=0.2).until(
        lambda _: builder_pid(first) == first.wall.process.pid, "worker 1 never built"
    )
    wall, console = browser(1280, 720), browser(1600, 1000)
    open_screen(wall, second.url, 1)  # the screen on the follower
    wait_playing(wall, "main", "XY-001")
    open_console(console, first.url)  # the operator on the builder
    switch(console, "XY-020")
    wait_playing(wall, "main", "XY-020")

    # The builder's worker dies: worker 2 takes the build over, and the screen on it
    # gets the operator's next switch (made on worker 2's console) by itself.
    first.wall.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    open_console(console, second.url)
    switch(console, "XY-021")
    wait_playing(wall, "main", "XY-021", timeout=30)
    took = time.monotonic() - killed
    print(f"\nbuilder killed -> the other worker's switch shown after {took:.1f} s")
    assert builder_pid(first) == second.process.pid
    assert console_errors(wall) == []
