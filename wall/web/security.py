"""Security headers, trusted proxies and cookies of the web server (issue 13)."""

from __future__ import annotations

from dash import Dash

from wall.config.models import WallConfigBase


def harden(app: Dash, config: WallConfigBase) -> None:
    """Security headers, proxy trust and cookie flags on every response. (To be filled.)"""
