"""One upstream per camera stream, however many viewers: pulled while watched, kept
``grace_s`` after the last viewer leaves, reconnected on failure, fanned out in-process.

The hub keeps the packets since the last keyframe (the GOP cache): a new viewer gets
them at once and can show a picture straight away instead of waiting for the next IDR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from core.camera_status import CameraStatus, Status
from streams.packets import EncodedPacket, PacketSource, SourceError, StreamName
from streams.relay.reconnect import ReconnectSchedule, reconnect_delay
from streams.relay.status import StatusPublisher, StatusSink

log = logging.getLogger(__name__)

SourceFactory = Callable[[str], PacketSource]
CameraUrls = Mapping[str, Mapping[StreamName, str]]
_PRIORITY: tuple[Status, ...] = ("online", "connecting", "offline")
GOP_LIMIT = 1_000  # packets: a camera that never sends an IDR must not grow the cache forever


class Viewer(Protocol):
    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        """Take one packet; must not block (the hub calls it from the pull loop)."""
        ...


@dataclass(frozen=True, slots=True)
class UpstreamStats:
    camera_id: str
    stream: StreamName
    running: bool
    state: Status | None  # None while idle
    viewers: int
    opens: int
    reconnects: int  # after a failure (the first open is not one)
    packets_received: int
    bytes_received: int
    failures: int  # failures in a row now (0 while it delivers)


class _Upstream:
    def __init__(self, camera_id: str, stream: StreamName, url: str) -> None:
        self.camera_id, self.stream, self.url = camera_id, stream, url
        self.viewers: set[Viewer] = set()
        self.gop: list[EncodedPacket] = []  # from the last keyframe, empty if none yet
        self.need_key = True  # after (re)connecting, nothing goes out before an IDR
        self.task: asyncio.Task[None] | None = None
        self.idle_timer: asyncio.TimerHandle | None = None
        self.state: Status | None = None
        self.reason: str | None = None
        self.opens = self.reconnects = self.packets = self.bytes = self.failures = 0

    def stats(self) -> UpstreamStats:
        return UpstreamStats(
            self.camera_id, self.stream, self.task is not None, self.state,
            len(self.viewers), self.opens, self.reconnects, self.packets, self.bytes,
            self.failures,
        )  # fmt: skip


class _Nobody:
    """The viewer of a warm-up: takes packets and drops them."""

    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        return None


_NOBODY = _Nobody()


class CameraHub:
    def __init__(
        self,
        cameras: CameraUrls,
        source_factory: SourceFactory,
        status_sink: StatusSink | None = None,
        *,
        grace_s: float = 10.0,
        schedule: ReconnectSchedule = reconnect_delay,
    ) -> None:
        self._upstreams = {
            (camera_id, stream): _Upstream(camera_id, stream, url)
            for camera_id, urls in cameras.items()
            for stream, url in urls.items()
        }
        self._cameras = {camera_id: tuple(urls) for camera_id, urls in cameras.items()}
        self._factory = source_factory
        self._status = StatusPublisher(status_sink)
        self._published: dict[str, tuple[Status, str | None]] = {}
        self._grace_s = grace_s
        self._schedule = schedule
        self._stopping: set[asyncio.Task[None]] = set()
        self._closed = False

    # ------------------------------------------------------------------ queries
    @property
    def camera_ids(self) -> tuple[str, ...]:
        return tuple(self._cameras)

    def streams_of(self, camera_id: str) -> tuple[StreamName, ...]:
        """The camera's configured streams; () for an unknown camera."""
        return self._cameras.get(camera_id, ())

    def stats(self) -> list[UpstreamStats]:
        return [upstream.stats() for upstream in self._upstreams.values()]

    def camera_status(self, camera_id: str) -> CameraStatus | None:
        return self._status.latest.get(camera_id)

    # ---------------------------------------------------------------- viewers
    def subscribe(self, camera_id: str, stream: StreamName, viewer: Viewer) -> None:
        """Start sending to ``viewer``: the GOP cache now, live packets as they come."""
        if self._closed:
            raise RuntimeError("the hub is closed")
        upstream = self._upstreams[(camera_id, stream)]  # KeyError: not configured
        if upstream.idle_timer is not None:
            upstream.idle_timer.cancel()
            upstream.idle_timer = None
        for packet in upstream.gop:
            viewer.deliver(packet, burst=True)
        upstream.viewers.add(viewer)
        if upstream.task is None:
            upstream.task = asyncio.get_running_loop().create_task(self._pull(upstream))

    def warm(self, camera_id: str, stream: StreamName) -> None:
        """Pull the stream for ``grace_s`` with nobody watching yet, so the viewer who comes
        next (a tour's next camera) gets a GOP cache at once, not the camera's start."""
        self.subscribe(camera_id, stream, _NOBODY)
        self.unsubscribe(camera_id, stream, _NOBODY)

    def unsubscribe(self, camera_id: str, stream: StreamName, viewer: Viewer) -> None:
        upstream = self._upstreams.get((camera_id, stream))
        if upstream is None or viewer not in upstream.viewers:
            return
        upstream.viewers.discard(viewer)
        if not upstream.viewers and upstream.task is not None and upstream.idle_timer is None:
            loop = asyncio.get_running_loop()
            upstream.idle_timer = loop.call_later(self._grace_s, self._stop_if_idle, upstream)

    # ------------------------------------------------------------------ pulling
    async def _pull(self, upstream: _Upstream) -> None:
        failures = upstream.failures = 0
        self._set_state(upstream, "connecting", None)
        while True:
            upstream.opens += 1
            upstream.need_key = True
            reason = "the source ended"
            try:
                iterator = self._factory(upstream.url).packets()
                try:
                    async for packet in iterator:
                        if self._fan_out(upstream, packet) and upstream.state != "online":
                            self._set_state(upstream, "online", None)
                            failures = upstream.failures = 0
                finally:
                    aclose = getattr(iterator, "aclose", None)
                    if aclose is not None:
                        await aclose()
            except Exception as exc:  # SourceError, or a source bug: retry either way
                reason = str(exc) or type(exc).__name__
                if not isinstance(exc, SourceError):
                    log.exception("%s/%s: source crashed", upstream.camera_id, upstream.stream)
            upstream.gop.clear()
            failures += 1
            upstream.failures = failures
            delay = self._schedule(failures)
            log.warning(
                "%s/%s: %s; reconnecting in %.1f s",
                upstream.camera_id, upstream.stream, reason, delay,
            )  # fmt: skip
            self._set_state(upstream, "offline", reason)
            await asyncio.sleep(delay)
            upstream.reconnects += 1

    def _fan_out(self, upstream: _Upstream, packet: EncodedPacket) -> bool:
        """Cache and forward one packet; False while still waiting for the first IDR."""
        upstream.packets += 1
        upstream.bytes += len(packet.data)
        if packet.keyframe:
            upstream.gop = [packet]
            upstream.need_key = False
        elif upstream.need_key:
            return False
        elif upstream.gop:
            upstream.gop.append(packet)
            if len(upstream.gop) > GOP_LIMIT:
                upstream.gop.clear()  # new viewers wait for the next IDR instead
        for viewer in list(upstream.viewers):
            viewer.deliver(packet, burst=False)
        return True

    def _stop_if_idle(self, upstream: _Upstream) -> None:
        upstream.idle_timer = None
        if upstream.viewers or upstream.task is None:
            return
        log.info("%s/%s: no viewers for %.1f s, stopping", upstream.camera_id, upstream.stream,
                 self._grace_s)  # fmt: skip
        self._stop(upstream)

    def _stop(self, upstream: _Upstream) -> None:
        task, upstream.task = upstream.task, None
        if task is not None:
            task.cancel()
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)
        upstream.gop.clear()
        upstream.state = upstream.reason = None
        self._publish(upstream.camera_id)

    # ------------------------------------------------------------------- status
    def _set_state(self, upstream: _Upstream, state: Status, reason: str | None) -> None:
        upstream.state, upstream.reason = state, reason
        self._publish(upstream.camera_id)

    def _publish(self, camera_id: str) -> None:
        """The camera's status: online if any of its running streams is, then connecting,
        then offline. Nothing is published while none of its streams is pulled."""
        active = [up for up in self._upstreams.values() if up.camera_id == camera_id and up.state]
        if not active:
            return
        best = min(active, key=lambda up: _PRIORITY.index(up.state or "offline"))
        status, reason = best.state or "offline", best.reason
        if self._published.get(camera_id) == (status, reason):
            return
        self._published[camera_id] = (status, reason)
        self._status.publish(camera_id, CameraStatus.now(status, reason))

    # ---------------------------------------------------------------- shutdown
    async def close(self) -> None:
        """Stop every upstream (sources released) and flush the last statuses."""
        self._closed = True
        for upstream in self._upstreams.values():
            if upstream.idle_timer is not None:
                upstream.idle_timer.cancel()
                upstream.idle_timer = None
            upstream.viewers.clear()
            self._stop(upstream)
        for task in list(self._stopping):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._status.close()
