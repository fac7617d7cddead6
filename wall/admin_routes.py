"""Admin actions over HTTP: ``POST /admin/reload`` reads the config file again.

The new config is validated first: an error answers 400 with its lines (file, line,
key) and the wall carries on with the config it has. A valid one is audited, answered
202, and then the ``citywall serve`` process replaces itself (``exec``, same PID, same
arguments) to come up with it: every tile, tour, user and role as the file now says.
Screens reconnect by themselves within a few seconds (their event streams retry every
second). Only ``citywall serve`` can do this: the demo owns its private Redis and
relay, which an ``exec`` would orphan.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from wall.auth.audit import AuditLog
from wall.auth.gate import current_name, require
from wall.config import ConfigError, load_config

log = logging.getLogger(__name__)
RESTART_DELAY_S = 0.5  # the 202 reaches the admin before the process goes


def install_admin_routes(
    server: Flask,
    config_path: Path | None,
    restart: Callable[[], None] | None,
    audit: AuditLog | None,
) -> None:
    only_admins = require("admin")

    @server.route("/admin/reload", methods=["POST"])
    def _reload() -> ResponseReturnValue:
        refused = only_admins()
        if refused is not None:
            return refused
        if config_path is None or restart is None:
            return jsonify(error="reload needs `citywall serve` (the demo cannot)"), 409
        try:
            load_config(config_path)
        except ConfigError as exc:
            return jsonify(error="the config has errors", lines=[str(i) for i in exc.issues]), 400
        who = current_name()
        if audit is not None:
            audit.record(who, "config.reload", None, {"path": str(config_path)})
        log.warning("config reload asked by %s: restarting with %s", who, config_path)
        threading.Timer(RESTART_DELAY_S, restart).start()
        return jsonify(status="reloading", path=str(config_path)), 202
