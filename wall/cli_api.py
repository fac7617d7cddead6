"""Other systems' credentials: ``citywall apikey create|list|revoke`` (the ingest API's
keys, with the streams each may write) and ``citywall terminal add|list|revoke`` (the
officers' phones: the OsmAnd URL to set in Traccar Client). A key or a terminal's
token is printed once; Redis keeps its hash. Each command is in the audit log."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from core.keys import Keys
from core.redis_url import connect
from wall.api.credentials import SCOPES, Credential, CredentialStore, api_keys, terminals
from wall.auth.audit import AuditLog
from wall.cli_common import add_config_arg, add_redis_arg, load_or_report, redis_url


def add_commands(commands: Any) -> None:
    apikey = commands.add_parser("apikey", help="API keys of other systems (ingest API)")
    actions = apikey.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="a key for one system (printed once)")
    create.add_argument("--name", required=True, help="the system, e.g. szcg-business")
    create.add_argument(
        "--scope", required=True, help=f"streams it may write, comma-separated: {','.join(SCOPES)}"
    )
    revoke = actions.add_parser("revoke", help="refuse the key from its next request")
    revoke.add_argument("id", help="the key's id (before the dot)")
    listing = actions.add_parser("list", help="every key, active and revoked")
    _common(create, revoke, listing)

    terminal = commands.add_parser("terminal", help="officers' handheld terminals (OsmAnd)")
    actions = terminal.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="a terminal: prints the URL for Traccar Client")
    add.add_argument("--device", required=True, help="the device id the phone reports")
    add.add_argument("--officer", required=True, help="the officer's id")
    add.add_argument("--name", required=True, help="the officer's name, shown on the map")
    add.add_argument("--grid", required=True, help="the officer's responsibility grid")
    add.add_argument(
        "--base-url", default="https://WALL-HOST", help="the wall's address as phones reach it"
    )
    remove = actions.add_parser("revoke", help="refuse the terminal from its next report")
    remove.add_argument("id", help="the terminal's id (before the dot of its token)")
    shown = actions.add_parser("list", help="every terminal, active and revoked")
    _common(add, remove, shown)


def _common(*parsers: argparse.ArgumentParser) -> None:
    for parser in parsers:
        add_config_arg(parser)
        add_redis_arg(parser)
        parser.set_defaults(handler=_command)


def _command(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 1
    client = connect(redis_url(config, args.redis_url))
    try:
        keys = Keys(config.redis.prefix)
        audit = AuditLog(client, keys)
        who = f"cli:{getpass.getuser()}"
        if args.command == "apikey":
            return _apikey(args, api_keys(client, keys), audit, who)
        return _terminal(args, terminals(client, keys), audit, who)
    finally:
        client.close()


def _apikey(args: argparse.Namespace, store: CredentialStore, audit: AuditLog, who: str) -> int:
    if args.action == "create":
        scopes = [scope.strip() for scope in args.scope.split(",") if scope.strip()]
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            print(f"--scope: one or more of {','.join(SCOPES)} (got {args.scope!r})",
                  file=sys.stderr)  # fmt: skip
            return 2
        key, token = store.create(args.name, {"scopes": scopes})
        audit.record(who, "apikey.create", None, key.public(), address="cli")
        print(f"key {key.id} ({key.name}) may write: {', '.join(scopes)}")
        print(f"key:  {token}")
        print("shown once: only its hash is kept. Send it as  Authorization: Bearer <key>")
        return 0
    return _revoke_or_list(args, store, audit, who, "apikey")


def _terminal(args: argparse.Namespace, store: CredentialStore, audit: AuditLog, who: str) -> int:
    if args.action == "add":
        attrs = {"device_id": args.device, "officer_id": args.officer, "grid": args.grid}
        made, token = store.create(args.name, attrs)
        audit.record(who, "terminal.add", None, made.public(), address="cli")
        print(f"terminal {made.id}: device {args.device} → officer {args.officer} ({args.name})")
        print(f"url:  {args.base_url.rstrip('/')}/api/osmand/{token}")
        print("shown once: set it as the server URL in Traccar Client (device id "
              f"{args.device}).")  # fmt: skip
        return 0
    return _revoke_or_list(args, store, audit, who, "terminal")


def _revoke_or_list(
    args: argparse.Namespace, store: CredentialStore, audit: AuditLog, who: str, what: str
) -> int:
    if args.action == "revoke":
        changed = store.revoke(args.id)
        if changed is None:
            print(f"no {what} {args.id!r}", file=sys.stderr)
            return 1
        before, after = changed
        audit.record(who, f"{what}.revoke", before.public(), after.public(), address="cli")
        print(f"{what} {args.id} revoked")
        return 0
    listed = store.list()
    audit.record(who, f"{what}.list", None, {"count": len(listed)}, address="cli")
    for item in listed:
        print(_line(item))
    return 0


def _line(item: Credential) -> str:
    state = "active" if item.active else "revoked"
    scopes = item.attrs.get("scopes")
    what = ",".join(scopes) if isinstance(scopes, list) else (
        f"device {item.attrs.get('device_id')} → {item.attrs.get('officer_id')}"
    )  # fmt: skip
    return f"{item.id}  {state:8}  {item.name}  {what}"
