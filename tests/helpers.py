"""Shared by the test suites: real processes on free ports, stopped by their PID."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from core.localhost import stop_process

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_CONFIG = ROOT / "wall_config.yaml"


def citywall_command() -> str:
    """The installed console command, next to the interpreter running the tests."""
    exe = Path(sys.executable).parent / "citywall"
    if not exe.exists():
        raise RuntimeError(f"{exe} not found: install the project (make test does) before testing")
    return str(exe)


@dataclass
class RunningWall:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        stop_process(self.process, group=True)  # its own group: reaches every child


def start_wall(
    args: list[str],
    log: Path,
    port: int,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
) -> RunningWall:
    """Run ``citywall <args>`` and wait until it answers /healthz."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [citywall_command(), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group, so stop() reaches every child
        )
    wall = RunningWall(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"citywall exited with {process.returncode}:\n{wall.output()}")
        try:
            if requests.get(f"{wall.url}/healthz", timeout=1).status_code == 200:
                return wall
        except requests.RequestException:
            pass
        time.sleep(0.1)
    wall.stop()
    raise RuntimeError(f"citywall did not answer within {timeout} s:\n{wall.output()}")


def shipped_config_copy(path: Path, locale: str = "zh-CN") -> Path:
    """The shipped wall_config.yaml with the tests' users, its files found from anywhere."""
    from tests.signin import AUTH_YAML

    text = SHIPPED_CONFIG.read_text(encoding="utf-8").replace("locale: zh-CN", f"locale: {locale}")
    text = text.replace("inventory: cameras.csv", f"inventory: {ROOT / 'cameras.csv'}")
    text = text.replace("basemap: basemap.geojson", f"basemap: {ROOT / 'basemap.geojson'}")
    path.write_text(text + AUTH_YAML, encoding="utf-8")
    return path


def write_config(path: Path, tiles_yaml: str, locale: str = "zh-CN") -> Path:
    """A wall config with the shipped camera inventory and map, the tests' users, and
    the given tiles (YAML list items, indented by two spaces)."""
    from tests.signin import AUTH_YAML

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
