"""Fixtures shared by all suites."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.localhost import free_port
from testkit.citywall import RunningWall, shipped_config_copy, start_wall
from tests.case_story import SHANGHAI, CaseStory
from tests.live_stack import LiveStack


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
def shipped_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """The shipped wall_config.yaml (plus the tests' users), served once for the whole
    session as the hall runs it: a private Redis, the aggregator, the video relay (on a
    free port: the config reads it from $RELAY_PORT) and the web server; one case in
    today's figures."""
    logs = tmp_path_factory.mktemp("shipped")
    config = shipped_config_copy(logs / "wall_config.yaml")
    stack = LiveStack(config, logs, relay=True).start()
    start = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=20)
    stack.write(list(CaseStory("SHIPPED-1", start).through_dispatch().events))
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def shipped_wall(shipped_stack: LiveStack) -> RunningWall:
    return shipped_stack.wall
