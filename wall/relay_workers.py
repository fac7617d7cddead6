"""``citywall relay --workers N``: N relay nodes on one machine, one per core, on ports
PORT..PORT+N-1, kept running by the supervisor of ``citywall demo``. Each is an
ordinary ``citywall relay`` that beats in Redis as node ``HOSTNAME-i``; the cameras are
shared among them by rendezvous hashing (core.relay_nodes). Behind the reverse proxy
node i is reached at ``<relay.public_url>/i`` (deploy/nginx/citywall.conf routes
``/relay/i/`` to port PORT+i)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import time
from types import FrameType

from core.supervisor import Supervisor
from wall.config import WallConfig

log = logging.getLogger("citywall.relay")


def worker_argv(args: argparse.Namespace, config: WallConfig, index: int) -> list[str]:
    """The command line of node ``index``."""
    host = args.host or config.relay.host
    port = (args.port or config.relay.port) + index
    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    public = config.relay.public_url
    public_url = f"{public.rstrip('/')}/{index}" if public else f"http://{reach}:{port}"
    node = f"{args.node or socket.gethostname()}-{index}"
    argv = [sys.executable, "-m", "wall.cli", "relay", "--host", host, "--port", str(port),
            "--node", node, "--public-url", public_url]  # fmt: skip
    if args.config:
        argv += ["--config", str(args.config)]
    if args.redis_url:
        argv += ["--redis-url", args.redis_url]
    return argv


def run_workers(args: argparse.Namespace, config: WallConfig, redis_url: str | None) -> int:
    if not redis_url:
        print("citywall relay --workers: the nodes share cameras through Redis: set REDIS_URL",
              file=sys.stderr)  # fmt: skip
        return 1
    supervisor = Supervisor()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        for index in range(args.workers):
            supervisor.add(f"relay-{index}", worker_argv(args, config, index), dict(os.environ))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        supervisor.stop()
    return 0
