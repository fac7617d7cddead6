"""Prometheus metrics of the web tier (issue 13)."""

from __future__ import annotations

from flask import Flask

from wall.services import Services


def install_metrics(server: Flask, services: Services) -> None:
    """``/metrics`` for the web tier. (To be filled.)"""
