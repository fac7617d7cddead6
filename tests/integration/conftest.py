"""Real Redis for the data-plane tests: one private server per test, stopped by PID."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from data_feeds.redis_server import EmbeddedRedis


@pytest.fixture
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(fsync="always") as server:
        yield server


@pytest.fixture
def redis_client(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()
