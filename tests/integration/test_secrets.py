"""No public secrets: a relay started the demo's way (no key in its config) does not
accept tokens signed with the key we once published, the web tier and the relay share
the key generated on first start, and servers refuse a weak key on a network address."""

from __future__ import annotations

import asyncio
import os
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import redis
import requests

from core.keys import Keys
from core.localhost import free_port
from core.secrets import relay_key
from core.tokens import sign_snapshot_token, sign_viewer_token
from data_feeds.redis_server import EmbeddedRedis
from testkit.citywall import RunningWall, citywall_command, start_wall, write_config
from testkit.whep import WhepViewer
from wall.config import load_config
from wall.services import open_services
from wall.tile_views import tile_views, wall_translator

PUBLISHED_KEY = "citywall-demo-token"  # the default relay.token of citywall 0.1
CAMERA = "XY-001"


def _relay(tmp_path: Path, redis_url: str) -> RunningWall:
    port = free_port()
    config = write_config(tmp_path / "wall_config.yaml", "  - {id: clock, type: clock, x: 0, y: 0}")
    env = {**_clean_env(), "RELAY_PORT": str(port), "REDIS_URL": redis_url}
    return start_wall(["relay", "--config", str(config)], tmp_path / "relay.log", port, env=env)


def _clean_env() -> dict[str, str]:
    """This environment without any key: the parts must make their own."""
    drop = {"CITYWALL_SECRET", "CITYWALL_RELAY_KEY", "CITYWALL_STATE_DIR", "STATE_DIRECTORY"}
    return {name: value for name, value in os.environ.items() if name not in drop}


async def _offer(relay_url: str, key: str) -> int:
    viewer = WhepViewer(relay_url, key)
    try:
        return await viewer.connect(CAMERA)
    finally:
        await viewer.close()


def test_a_token_signed_with_the_published_key_is_refused_and_a_real_one_plays(
    redis_server: EmbeddedRedis, redis_client: redis.Redis, tmp_path: Path
) -> None:
    relay = _relay(tmp_path, redis_server.url)
    try:
        assert asyncio.run(_offer(relay.url, PUBLISHED_KEY)) == 401
        snapshot = requests.get(
            f"{relay.url}/snapshot/{urllib.parse.quote(CAMERA)}",
            headers={"Authorization": f"Bearer {sign_snapshot_token(PUBLISHED_KEY, 'x', CAMERA)}"},
            timeout=10,
        )
        assert snapshot.status_code == 401
        # The key the relay generated is in Redis for the web tier; with it, the camera plays.
        shared = redis_client.get(Keys().relay_key)
        assert shared is not None and shared.decode() != PUBLISHED_KEY
        assert asyncio.run(_offer(relay.url, shared.decode())) == 201
    finally:
        relay.stop()


def test_the_web_tier_signs_with_the_key_the_relay_checks(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    """Started in either order, web and relay processes end up with one key."""
    config_path = write_config(tmp_path / "web.yaml", "  - {id: clock, type: clock, x: 0, y: 0}")
    config = load_config(config_path)
    views = tile_views()
    services = open_services(
        config, views, wall_translator("zh-CN", views), redis_server.url, tmp_path / "snaps"
    )
    try:
        relay = _relay(tmp_path, redis_server.url)
        try:
            token = sign_viewer_token(services.relay_key, "operator", CAMERA)
            viewer_url = f"{relay.url}/whep/{CAMERA}?stream=sub"
            refused = requests.post(
                viewer_url, data="v=0", headers={"Authorization": f"Bearer {token}x"}, timeout=10
            )
            assert refused.status_code == 401
            assert asyncio.run(_offer(relay.url, services.relay_key)) == 201
        finally:
            relay.stop()
    finally:
        services.stop()


def test_the_key_is_generated_once_and_shared(redis_client: redis.Redis) -> None:
    first = relay_key(redis_client, Keys("a:"), None)
    second = relay_key(redis_client, Keys("a:"), None)
    other_hall = relay_key(redis_client, Keys("b:"), None)
    assert first.source == second.source == "Redis"
    assert first.value == second.value != other_hall.value
    assert len(first.value) >= 32
    assert first.value not in repr(first)


def test_without_redis_the_key_is_kept_in_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYWALL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("CITYWALL_RELAY_KEY", raising=False)
    first = relay_key(None, Keys(), None)
    again = relay_key(None, Keys(), None)
    path = tmp_path / "state" / "relay.key"
    assert first.source == "file" and first.value == again.value
    assert path.stat().st_mode & 0o777 == 0o600


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [citywall_command(), *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_serve_on_a_network_address_refuses_a_weak_key(tmp_path: Path) -> None:
    config = write_config(tmp_path / "wall_config.yaml", "  - {id: clock, type: clock, x: 0, y: 0}")
    published = config.read_text(encoding="utf-8").replace(
        "relay:\n", f"relay:\n  token: {PUBLISHED_KEY}\n"
    )
    (tmp_path / "published.yaml").write_text(published, encoding="utf-8")
    port = str(free_port())
    env = _clean_env()

    done = _run(["serve", "--host", "0.0.0.0", "--port", port, "--config",
                 str(tmp_path / "published.yaml")], env)  # fmt: skip
    assert done.returncode == 1
    assert "relay -> token: this key is a published value" in done.stderr
    assert "published.yaml:" in done.stderr  # named at its line

    short = {**env, "CITYWALL_SECRET": "too-short"}
    done = _run(["serve", "--host", "0.0.0.0", "--port", port, "--config", str(config)], short)
    assert done.returncode == 1
    assert "refusing to listen on 0.0.0.0: $CITYWALL_SECRET is shorter than 32 bytes" in (
        done.stderr
    )
    weak_relay = {**env, "CITYWALL_RELAY_KEY": PUBLISHED_KEY}
    done = _run(["relay", "--host", "0.0.0.0", "--port", port, "--config", str(config)],
                weak_relay)  # fmt: skip
    assert done.returncode == 1
    assert "$CITYWALL_RELAY_KEY is a published value" in done.stderr
