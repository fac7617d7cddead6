"""The installation's keys: the session key (signs sign-in cookies) and the relay key
(signs viewer and snapshot tokens). None is shipped: each comes from the environment,
else the config, else is generated once and shared by every process of the
installation through Redis (``SET NX``: the first process wins, all read the same), or,
when Redis does not answer, through a 0600 file in the state directory.

Known published values and short keys are refused wherever a key is given: a key that
is in our docs, tests or history is a key anyone can sign tokens with.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import redis

from core.keys import Keys
from core.outage import OUTAGE_ERRORS

log = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32
# Every value that ever appeared as a key in citywall's config, docs or tests.
PUBLISHED_SECRETS = frozenset(
    {
        "citywall-demo-token",
        "browser-test-token",
        "switch-test-key",
        "s3cret-token",
        "snapshot-test-key",
        "status-test-token",
        "change-me",
        "changeme",
        "secret",
        "citywall",
    }
)

SESSION_ENV = "CITYWALL_SECRET"
RELAY_ENV = "CITYWALL_RELAY_KEY"
STATE_DIR_ENV = ("CITYWALL_STATE_DIR", "STATE_DIRECTORY")  # ours, then systemd's

Source = Literal["environment", "config", "Redis", "file", "this process"]


@dataclass(frozen=True)
class Secret:
    value: str
    source: Source

    def __repr__(self) -> str:  # never in a log or a traceback
        return f"Secret(source={self.source!r})"


def weakness(value: str) -> str | None:
    """Why ``value`` must not be a key, or None when it may."""
    if value in PUBLISHED_SECRETS:
        return "is a published value (it appears in citywall's docs or tests)"
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    return None


def session_secret(client: redis.Redis | None, keys: Keys) -> Secret:
    """$CITYWALL_SECRET, else shared through Redis or the state file."""
    return resolve(SESSION_ENV, None, client, keys.session_secret, "session.key")


def relay_key(client: redis.Redis | None, keys: Keys, configured: str | None) -> Secret:
    """$CITYWALL_RELAY_KEY, else ``relay.token`` of the config, else shared."""
    return resolve(RELAY_ENV, configured, client, keys.relay_key, "relay.key")


def resolve(
    env: str, configured: str | None, client: redis.Redis | None, key: str, file_name: str
) -> Secret:
    from_env = os.environ.get(env)
    if from_env:
        return Secret(from_env, "environment")
    if configured:
        return Secret(configured, "config")
    if client is not None:
        try:
            client.set(key, secrets.token_urlsafe(32), nx=True)
            return Secret(cast(bytes, client.get(key)).decode(), "Redis")
        except OUTAGE_ERRORS as exc:
            log.warning("%s not read from Redis (%s)", file_name, exc)
    path = state_file(file_name)
    if path is not None:
        return Secret(_read_or_create(path), "file")
    log.warning("%s: no Redis and no state directory: a key for this process only", file_name)
    return Secret(secrets.token_urlsafe(32), "this process")


def state_file(name: str) -> Path | None:
    for variable in STATE_DIR_ENV:
        directory = os.environ.get(variable)
        if directory:
            # systemd may list several directories separated by ':'; the first is ours.
            return Path(directory.split(":")[0]) / name
    return None


def _read_or_create(path: Path) -> str:
    """The key kept in ``path``, made (mode 0600, never readable by others) if absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def env_weaknesses() -> list[str]:
    """The keys set in the environment that must not be used on a network address."""
    problems = []
    for name in (SESSION_ENV, RELAY_ENV):
        value = os.environ.get(name)
        reason = weakness(value) if value else None
        if reason:
            problems.append(f"${name} {reason}")
    return problems


def is_loopback(host: str) -> bool:
    """Whether a listening address is reachable from this machine only."""
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def refuse_to_expose(host: str) -> str | None:
    """Why a server must not listen on ``host`` with the keys of this environment, or
    None. On a loopback address a weak key endangers nobody else (the demo, tests)."""
    if is_loopback(host):
        return None
    problems = env_weaknesses()
    if not problems:
        return None
    return (
        f"refusing to listen on {host}: "
        + "; ".join(problems)
        + f". Set a random key of {MIN_SECRET_BYTES}+ bytes (citywall init writes one) or "
        "unset it to have one generated"
    )
