"""citywall installed the way a hall installs it: the wheel built from this checkout,
pip-installed into a fresh venv in a temporary directory (no checkout on sys.path),
`citywall init` there, and web + relay + aggregator started from that install. The
wall renders in Chromium with every asset and a clean console."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.localhost import free_port, stop_process
from data_feeds.redis_server import EmbeddedRedis
from testkit.chromium import console_errors
from testkit.citywall import ROOT, RunningWall, start_wall
from testkit.signin import sign_in
from tests.browser.conftest import Browser

TILES_IN_TEMPLATE = 11


@dataclass
class Install:
    venv: Path
    hall: Path
    admin_password: str

    @property
    def citywall(self) -> str:
        return str(self.venv / "bin" / "citywall")

    def env(self, redis_url: str) -> dict[str, str]:
        """A clean environment: the hall's keys (citywall.env), its Redis, no checkout."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["PATH"] = f"{self.venv / 'bin'}:/usr/bin:/bin"
        for line in (self.hall / "citywall.env").read_text().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                env[name] = value
        env["REDIS_URL"] = redis_url
        return env


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    base = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(base / "dist")], cwd=ROOT)
    (wheel,) = (base / "dist").glob("citywall-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=base)
    _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], cwd=base)
    where = _run([str(venv / "bin" / "python"), "-c", "import wall; print(wall.__file__)"],
                 cwd=base, env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert where.startswith(str(venv)), f"citywall imported from {where}, not the install"
    init = _run([str(venv / "bin" / "citywall"), "init", "hall"], cwd=base, env={})
    password = re.search(r"first admin: admin / (\S+)", init)
    assert password is not None, init
    return Install(venv, base / "hall", password.group(1))


@dataclass
class Hall:
    web: RunningWall
    parts: list[subprocess.Popen[bytes]]


@pytest.fixture
def hall(install: Install, tmp_path: Path) -> Iterator[Hall]:
    redis_server = EmbeddedRedis(data_dir=tmp_path)
    redis_server.start()
    env = {**install.env(redis_server.url), "RELAY_PORT": str(free_port())}
    config = str(install.hall / "wall_config.yaml")
    relay = start_wall(["relay", "--config", config], tmp_path / "relay.log",
                       int(env["RELAY_PORT"]), env=env, command=install.citywall,
                       cwd=install.hall)  # fmt: skip
    with (tmp_path / "aggregate.log").open("wb") as out:
        aggregator = subprocess.Popen(
            [install.citywall, "aggregate", "--config", config],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=install.hall,
            start_new_session=True,
        )  # fmt: skip
    port = free_port()
    try:
        web = start_wall(["serve", "--config", config, "--port", str(port)],
                         tmp_path / "web.log", port, env=env, command=install.citywall,
                         cwd=install.hall)  # fmt: skip
    except BaseException:
        relay.stop()
        stop_process(aggregator, group=True)
        redis_server.close()
        raise
    try:
        yield Hall(web, [relay.process, aggregator])
    finally:
        web.stop()
        relay.stop()
        stop_process(aggregator, group=True)
        redis_server.close()


def test_the_installed_wheel_runs_the_hall_that_init_wrote(
    install: Install, hall: Hall, browser: Browser
) -> None:
    assert all(part.poll() is None for part in hall.parts), "relay or aggregator exited"
    driver = browser(1920, 1080)
    sign_in(driver, hall.web.url, "admin", password=install.admin_password)
    driver.get(f"{hall.web.url}/wall")
    WebDriverWait(driver, 60).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-tile-id]")) == TILES_IN_TEMPLATE,
        "the wall did not render the template's tiles",
    )
    WebDriverWait(driver, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".cw-clock__time"), "no clock"
    )
    # Every script and stylesheet the page loaded came from the installed package.
    loaded: list[str] = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assets = [url for url in loaded if "/assets/" in url]
    assert any(url.split("?")[0].endswith("/assets/tiles/camera.js") for url in assets), loaded
    for url in assets:
        answer = requests.get(url, cookies=_cookies(driver), timeout=10)
        assert answer.status_code == 200, f"{url}: {answer.status_code}"
    assert console_errors(driver) == []


def _cookies(driver: object) -> dict[str, str]:
    return {c["name"]: c["value"] for c in driver.get_cookies()}  # type: ignore[attr-defined]
