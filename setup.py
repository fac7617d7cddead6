"""Packaging beyond pyproject.toml: a wheel carries the browser assets, the example
hall (config, camera inventory, basemap) and the deployment files (systemd units,
nginx site, backup scripts), which live at the top of the checkout, as package data
under ``wall/_shipped`` (see wall/paths.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("assets", "wall_config.yaml", "cameras.csv", "basemap.geojson", "deploy")


class BuildWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout's own files in place
        target = Path(self.build_lib) / "wall" / "_shipped"
        for name in SHIPPED:
            source = HERE / name
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithShippedFiles})
