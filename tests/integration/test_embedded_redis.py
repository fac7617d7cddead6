"""The private redis-server the demo and the tests start: real, persistent, stopped by PID."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from data_feeds.redis_server import EmbeddedRedis, RedisServerError


def command(port: int, *words: str) -> bytes:
    """Send one command in the inline protocol; the raw reply (no client library needed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall((" ".join(words) + "\r\n").encode())
        return sock.recv(4096)


def test_starts_answers_and_is_gone_after_close() -> None:
    with EmbeddedRedis() as redis:
        assert redis.url == f"redis://127.0.0.1:{redis.port}/0"
        assert command(redis.port, "PING") == b"+PONG\r\n"
        pid, data_dir = redis.pid, redis.data_dir
        assert pid is not None and data_dir.is_dir()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not data_dir.exists()
    with pytest.raises(OSError):
        command(redis.port, "PING")


def test_data_survives_a_restart(tmp_path: Path) -> None:
    redis = EmbeddedRedis(data_dir=tmp_path)
    try:
        redis.start()
        assert command(redis.port, "XADD", "citywall:test", "*", "status", "filed")[:1] == b"$"
        redis.stop()
        with pytest.raises(OSError):
            command(redis.port, "PING")
        redis.start()
        assert command(redis.port, "XLEN", "citywall:test") == b":1\r\n"
    finally:
        redis.close()
    assert tmp_path.exists()  # a directory we were given is not ours to delete


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        redis = EmbeddedRedis(port=busy.getsockname()[1])
        with pytest.raises(RedisServerError, match="redis-server exited"):
            redis.start(timeout=5)
        redis.close()
