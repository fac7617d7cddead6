"""``citywall status``'s small rules: a Redis URL is shown without its password, the
relay is reached on this machine even when it listens on every address, and the
secrets line says where a secret comes from, never what it is."""

from __future__ import annotations

import pytest

from core.redis_url import redacted as masked_url
from wall.cli_status import relay_url, secrets_status
from wall.config.sections import RelaySpec


def test_a_redis_url_is_shown_without_its_password() -> None:
    assert masked_url("redis://:s3cret@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert masked_url("rediss://wall:s3cret@[::1]:6380/2") == "rediss://wall:***@[::1]:6380/2"
    assert masked_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8889"),
        ("0.0.0.0", "http://127.0.0.1:8889"),
        ("::", "http://[::1]:8889"),
        ("10.0.0.7", "http://10.0.0.7:8889"),
    ],
)
def test_the_relay_is_reached_on_this_machine(host: str, url: str) -> None:
    assert relay_url(RelaySpec(host=host, port=8889)) == url


def test_secrets_say_where_they_come_from_never_what_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.keys import Keys
    from testkit.citywall import SHIPPED_CONFIG
    from wall.config import load_config

    config = load_config(SHIPPED_CONFIG)
    monkeypatch.setenv("CITYWALL_SECRET", "short-session-key")
    monkeypatch.setenv("CITYWALL_RELAY_KEY", "relay-key-" + "x" * 32)
    part = secrets_status(None, Keys(), config)
    assert part.summary.startswith("CITYWALL_SECRET: environment;")
    assert "short-session-key" not in str(part)
    assert "relay-key-" not in str(part)
    assert part.state == "down"  # the session key is short: servers refuse it off loopback
    assert "$CITYWALL_SECRET is shorter than 32 bytes" in part.summary
