"""Config is pure data: the commands that only need the config and Redis (check-config,
the relay, the aggregator, the simulator) start without the web tier. Each runs as a
real process under ``python -X importtime``, which lists every module it imported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from data_feeds.redis_server import EmbeddedRedis
from testkit.citywall import ROOT, shipped_config_copy

WEB_TIER = {"dash", "plotly", "pandas", "dash_leaflet"}


def imported(stderr: str) -> set[str]:
    """Top-level packages in ``-X importtime``'s lines: ``import time: self | total | name``."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def run_until(args: list[str], ready: str, env: dict[str, str], log: Path) -> str:
    """Start ``python -X importtime -m wall.cli ARGS``, wait for ``ready`` on its stdout
    (or its exit), stop it with SIGTERM, and return what it wrote to stderr (a file:
    a pipe nobody reads would fill up and stall it)."""
    command = [sys.executable, "-X", "importtime", "-m", "wall.cli", *args]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:  # ends when it is ready, or when it exits
            if ready in line:
                break
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    return log.read_text()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "RELAY_PORT": "0"}


def test_check_config_imports_no_web_tier(tmp_path: Path, env: dict[str, str]) -> None:
    config = shipped_config_copy(tmp_path / "wall_config.yaml")
    stderr = run_until(["check-config", str(config)], "OK", env, tmp_path / "stderr")
    modules = imported(stderr)
    assert "wall" in modules and "pydantic" in modules  # the check ran
    assert not modules & WEB_TIER, sorted(modules & WEB_TIER)
    assert "aiortc" not in modules  # nor the video stack


@pytest.mark.parametrize(
    ("args", "ready"),
    [
        (["aggregate"], "aggregate: consumer"),
        (["simulate", "--speed", "10000", "--duration", "10m", "--seed", "3"], "simulate:"),
        (["relay", "--port", "0"], "citywall relay:"),
    ],
)
def test_the_data_and_video_commands_import_no_web_tier(
    tmp_path: Path,
    env: dict[str, str],
    redis_server: EmbeddedRedis,
    args: list[str],
    ready: str,
) -> None:
    config = shipped_config_copy(tmp_path / "wall_config.yaml")
    env = {**env, "REDIS_URL": redis_server.url}
    command = [*args[:1], "--config", str(config), *args[1:]]
    stderr = run_until(command, ready, env, tmp_path / "stderr")
    modules = imported(stderr)
    assert {"wall", "core", "redis"} <= modules, stderr[-2000:]  # it loaded and ran
    assert not modules & WEB_TIER, sorted(modules & WEB_TIER)
