"""Redis URLs: plain ones as redis-py reads them, Sentinel ones parsed here."""

from __future__ import annotations

import pytest

from core.redis_url import (
    DEFAULT_SENTINEL_PORT,
    RedisUrlError,
    is_sentinel_url,
    parse_sentinel_url,
    redacted,
)
from wall.config.sections import RedisSpec


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_db() -> None:
    target = parse_sentinel_url("redis+sentinel://10.0.0.1:26379,10.0.0.2,[::1]:26380/citywall/2")
    assert target.sentinels == (
        ("10.0.0.1", 26379),
        ("10.0.0.2", DEFAULT_SENTINEL_PORT),
        ("::1", 26380),
    )
    assert (target.service, target.db, target.ssl, target.password) == ("citywall", 2, False, None)


def test_credentials_and_tls_and_the_sentinels_own_password() -> None:
    target = parse_sentinel_url(
        "rediss+sentinel://app:s%40cret@h1:26379/hall?sentinel_password=other"
    )
    assert (target.username, target.password, target.ssl) == ("app", "s@cret", True)
    assert target.sentinel_password == "other" and target.db == 0


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis+sentinel://h1:26379", "names its service"),
        ("redis+sentinel://h1:26379/", "names its service"),
        ("redis+sentinel:///citywall", "at least one HOST:PORT"),
        ("redis+sentinel://h1:port/citywall", "bad Sentinel port"),
        ("redis+sentinel://h1/citywall/zero", "must be a number"),
        ("redis://h1:6379/0", "not a Sentinel URL"),
    ],
)
def test_a_bad_sentinel_url_says_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(RedisUrlError, match=says):
        parse_sentinel_url(url)


def test_passwords_never_reach_a_log() -> None:
    assert redacted("redis://:hunter2@h:6379/0") == "redis://:***@h:6379/0"
    assert "hunter2" not in redacted("redis+sentinel://u:hunter2@h1,h2/s?sentinel_password=hunter2")
    assert is_sentinel_url("REDIS+SENTINEL://h/s") and not is_sentinel_url("redis://h")


def test_the_config_takes_a_sentinel_url_and_refuses_a_broken_one() -> None:
    assert RedisSpec(url="redis+sentinel://h1:26379,h2:26379/citywall").url is not None
    with pytest.raises(ValueError, match="names its service"):
        RedisSpec(url="redis+sentinel://h1:26379")
    with pytest.raises(ValueError, match="must start with one of"):
        RedisSpec(url="http://h1:6379")
