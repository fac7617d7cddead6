"""``citywall demo``: the whole wall on one machine. Redis (a private one unless
REDIS_URL or redis.url names one), then the video relay, the aggregator, the city
simulator and the web server, each a child process kept running by a supervisor
(core.supervisor: logged and restarted with back-off when it dies, as the systemd
units do in production). SIGTERM or Ctrl+C stops every child by PID, Redis last."""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType

import yaml

from core.supervisor import Supervisor
from data_feeds.redis_server import EmbeddedRedis
from wall.cli_common import setup_logging
from wall.config import WallConfig

log = logging.getLogger("citywall.demo")


def half_year_start(now: datetime) -> datetime:
    """1 January or 1 July of ``now``'s year, in ``now``'s zone: the published period."""
    return now.replace(month=1 if now.month < 7 else 7, day=1, hour=0, minute=0, second=0,
                       microsecond=0)  # fmt: skip


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@dataclass(frozen=True)
class DemoWeb:
    host: str
    port: int
    banner: str  # the first line the web child prints once it serves ({redis}: its URL)
    logins: str  # how to sign in, printed under the URLs
    users: list[dict[str, str]]  # the demo's sign-in users (hashes), if the config has none


@contextmanager
def _users_file(users: list[dict[str, str]]) -> Iterator[Path | None]:
    """The demo's users for the web child, in a file only this user can read."""
    if not users:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="citywall-demo-") as directory:
        path = Path(directory) / "users.yaml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yaml.safe_dump(users, out, allow_unicode=True)
        yield path


def run_demo(
    config: WallConfig, config_path: Path, web: DemoWeb, speed: float = 1.0, seed: int = 0
) -> None:
    """Start everything, keep it running until SIGTERM or Ctrl+C, then stop it all."""
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager, `timeout`
    setup_logging()  # the supervisor says what it starts and what died
    url = os.environ.get("REDIS_URL") or config.redis.url
    embedded = None
    if not url:
        embedded = EmbeddedRedis()
        embedded.start()
        url = embedded.url
        log.info("Redis %s (redis-server pid %s)", url, embedded.pid)
    env = {**os.environ, "REDIS_URL": url}
    now = datetime.now().astimezone()
    backfill = int((now - half_year_start(now)).total_seconds())
    base = [sys.executable, "-m", "wall.cli"]
    config_arg = ["--config", str(config_path)]
    supervisor = Supervisor()
    try:
        with _users_file(web.users) as users:
            supervisor.add("relay", [*base, "relay", *config_arg], env)
            supervisor.add("aggregator", [*base, "aggregate", *config_arg], env)
            supervisor.add(
                "simulator",
                [*base, "simulate", *config_arg, "--speed", str(speed), "--seed", str(seed),
                 "--backfill", f"{backfill}s", "--no-cameras"],
                env,
            )  # fmt: skip
            serve = [*base, "serve", *config_arg, "--host", web.host, "--port", str(web.port),
                     "--banner", web.banner.replace("{redis}", url),
                     "--logins", web.logins]  # fmt: skip
            supervisor.add("web", [*serve, *(["--users-file", str(users)] if users else [])], env)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        # A second SIGTERM or Ctrl+C must not cut the clean-up short (orphans, Redis).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        supervisor.stop()
        if embedded is not None:
            embedded.close()
            log.info("stopped Redis")
