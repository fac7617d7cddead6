"""Sign-in commands: ``citywall token create|revoke|list`` (device tokens for the wall
PCs) and ``citywall hash-password`` (a hash for the config's ``auth.users``)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from core.keys import Keys
from core.redis_url import connect
from wall.auth.devices import DeviceTokens
from wall.auth.passwords import WeakPasswordError, hash_password
from wall.cli_common import add_config_arg, add_redis_arg, load_or_report, redis_url


def add_commands(commands: Any) -> None:
    token = commands.add_parser("token", help="device tokens for the unattended wall PCs")
    actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="a token for one screen's PC (shown once)")
    create.add_argument("--screen", type=int, required=True, help="the screen it shows (1..N)")
    create.add_argument("--name", default="", help="a name for the device (default screen-N)")
    revoke = actions.add_parser("revoke", help="stop a device at its next request")
    revoke.add_argument("device_id", help="the device id (before the dot of its token)")
    listing = actions.add_parser("list", help="every device token, active and revoked")
    for parser in (create, revoke, listing):
        add_config_arg(parser)
        add_redis_arg(parser)
        parser.set_defaults(handler=_token_command)

    hashing = commands.add_parser("hash-password", help="hash a password for auth.users")
    hashing.add_argument(
        "--stdin", action="store_true", help="read the password from standard input"
    )
    hashing.set_defaults(handler=_hash_command)


def _token_command(args: argparse.Namespace) -> int:

    config = load_or_report(args.config)
    if config is None:
        return 1
    client = connect(redis_url(config, args.redis_url))
    try:
        keys = Keys(config.redis.prefix)
        tokens = DeviceTokens(client, keys)
        who = f"cli:{getpass.getuser()}"
        if args.action == "create":
            if not 1 <= args.screen <= config.wall.screen_count:
                print(f"--screen: 1..{config.wall.screen_count}", file=sys.stderr)
                return 2
            device, token = tokens.create_audited(who, args.screen, args.name)
            print(f"device {device.id} ({device.name}, screen {device.screen})")
            print(f"token:  {token}")
            print(f"open:   /login/device?token={token}")
            return 0
        if args.action == "revoke":
            if tokens.revoke_audited(who, args.device_id) is None:
                print(f"no device {args.device_id!r}", file=sys.stderr)
                return 1
            print(f"device {args.device_id} revoked")
            return 0
        for device in tokens.list():
            state = "active" if device.active else "revoked"
            print(f"{device.id}  screen {device.screen:>2}  {state:8}  {device.name}")
        return 0
    finally:
        client.close()


def _hash_command(args: argparse.Namespace) -> int:
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 1
    try:
        print(hash_password(password))
    except WeakPasswordError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0
