"""The ``citywall`` command as the tests, benchmarks and scripts run it: a real process
on a free port, in its own process group, stopped by its PID; and the configs they
give it (the shipped camera inventory and map, the test users)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import requests

from core.localhost import stop_process
from testkit.signin import AUTH_YAML

ROOT: Final = Path(__file__).resolve().parents[1]
SHIPPED_CONFIG: Final = ROOT / "wall_config.yaml"


def citywall_command() -> str:
    """The installed console command, next to the running interpreter."""
    exe = Path(sys.executable).parent / "citywall"
    if not exe.exists():
        raise RuntimeError(f"{exe} not found: install the project first (make test does)")
    return str(exe)


@dataclass
class RunningWall:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def check(self) -> None:
        """Raise if the process has exited (with the end of its log: why)."""
        if self.process.poll() is not None:
            tail = self.output()[-3000:]
            raise RuntimeError(
                f"{self.url}: citywall exited with {self.process.returncode}:\n{tail}"
            )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to its process group (it reaches every child), SIGKILL after ``timeout``."""
        stop_process(self.process, timeout, group=True)


def start_wall(
    args: list[str],
    log: Path,
    port: int,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    command: str | None = None,
    cwd: Path = ROOT,
) -> RunningWall:
    """Run ``citywall <args>`` (it listens on ``port``) and wait until it answers /healthz;
    ``command``: another installation's citywall (default: this one's)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [command or citywall_command(), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group, so stop() reaches every child
        )
    wall = RunningWall(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_healthy(wall, timeout)
    except BaseException:
        wall.stop()
        raise
    return wall


def _wait_healthy(wall: RunningWall, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wall.check()
        try:
            if requests.get(f"{wall.url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"citywall did not answer within {timeout} s:\n{wall.output()}")


def shipped_config_copy(path: Path, locale: str = "zh-CN") -> Path:
    """The shipped wall_config.yaml with the test users, its files found from anywhere."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8").replace("locale: zh-CN", f"locale: {locale}")
    text = text.replace("inventory: cameras.csv", f"inventory: {ROOT / 'cameras.csv'}")
    text = text.replace("basemap: basemap.geojson", f"basemap: {ROOT / 'basemap.geojson'}")
    path.write_text(text + AUTH_YAML, encoding="utf-8")
    return path


def write_config(path: Path, tiles_yaml: str, locale: str = "zh-CN") -> Path:
    """A wall config with the shipped camera inventory and map, the test users, and
    the given tiles (YAML list items, indented by two spaces)."""
    path.write_text(
        f"""version: 1
wall:
  title: 测试大屏
  locale: {locale}
tiles:
{tiles_yaml}
cameras:
  inventory: {ROOT / "cameras.csv"}
map:
  center: [28.689, 112.889]
  zoom: 14
  bounds: [[28.64, 112.83], [28.74, 112.95]]
relay:
  port: ${{RELAY_PORT:-8889}}
{AUTH_YAML}""",
        encoding="utf-8",
    )
    return path
