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

import yaml

from core.localhost import free_port, port_free
from core.secrets import refuse_to_expose
from wall.auth.passwords import hash_password
from wall.cli_api import add_commands as add_api_commands
from wall.cli_auth import add_commands as add_auth_commands
from wall.cli_autocapture import add_commands as add_autocapture_commands
from wall.cli_cameras import add_commands as add_cameras_commands
from wall.cli_common import (
    NoRedisError,
    add_config_arg,
    load_or_report,
    redis_url_of,
    setup_logging,
    snapshots_dir,
)
from wall.cli_data import add_commands
from wall.cli_init import add_commands as add_init_commands
from wall.cli_status import add_commands as add_status_commands
from wall.cli_video import add_commands as add_video_commands
from wall.config import WallConfig
from wall.config.auth import ROLES, UserSpec
from wall.config.models import config_model
from wall.paths import default_config_path

# Per web worker: 300 open pages (a hall's busy hour is ~140) and room for requests.
STREAM_THREADS = 360
CONNECTION_LIMIT = 1000

if TYPE_CHECKING:  # the app is imported when serving: Dash is slow to import
    from wall.app import ReloadSpec
    from wall.services import Services


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
    add_config_arg(serve)
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    serve.add_argument(
        "--validate-config", action="store_true", help="only validate the config; exit 0 or 1"
    )
    # The demo's web child: its sign-in users and banner (not for people to type).
    serve.add_argument("--users-file", type=Path, default=None, help=argparse.SUPPRESS)
    serve.add_argument("--banner", default=None, help=argparse.SUPPRESS)
    serve.add_argument("--logins", default=None, help=argparse.SUPPRESS)
    serve.set_defaults(handler=_serve)

    demo = commands.add_parser("demo", help="start the whole wall with its embedded defaults")
    add_config_arg(demo)
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

    add_commands(commands)
    add_video_commands(commands)
    add_cameras_commands(commands)
    add_auth_commands(commands)
    add_api_commands(commands)
    add_status_commands(commands)
    add_init_commands(commands)
    add_autocapture_commands(commands)

    check = commands.add_parser("check-config", help="validate a config file; exit 0 or 1")
    check.add_argument("path", type=Path, help="the config file")
    check.set_defaults(handler=_check_config)

    schema = commands.add_parser("config-schema", help="print the config's JSON Schema")
    schema.add_argument(
        "--markdown", action="store_true", help="print the config reference in Markdown instead"
    )
    schema.set_defaults(handler=_config_schema)
    return parser


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
    model = config_model()
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
    refusal = None if args.validate_config else refuse_to_expose(args.host)
    if refusal:
        print(f"citywall {args.command}: {refusal}", file=sys.stderr)
        return 1
    if args.validate_config:
        print(f"{path}: OK")
    elif args.command == "demo":
        from wall.demo import DemoWeb, run_demo

        port = args.port if port_free(args.host, args.port) else free_port(args.host)
        users, logins = demo_users(config)
        banner = f"citywall demo (Redis {{redis}}, video relay {config.relay.browser_url()})"
        run_demo(config, path, DemoWeb(args.host, port, banner, logins, users),
                 speed=args.speed, seed=args.seed)  # fmt: skip
    else:
        if args.users_file is not None:
            config = with_users(config, args.users_file)
        banner = args.banner or f"citywall serving {path}"
        _run(config, args.host, args.port, banner, redis_url_of(config), snapshots_dir(path),
             logins=args.logins, reload=(path, restart_in_place))  # fmt: skip
    return 0


def demo_users(config: WallConfig) -> tuple[list[dict[str, str]], str]:
    """The demo's sign-in: the config's users if it has any, else an admin, an operator
    and a viewer with fresh passwords, printed once (only their hashes leave here)."""
    if config.auth.users:
        return [], f"the users of auth.users ({len(config.auth.users)})"
    passwords = {role: secrets.token_urlsafe(9) for role in ROLES}
    users = [{"name": role, "role": role, "password_hash": hash_password(passwords[role])}
             for role in ROLES]  # fmt: skip
    logins = ", ".join(f"{role} / {passwords[role]}" for role in reversed(ROLES))
    return users, logins


def with_users(config: WallConfig, users_file: Path) -> WallConfig:
    """``config`` with the users of a YAML list added (the demo's web child)."""
    listed = yaml.safe_load(users_file.read_text(encoding="utf-8")) or []
    users = [*config.auth.users, *(UserSpec.model_validate(user) for user in listed)]
    auth = config.auth.model_copy(update={"users": users})
    return config.model_copy(update={"auth": auth})


def _serve_osmand_port(config: WallConfig, services: Services, host: str) -> None:
    """The terminals' reports alone on ``ingest.osmand_port`` (as Traccar's 5055)."""
    port = config.ingest.osmand_port
    if port is None:
        return
    import threading

    from waitress.server import create_server

    from wall.api.osmand import osmand_only_app

    receiver = services.api.osmand if services.api is not None else None
    app = osmand_only_app(receiver, config.ingest.rate_limit)
    server = create_server(app, host=host, port=port, threads=8, ident="citywall-osmand")
    threading.Thread(target=server.run, name="osmand", daemon=True).start()
    print(f"  terminals (OsmAnd): http://{host}:{port}/api/osmand/<token>", flush=True)


def _run(
    config: WallConfig,
    host: str,
    port: int,
    banner: str,
    redis_url: str | None,
    snapshots_at: Path,
    logins: str | None = None,
    reload: ReloadSpec | None = None,
) -> None:
    from waitress import serve

    from wall.app import build_wall

    setup_logging()  # plain, or JSON with CITYWALL_LOG_FORMAT=json
    wall = build_wall(config, redis_url, snapshots_at, reload)
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
    wall.services.start()
    _serve_osmand_port(config, wall.services, host)
    try:
        # Each open page (screen, console, tablet) holds a thread and a connection for its
        # event stream; waitress's defaults (4 threads, 100 connections) would leave the
        # 101st page of a hall hanging. Forwarded headers reach the app, which believes
        # them only from web.trusted_proxies.
        serve(wall.server, host=host, port=port, threads=STREAM_THREADS,
              connection_limit=CONNECTION_LIMIT, ident="citywall", _quiet=True,
              clear_untrusted_proxy_headers=False)  # fmt: skip
    finally:
        wall.services.stop()


def restart_in_place() -> None:
    """The admin's config reload: this process becomes a new ``citywall serve`` with the
    same arguments and PID (sockets are not inherited; screens reconnect by themselves)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "wall.cli", *sys.argv[1:]])


def _login_hint(config: WallConfig) -> str:
    users = f"{len(config.auth.users)} user(s) of auth.users"
    return f"{users}; wall PCs: citywall token create --screen N"


if __name__ == "__main__":
    sys.exit(main())
