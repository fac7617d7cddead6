"""A live wall for the browser tests: a private real redis-server, ``citywall aggregate``
and ``citywall serve`` (and the video relay when asked), each a real process on a free
port, stopped by its PID. Tests write events into Redis as the city would."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import redis

from core import topics
from core.keys import Keys
from core.localhost import free_port, stop_process
from data_feeds.events import Event
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.citywall import ROOT, RunningWall, citywall_command, start_wall


@dataclass
class LiveStack:
    config: Path
    logs: Path
    relay: bool = False
    redis: EmbeddedRedis = field(init=False)
    wall: RunningWall = field(init=False)  # set once started
    _aggregator: subprocess.Popen[bytes] | None = field(init=False, default=None)
    _relay: RunningWall | None = field(init=False, default=None)

    @property
    def url(self) -> str:
        return self.wall.url

    def env(self) -> dict[str, str]:
        return {**os.environ, "REDIS_URL": self.redis.url}

    def start(self) -> LiveStack:
        (self.logs / "redis").mkdir(exist_ok=True)
        self.redis = EmbeddedRedis(data_dir=self.logs / "redis")
        try:
            self._start_processes()
        except BaseException:
            self.stop()  # whatever did start must not outlive the failed fixture
            raise
        return self

    def _start_processes(self) -> None:
        self.redis.start()
        self.start_aggregator()
        env = self.env()
        if self.relay:
            relay_port = free_port()
            env["RELAY_PORT"] = str(relay_port)
            relay = ["relay", "--config", str(self.config)]  # the wall's cameras, its relay
            self._relay = start_wall(relay, self.logs / "relay.log", relay_port, env=env)
        port = free_port()
        args = ["serve", "--port", str(port), "--config", str(self.config)]
        self.wall = start_wall(args, self.logs / "citywall.log", port, env=env)

    def start_aggregator(self) -> None:
        with (self.logs / "aggregate.log").open("ab") as out:
            self._aggregator = subprocess.Popen(
                [citywall_command(), "aggregate", "--config", str(self.config)],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=self.env(),
                start_new_session=True,
            )  # fmt: skip

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis.url)

    def reset_wall(self) -> LiveStack:
        """The wall back at its config (a test's switches, alarm, highlight undone), said
        to every screen as an operator's change would be."""
        keys = Keys()
        client = self.client()
        try:
            client.delete(keys.wall_views, keys.wall_alarm, keys.wall_highlight)
            client.xadd(
                keys.updates, {topics.FIELD_TOPICS: topics.WALL, topics.FIELD_EARLIEST: "inf"}
            )
        finally:
            client.close()
        return self

    def write(self, events: list[Event]) -> None:
        client = self.client()
        try:
            EventWriter(client).write(events)
        finally:
            client.close()

    def stop(self) -> None:
        if hasattr(self, "wall"):
            self.wall.stop()
        if self._relay is not None:
            self._relay.stop()
        if self._aggregator is not None:
            stop_process(self._aggregator, group=True)
        self.redis.close()
