"""Where citywall's own files are: the browser assets and the shipped example hall
(the Xiangyin config, its 347-camera inventory and its offline basemap).

In a checkout (and the editable install of ``make demo``/``make test``) they are the
top-level files; a wheel carries copies in ``wall/_shipped`` (setup.py puts them
there at build time), so an installed citywall needs no checkout.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_PACKAGED = _PACKAGE / "_shipped"
SHIPPED_DIR = _PACKAGED if _PACKAGED.is_dir() else _PACKAGE.parent
ASSETS_DIR = SHIPPED_DIR / "assets"
SHIPPED_CONFIG = SHIPPED_DIR / "wall_config.yaml"
DEPLOY_DIR = SHIPPED_DIR / "deploy"  # systemd units, nginx site, backup scripts


def default_config_path() -> Path:
    """``./wall_config.yaml`` when there is one, else the one shipped with citywall."""
    here = Path("wall_config.yaml")
    return here if here.is_file() else SHIPPED_CONFIG


def is_shipped(config_path: Path) -> bool:
    """Whether ``config_path`` is the example shipped inside an installed package (whose
    directory is not the hall's to write in)."""
    return _PACKAGED.is_dir() and config_path.resolve().is_relative_to(_PACKAGED)
