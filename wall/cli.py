"""The ``citywall`` command: serve, demo, simulate, aggregate, check-config, config-schema."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from core.keys import Keys
from core.localhost import free_port, port_free
from wall.auth.devices import DeviceTokens
from wall.auth.passwords import hash_password
from wall.auth.roles import ROLES
from wall.auth.secret import session_secret
from wall.cli_auth import add_commands as add_auth_commands
from wall.cli_data import NoRedisError, add_commands
from wall.cli_video import add_commands as add_video_commands
from wall.config import ConfigError, WallConfig, load_config
from wall.config.models import UserSpec, config_model
from wall.control import WallControl
from wall.control.alarms import AlarmWatcher
from wall.control.snapshots import SnapshotStore
from wall.live.hub import LiveHub
from wall.paths import default_config_path
from wall.tiles.registry import tile_types

if TYPE_CHECKING:  # the app is imported when serving: Dash is slow to import
    from wall.app import ReloadSpec


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except NoRedisError as exc:
        print(f"citywall {args.command}: {exc}", file=sys.stderr)
        return 2
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citywall", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the wall")
    _add_config_arg(serve)
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    serve.add_argument(
        "--validate-config", action="store_true", help="only validate the config; exit 0 or 1"
    )
    serve.set_defaults(handler=_serve)

    demo = commands.add_parser("demo", help="start the whole wall with its embedded defaults")
    _add_config_arg(demo)
    demo.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    demo.add_argument(
        "--port", type=int, default=8050, help="port; a free one if taken (default 8050)"
    )
    demo.add_argument(
        "--speed", type=float, default=1.0, help="the simulated city's speed (default 1)"
    )
    demo.add_argument("--seed", type=int, default=0, help="the simulated city's seed")
    demo.set_defaults(handler=_serve, validate_config=False)

    add_commands(commands, _add_config_arg)
    add_video_commands(commands, _add_config_arg)
    add_auth_commands(commands, _add_config_arg)

    check = commands.add_parser("check-config", help="validate a config file; exit 0 or 1")
    check.add_argument("path", type=Path, help="the config file")
    check.set_defaults(handler=_check_config)

    schema = commands.add_parser("config-schema", help="print the config's JSON Schema")
    schema.add_argument(
        "--markdown", action="store_true", help="print the config reference in Markdown instead"
    )
    schema.set_defaults(handler=_config_schema)
    return parser


def _add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="config file (default ./wall_config.yaml, else the shipped one)",
    )


def load_or_report(path: Path | None) -> WallConfig | None:
    """The config (``path``, else the default one), or None after printing its problems."""
    path = path or default_config_path()
    try:
        return load_config(path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{path}: {len(exc.issues)} problem(s); the wall was not started", file=sys.stderr)
        return None


def _check_config(args: argparse.Namespace) -> int:
    config = load_or_report(args.path)
    if config is None:
        return 1
    print(
        f"{args.path}: OK ({len(config.tiles)} tiles on {config.wall.screen_count} screens, "
        f"{len(config.cameras.items)} cameras)"
    )
    return 0


def _config_schema(args: argparse.Namespace) -> int:
    model = config_model(tile_types())
    if args.markdown:
        from wall.config.reference import markdown_reference

        print(markdown_reference(model), end="")
    else:
        print(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))
    return 0


def _serve(args: argparse.Namespace) -> int:
    path = args.config or default_config_path()
    if args.command == "demo" and "RELAY_PORT" not in os.environ:
        # The shipped config reads the relay's port from $RELAY_PORT: a free one if
        # 8889 is taken, so a second demo (or a test run) does not collide.
        relay_port = 8889 if port_free("127.0.0.1", 8889) else free_port()
        os.environ["RELAY_PORT"] = str(relay_port)
    config = load_or_report(path)
    if config is None:
        return 1
    if args.validate_config:
        print(f"{path}: OK")
    elif args.command == "demo":
        from wall.demo import data_plane

        port = args.port if port_free(args.host, args.port) else free_port(args.host)
        config, logins = with_demo_users(config)
        with data_plane(config, path, speed=args.speed, seed=args.seed) as url:
            banner = f"citywall demo (Redis {url}, video relay {config.relay.browser_url()})"
            _run(config, args.host, port, banner, url, snapshots_dir(path), logins=logins)
    else:
        redis_url = os.environ.get("REDIS_URL") or config.redis.url
        banner = f"citywall serving {path}"
        _run(config, args.host, args.port, banner, redis_url, snapshots_dir(path),
             reload=(path, restart_in_place))  # fmt: skip
    return 0


def with_demo_users(config: WallConfig) -> tuple[WallConfig, str]:
    """The demo's sign-in: the config's users if it has any, else an admin, an operator
    and a viewer with fresh passwords, printed once."""
    if config.auth.users:
        return config, f"the users of auth.users ({len(config.auth.users)})"
    passwords = {role: secrets.token_urlsafe(9) for role in ROLES}
    users = [UserSpec(name=role, role=role, password_hash=hash_password(passwords[role]))
             for role in ROLES]  # fmt: skip
    auth = config.auth.model_copy(update={"users": users})
    logins = ", ".join(f"{role} / {passwords[role]}" for role in reversed(ROLES))
    return config.model_copy(update={"auth": auth}), logins


def _run(
    config: WallConfig,
    host: str,
    port: int,
    banner: str,
    redis_url: str | None,
    snapshots_dir: Path,
    logins: str | None = None,
    reload: ReloadSpec | None = None,
) -> None:
    from waitress import serve

    from wall.app import create_app

    hub = _live_hub(config, redis_url)
    client = redis.Redis.from_url(redis_url, socket_timeout=2) if redis_url else None
    keys = Keys(config.redis.prefix)
    devices = DeviceTokens(client, keys) if client is not None else None
    control, watcher, snapshots = _operator_services(config, client, snapshots_dir)
    app = create_app(
        config, hub=hub, devices=devices, secret=session_secret(client, keys), control=control,
        snapshots=snapshots, reload=reload,
    )  # fmt: skip
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    base = f"http://{shown}:{port}"
    count = config.wall.screen_count
    print(
        f"{banner}\n"
        f"  wall:    {base}/wall\n"
        f"  screens: {base}/wall/screen/1 … {base}/wall/screen/{count}\n"
        f"  console: {base}/console   tablet: {base}/tablet\n"
        f"  login:   {base}/login  {logins or _login_hint(config)}\n"
        f"Press Ctrl+C to stop.",
        flush=True,
    )
    if watcher is not None:
        watcher.start()  # the alarm pop-up: new urgent / video cases (wall/control/alarms.py)
    try:
        # Each connected screen holds one thread for its event stream: room for 100.
        serve(app.server, host=host, port=port, threads=128, ident="citywall", _quiet=True)
    finally:
        if watcher is not None:
            watcher.stop()
        if hub is not None:
            hub.stop()


def _operator_services(
    config: WallConfig, client: redis.Redis | None, snapshots_dir: Path
) -> tuple[WallControl | None, AlarmWatcher | None, SnapshotStore | None]:
    """The wall state, the alarm pop-up's watcher and the evidence store: all need Redis."""
    if client is None:
        return None, None, None
    control = WallControl(client, config)
    watcher = None
    if config.alarms is not None:
        watcher = AlarmWatcher(client, config, control, consumer=f"web-{os.getpid()}")
    return control, watcher, SnapshotStore(client, config, snapshots_dir)


def snapshots_dir(config_path: Path) -> Path:
    """Where evidence snapshots are kept: $CITYWALL_SNAPSHOTS, else beside the config."""
    return Path(os.environ.get("CITYWALL_SNAPSHOTS") or config_path.parent / "snapshots")


def restart_in_place() -> None:
    """The admin's config reload: this process becomes a new ``citywall serve`` with the
    same arguments and PID (sockets are not inherited; screens reconnect by themselves)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "wall.cli", *sys.argv[1:]])


def _login_hint(config: WallConfig) -> str:
    users = f"{len(config.auth.users)} user(s) of auth.users"
    return f"{users}; wall PCs: citywall token create --screen N"


def _live_hub(config: WallConfig, url: str | None) -> LiveHub | None:
    """The live tiles' feed; with no Redis configured, none (the tiles say so)."""
    if not url:
        return None
    from wall.live import open_hub

    return open_hub(config, tile_types(), url)


if __name__ == "__main__":
    sys.exit(main())
