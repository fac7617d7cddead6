"""Fixtures shared by all suites."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import RunningWall, start_wall
from wall.localhost import free_port


@pytest.fixture
def wall_server(tmp_path: Path) -> Iterator[Callable[..., RunningWall]]:
    """Start ``citywall serve`` on a free port with a given config; stopped after the test."""
    started: list[RunningWall] = []

    def start(config: Path | None = None, command: str = "serve") -> RunningWall:
        port = free_port()
        args = [command, "--port", str(port)]
        if config is not None:
            args += ["--config", str(config)]
        wall = start_wall(args, tmp_path / f"citywall-{port}.log", port)
        started.append(wall)
        return wall

    yield start
    for wall in started:
        wall.stop()


@pytest.fixture(scope="session")
def shipped_wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWall]:
    """The shipped wall_config.yaml, served once for the whole session, with its video
    relay (on a free port: the config reads it from $RELAY_PORT)."""
    logs = tmp_path_factory.mktemp("shipped")
    relay_port = free_port()
    os.environ["RELAY_PORT"] = str(relay_port)
    relay = start_wall(["relay"], logs / "relay.log", relay_port)
    port = free_port()
    wall = start_wall(["serve", "--port", str(port)], logs / "citywall.log", port)
    yield wall
    wall.stop()
    relay.stop()
