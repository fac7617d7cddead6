"""WSGI entry point: ``waitress-serve app:server`` or ``python app.py``.

The config comes from $CITYWALL_CONFIG, else ./wall_config.yaml. A bad config
prints every problem with its line and exits 1, as ``citywall serve`` does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from wall.app import create_app
from wall.config import ConfigError, load_config
from wall.paths import default_config_path

CONFIG_PATH = Path(os.environ.get("CITYWALL_CONFIG") or default_config_path())

try:
    app = create_app(load_config(CONFIG_PATH))
except ConfigError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
server = app.server

if __name__ == "__main__":
    from wall.cli import main

    sys.exit(main(["serve", "--config", str(CONFIG_PATH)]))
