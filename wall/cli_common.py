"""What every ``citywall`` subcommand shares: the config and Redis arguments, loading
the config with its problems reported, stopping on signals. Imports no Dash: the
data and video commands start without the web tier."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from wall.config import ConfigError, WallConfig, load_config
from wall.paths import default_config_path, is_shipped


class NoRedisError(RuntimeError):
    pass


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="config file (default ./wall_config.yaml, else the shipped one)",
    )


def add_redis_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis-url", default=None, help="Redis to use (default $REDIS_URL, else redis.url)"
    )


def load_or_report(path: Path | None) -> WallConfig | None:
    """The config (``path``, else the default one), or None after printing its problems."""
    path = path or default_config_path()
    try:
        return load_config(path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{path}: {len(exc.issues)} problem(s); the wall was not started", file=sys.stderr)
        return None


def snapshots_dir(config_path: Path) -> Path:
    """Where evidence snapshots are kept: $CITYWALL_SNAPSHOTS, else beside the config
    (``./snapshots`` for the example shipped inside the package)."""
    configured = os.environ.get("CITYWALL_SNAPSHOTS")
    if configured:
        return Path(configured)
    return Path("snapshots") if is_shipped(config_path) else config_path.parent / "snapshots"


def redis_url_of(config: WallConfig) -> str | None:
    """$REDIS_URL, else the config's ``redis.url``, else None (no live data)."""
    return os.environ.get("REDIS_URL") or config.redis.url


def redis_url(config: WallConfig, override: str | None = None) -> str:
    url = override or redis_url_of(config)
    if not url:
        raise NoRedisError(
            "no Redis: set REDIS_URL or redis.url in the config, or pass --redis-url "
            "(`citywall demo` starts a private one by itself)"
        )
    return url


def stop_on_signals() -> list[bool]:
    """A flag set by SIGTERM or SIGINT, so loops finish their batch and close cleanly."""
    stopped = [False]

    def handler(signum: int, frame: FrameType | None) -> None:
        stopped[0] = True

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stopped


LOG_FORMAT_ENV = "CITYWALL_LOG_FORMAT"  # "json": one JSON object a line; else plain text
TEXT_FORMAT = "%(asctime)s %(name)s: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(process)d %(message)s"


def setup_logging(level: int = logging.INFO) -> None:
    """Every command's logging, on stderr: plain lines, or with ``CITYWALL_LOG_FORMAT=json``
    one JSON object per line (``time`` in UTC ISO 8601, ``level``, ``logger``, ``pid``,
    ``message``, and ``exc_info`` with a traceback) for a log collector."""
    handler = logging.StreamHandler()
    if os.environ.get(LOG_FORMAT_ENV, "").strip().lower() == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
                timestamp="time",
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
