"""Reconnect with exponential backoff and jitter: every process that talks to Redis
uses it, so a Redis restart is a pause, not a crash."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import redis

T = TypeVar("T")
log = logging.getLogger(__name__)

# What a Redis outage looks like from redis-py: refused, reset, timed out, the server
# still loading its append-only file after a restart, or (around a Sentinel failover)
# a server that is a replica now or whose master is down.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.BusyLoadingError,
    redis.ReadOnlyError,
    redis.exceptions.MasterDownError,
    ConnectionError,
    OSError,
)


class Backoff:
    """Delays 0.1, 0.2, 0.4 … up to ``maximum`` seconds, each with ±25 % jitter."""

    def __init__(
        self, initial: float = 0.1, maximum: float = 5.0, rng: random.Random | None = None
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial
        self._rng = rng or random.Random()

    def reset(self) -> None:
        self._next = self.initial

    def next_delay(self) -> float:
        delay = self._next * self._rng.uniform(0.75, 1.25)
        self._next = min(self._next * 2, self.maximum)
        return delay


def retry_forever(
    operation: Callable[[], T],
    what: str,
    backoff: Backoff | None = None,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> T | None:
    """Run ``operation`` until it succeeds (its result) or ``stop()`` turns true (None)."""
    backoff = backoff or Backoff()
    failures = 0
    while not stop():
        try:
            result = operation()
        except OUTAGE_ERRORS as exc:
            failures += 1
            delay = backoff.next_delay()
            if failures == 1 or failures % 10 == 0:
                log.warning("%s: Redis unavailable (%s); retrying in %.1f s", what, exc, delay)
            sleep(delay)
            continue
        if failures:
            log.warning("%s: Redis is back after %d failed attempt(s)", what, failures)
        backoff.reset()
        return result
    return None
