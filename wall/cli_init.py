"""``citywall init DIR``: a starter hall a county edits into its own — a commented
wall_config.yaml, a camera inventory template, a users file with one admin (password
shown once, only its hash kept), citywall.env with generated keys (mode 0600) and the
deployment files (deploy/: systemd units, nginx site, backup scripts)."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

from core.secrets import RELAY_ENV, SESSION_ENV
from wall.auth.passwords import hash_password
from wall.cli_common import load_or_report
from wall.paths import DEPLOY_DIR

TEMPLATES = Path(__file__).resolve().parent / "templates"
CONFIG, INVENTORY, USERS, ENV = "wall_config.yaml", "cameras.csv", "users.yaml", "citywall.env"


def add_commands(commands: Any) -> None:
    init = commands.add_parser("init", help="write a starter hall (config, cameras, users, keys)")
    init.add_argument("directory", type=Path, help="where to write it (made if missing)")
    init.add_argument("--admin", default="admin", help="the first admin's login (default admin)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.set_defaults(handler=_init_command)


def _init_command(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    names = (CONFIG, INVENTORY, USERS, ENV)
    present = [name for name in names if (directory / name).exists()]
    if present and not args.force:
        print(
            f"citywall init: {directory} already has {', '.join(present)}; nothing written "
            "(--force overwrites them)",
            file=sys.stderr,
        )
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    for name in (CONFIG, INVENTORY):
        (directory / name).write_text((TEMPLATES / name).read_text(encoding="utf-8"), "utf-8")
    password = secrets.token_urlsafe(12)
    _write_private(directory / USERS, users_yaml(args.admin, password))
    _write_private(directory / ENV, env_file())
    shutil.copytree(DEPLOY_DIR, directory / "deploy", dirs_exist_ok=True)
    if load_or_report(directory / CONFIG) is None:
        return 1  # a template that does not validate is our bug: say so loudly
    print(
        f"citywall init: a starter hall in {directory}\n"
        f"  {CONFIG}   the wall: edit titles, tiles, map, cameras\n"
        f"  {INVENTORY}        the camera inventory (4 simulated examples: replace them)\n"
        f"  {USERS}         who signs in; first admin: {args.admin} / {password} "
        "(shown once; only its hash is kept)\n"
        f"  {ENV}       generated keys, mode 0600 (EnvironmentFile of the systemd units)\n"
        "  deploy/            systemd units, the nginx site, backup scripts (docs/deploy.md)\n"
        f"Next: citywall check-config {directory / CONFIG}"
    )
    return 0


def users_yaml(admin: str, password: str) -> str:
    return (
        "# Who may sign in (auth.users_file of wall_config.yaml).\n"
        "# role: viewer (wall, tablet) | operator (also the console) | admin (also users, tokens)\n"
        "# Hash a password with: citywall hash-password\n"
        f"- name: {admin}\n  role: admin\n  password_hash: {hash_password(password)}\n"
    )


def env_file() -> str:
    return (
        "# citywall's keys: never commit, never share; mode 0600.\n"
        "# Read by the systemd units (EnvironmentFile=) and by `set -a; . ./citywall.env`.\n"
        f"{SESSION_ENV}={secrets.token_urlsafe(32)}\n"
        f"{RELAY_ENV}={secrets.token_urlsafe(32)}\n"
        "REDIS_URL=redis://127.0.0.1:6379/0\n"
    )


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, before anything is written to it."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
