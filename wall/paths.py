"""Where the checkout's own files are (assets, the shipped config)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = ROOT / "assets"
SHIPPED_CONFIG = ROOT / "wall_config.yaml"


def default_config_path() -> Path:
    """``./wall_config.yaml`` when there is one, else the one shipped with citywall."""
    here = Path("wall_config.yaml")
    return here if here.is_file() else SHIPPED_CONFIG
