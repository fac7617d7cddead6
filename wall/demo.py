"""What ``citywall demo`` runs besides the web app: Redis (a private one unless
REDIS_URL or redis.url names one), the video relay, the aggregator and the city
simulator, as child processes stopped by PID on exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType

from core.localhost import stop_process
from data_feeds.redis_server import EmbeddedRedis
from wall.config import WallConfig


def half_year_start(now: datetime) -> datetime:
    """1 January or 1 July of ``now``'s year, in ``now``'s zone: the published period."""
    return now.replace(month=1 if now.month < 7 else 7, day=1, hour=0, minute=0, second=0,
                       microsecond=0)  # fmt: skip


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def data_plane(
    config: WallConfig, config_path: Path, speed: float = 1.0, seed: int = 0
) -> Iterator[str]:
    """Start what the wall reads from; yields the Redis URL."""
    # SIGTERM (a service manager, `timeout`) must run the clean-up below too.
    signal.signal(signal.SIGTERM, _interrupt)
    url = os.environ.get("REDIS_URL") or config.redis.url
    embedded = None
    if not url:
        embedded = EmbeddedRedis()
        embedded.start()
        url = embedded.url
    env = {**os.environ, "REDIS_URL": url}
    now = datetime.now().astimezone()
    backfill = int((now - half_year_start(now)).total_seconds())
    base = [sys.executable, "-m", "wall.cli"]
    children = [
        subprocess.Popen([*base, "relay", "--config", str(config_path)], env=env),
        subprocess.Popen([*base, "aggregate", "--config", str(config_path)], env=env),
        subprocess.Popen(
            [*base, "simulate", "--config", str(config_path), "--speed", str(speed),
             "--seed", str(seed), "--backfill", f"{backfill}s", "--no-cameras"],
            env=env,
        ),
    ]  # fmt: skip
    try:
        yield url
    finally:
        for child in children:
            stop_process(child, timeout=10)
        if embedded is not None:
            embedded.close()
