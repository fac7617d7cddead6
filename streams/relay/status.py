"""How the relay's camera statuses (core.camera_status) reach Redis, off the video path."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio

from core.camera_status import CameraStatus

log = logging.getLogger(__name__)

StatusSink = Callable[[str, CameraStatus], Awaitable[None]]
"""Called with (camera_id, status) on every change; may be slow or fail (it is logged)."""


def redis_status_sink(client: redis.asyncio.Redis, key: str) -> StatusSink:
    """``HSET key camera_id <json>``: the sink the relay uses in production."""

    async def write(camera_id: str, status: CameraStatus) -> None:
        await client.hset(key, camera_id, status.to_json())

    return write


class StatusPublisher:
    """Hands status changes to a sink off the video path: in order per camera, the latest
    only if the sink falls behind (a state, not a log), a failing sink logged and skipped."""

    def __init__(self, sink: StatusSink | None) -> None:
        self._sink = sink
        self._pending: dict[str, CameraStatus] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing = False
        self.latest: dict[str, CameraStatus] = {}

    def publish(self, camera_id: str, status: CameraStatus) -> None:
        self.latest[camera_id] = status
        if self._sink is None:
            return
        self._pending[camera_id] = status
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain(self._sink))

    async def _drain(self, sink: StatusSink) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                camera_id = next(iter(self._pending))
                status = self._pending.pop(camera_id)
                self._writing = True
                try:
                    await sink(camera_id, status)
                except Exception as exc:  # a Redis outage must not stop the video
                    log.warning("camera %s: status %s not published: %s", camera_id, status, exc)
                finally:
                    self._writing = False

    async def close(self) -> None:
        """Write what is pending (briefly), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                while self._pending or self._writing:
                    await asyncio.sleep(0.01)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
