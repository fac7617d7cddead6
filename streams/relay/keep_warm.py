"""Key cameras kept warm: the relay pulls chosen camera streams all the time, so their
GOP cache always holds the latest keyframe and a switch to one is as fast as to a
camera already watched (no RTSP handshake, no wait for the camera's next IDR).

Each relay node keeps warm only the ones it owns, checked every few seconds: when a
node dies, the survivors take its cameras, and warm ones with them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from streams.packets import EncodedPacket, StreamName
from streams.relay.hub import CameraHub

CHECK_EVERY_S = 2.0


class _Holder:
    """The viewer that holds a warm stream open: takes packets and drops them."""

    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        return None


class WarmKeeper:
    def __init__(
        self,
        hub: CameraHub,
        wanted: Sequence[tuple[str, StreamName]],
        owns: Callable[[str], bool] = lambda _camera_id: True,
        every_s: float = CHECK_EVERY_S,
    ) -> None:
        self._hub = hub
        self._wanted = [(c, s) for c, s in wanted if s in hub.streams_of(c)]
        self._owns = owns
        self._every_s = every_s
        self._holder = _Holder()
        self._kept: set[tuple[str, StreamName]] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def kept(self) -> frozenset[tuple[str, StreamName]]:
        return frozenset(self._kept)

    def sync(self) -> None:
        """Hold what this node owns, let go of what it no longer does."""
        for camera_id, stream in self._wanted:
            key = (camera_id, stream)
            if self._owns(camera_id) and key not in self._kept:
                self._hub.subscribe(camera_id, stream, self._holder)
                self._kept.add(key)
            elif not self._owns(camera_id) and key in self._kept:
                self._hub.unsubscribe(camera_id, stream, self._holder)
                self._kept.discard(key)

    def start(self) -> None:
        if self._wanted and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for camera_id, stream in list(self._kept):
            self._hub.unsubscribe(camera_id, stream, self._holder)
        self._kept.clear()

    async def _run(self) -> None:
        while True:
            self.sync()
            await asyncio.sleep(self._every_s)
