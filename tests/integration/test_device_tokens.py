"""Device tokens against a real redis-server, made and revoked with the real command:
a token is shown once, works until revoked, and Redis keeps only its hash."""

from __future__ import annotations

import os
import subprocess

import redis

from data_feeds.redis_server import EmbeddedRedis
from testkit.citywall import SHIPPED_CONFIG, citywall_command
from wall.auth.audit import AuditLog
from wall.auth.devices import DeviceTokens


def citywall(redis_server: EmbeddedRedis, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [citywall_command(), "token", *args, "--config", str(SHIPPED_CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REDIS_URL": redis_server.url},
    )


def test_create_verify_revoke(redis_client: redis.Redis) -> None:
    tokens = DeviceTokens(redis_client)
    device, token = tokens.create(screen=7)
    assert tokens.verify(token) == device and device.name == "screen-7"
    assert tokens.verify(token + "x") is None  # a wrong secret
    assert tokens.verify("nope." + token.split(".")[1]) is None  # an unknown id
    secret = token.split(".")[1]
    assert secret.encode() not in b"".join(redis_client.hvals("citywall:auth:devices"))
    assert tokens.active(device.id)
    assert tokens.revoke(device.id)
    assert not tokens.active(device.id) and tokens.verify(token) is None
    assert not tokens.revoke("nope")


def test_the_command_makes_and_revokes_tokens(
    redis_server: EmbeddedRedis, redis_client: redis.Redis
) -> None:
    made = citywall(redis_server, "create", "--screen", "7", "--name", "大屏7号机")
    assert made.returncode == 0, made.stderr
    token = next(line.split()[1] for line in made.stdout.splitlines() if line.startswith("token:"))
    tokens = DeviceTokens(redis_client)
    device = tokens.verify(token)
    assert device is not None and (device.screen, device.name) == (7, "大屏7号机")
    assert f"/login/device?token={token}" in made.stdout

    listed = citywall(redis_server, "list")
    assert f"{device.id}  screen  7  active" in listed.stdout

    revoked = citywall(redis_server, "revoke", device.id)
    assert revoked.returncode == 0 and tokens.verify(token) is None
    # Both admin actions are in the audit log: who, what, before and after; no secret.
    revoke, create = AuditLog(redis_client).latest(2)
    assert (create.action, revoke.action) == ("token.create", "token.revoke")
    assert create.who.startswith("cli:") and create.before is None
    assert create.after["screen"] == 7 and create.after["revoked_ms"] is None
    assert revoke.before["revoked_ms"] is None and revoke.after["revoked_ms"] > 0
    assert revoke.at_ms >= create.at_ms
    secret = token.split(".")[1].encode()
    assert all(secret not in b"".join(f.values()) for _, f in redis_client.xrange("citywall:audit"))
    assert "revoked" in citywall(redis_server, "list").stdout
    assert citywall(redis_server, "revoke", "nope").returncode == 1
    off_wall = citywall(redis_server, "create", "--screen", "19")
    assert off_wall.returncode == 2 and "1..18" in off_wall.stderr
