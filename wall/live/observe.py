"""What the live hub and the event streams tell whoever watches them (the web tier's
Prometheus metrics, wall/web/metrics.py): the hub knows nothing of Prometheus, it
calls a ``LiveObserver``, which does nothing unless one is attached."""

from __future__ import annotations

import threading


class LiveObserver:
    """Hooks called by the hub's thread and by the screens' event streams; must be
    quick and must not raise. This base ignores everything."""

    def built(self, seconds: float) -> None:
        """The hub built what was due after an update or a refresh, in ``seconds``."""

    def pushed(self, latency_s: float) -> None:
        """A frame caused by an update left for one screen, ``latency_s`` after the
        aggregator added that update to the updates stream (Redis time)."""

    def redis_error(self, outage_started: bool) -> None:
        """The hub failed to reach Redis; ``outage_started`` on the first failure."""


class ScreenStreams:
    """How many event streams (``/live/events``: a screen, the console, a tablet) are
    open in this process, and who watches them."""

    def __init__(self) -> None:
        self._open = 0
        self._lock = threading.Lock()
        self.observer = LiveObserver()

    def opened(self) -> None:
        with self._lock:
            self._open += 1

    def closed(self) -> None:
        with self._lock:
            self._open -= 1

    def count(self) -> int:
        return self._open
