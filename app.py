"""WSGI entry point: ``waitress-serve --threads=128 app:server``,
``gunicorn -k gthread --threads 128 app:server``, or ``python app.py``. The same
complete wall as ``citywall serve`` (wall.app.build_wall): live tiles, console,
alarms, sign-in, evidence. Each connected screen's event stream holds a thread while
it is open: give the server one per screen (the defaults, 4 threads or one sync
worker, would freeze the wall after a few screens).

The config comes from $CITYWALL_CONFIG, else ./wall_config.yaml; Redis from
$REDIS_URL, else the config's ``redis.url``. A bad config prints every problem with
its line and exits 1, as ``citywall serve`` does.
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

from flask import Flask

from wall.app import build_wall
from wall.cli_common import load_or_report, redis_url_of, snapshots_dir
from wall.paths import default_config_path

CONFIG_PATH = Path(os.environ.get("CITYWALL_CONFIG") or default_config_path())


def wsgi_server() -> Flask:
    """Build the wall of this worker process and start its services."""
    config = load_or_report(CONFIG_PATH)
    if config is None:
        sys.exit(1)
    wall = build_wall(config, redis_url_of(config), snapshots_dir(CONFIG_PATH))
    wall.services.start()  # each worker follows the updates and watches for alarms
    atexit.register(wall.services.stop)
    return wall.server


if __name__ == "__main__":
    from wall.cli import main

    sys.exit(main(["serve", "--config", str(CONFIG_PATH)]))
else:
    server = wsgi_server()
