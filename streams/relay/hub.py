"""One upstream per camera stream, however many viewers: pulled while watched, kept
``grace_s`` after the last viewer leaves, reconnected on failure, fanned out in-process.

The hub keeps the packets since the last keyframe (the GOP cache): a new viewer gets
them at once and can show a picture straight away instead of waiting for the next IDR.

It also keeps the last ``history_s`` seconds of each running upstream as whole GOPs (the
history), so an evidence clip (``clips``) can start before the operator pressed the
button. Its memory cost is the stream's bitrate times ``history_s`` (plus up to one GOP)
per running upstream: a 512 kbit/s sub stream x 60 s is about 3.8 MB, a 4 Mbit/s main
stream about 30 MB (sim://: 3.8 MB main, 1.6 MB sub); ``HISTORY_BYTES_LIMIT`` caps it for
a camera gone wild, ``history_s=0`` turns it off, ``UpstreamStats.history_bytes`` shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from core.camera_status import CameraStatus, Status
from streams.packets import CLOCK_RATE, EncodedPacket, PacketSource, SourceError, StreamName
from streams.relay.reconnect import ReconnectSchedule, reconnect_delay
from streams.relay.status import StatusPublisher, StatusSink

log = logging.getLogger(__name__)

SourceFactory = Callable[[str], PacketSource]
CameraUrls = Mapping[str, Mapping[StreamName, str]]
_PRIORITY: tuple[Status, ...] = ("online", "connecting", "offline")
GOP_LIMIT = 1_000  # packets: a camera that never sends an IDR must not grow the cache forever
# Per upstream: 60 s of a 12 Mbit/s stream. A camera past it (a bitrate gone wild, or no
# IDR for minutes) loses its oldest history instead of the relay's memory.
HISTORY_BYTES_LIMIT = 96 * 1024 * 1024


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
    history_bytes: int = 0  # the packets kept for clips' pre-roll (CameraHub.history)


class _Upstream:
    def __init__(self, camera_id: str, stream: StreamName, url: str) -> None:
        self.camera_id, self.stream, self.url = camera_id, stream, url
        self.viewers: set[Viewer] = set()
        self.gop: list[EncodedPacket] = []  # from the last keyframe, empty if none yet
        self.history: deque[list[EncodedPacket]] = deque()  # whole GOPs, oldest first
        self.history_bytes = 0
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
            self.failures, self.history_bytes,
        )  # fmt: skip

    def forget(self) -> None:
        """Drop the GOP cache and the history: the next packets may restart the clock."""
        self.gop.clear()
        self.history.clear()
        self.history_bytes = 0


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
        history_s: float = 60.0,
        history_bytes_limit: int = HISTORY_BYTES_LIMIT,
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
        self._history_ticks = round(max(0.0, history_s) * CLOCK_RATE)
        self._history_bytes_limit = history_bytes_limit
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

    def history(self, camera_id: str, stream: StreamName, seconds: float) -> list[EncodedPacket]:
        """The kept packets from the latest keyframe at least ``seconds`` before the newest
        one (from the oldest kept keyframe if the history is shorter) to the newest; []
        while the stream is not pulled. KeyError: not configured."""
        history = self._upstreams[(camera_id, stream)].history
        if not history:
            return []
        cutoff = history[-1][-1].pts - round(seconds * CLOCK_RATE)
        start = 0
        for index in range(len(history) - 1, -1, -1):
            if history[index][0].pts <= cutoff:
                start = index
                break
        return [packet for index in range(start, len(history)) for packet in history[index]]

    def upstream_state(
        self, camera_id: str, stream: StreamName
    ) -> tuple[Status | None, str | None]:
        """The stream's state now (None while not pulled) and why it is offline."""
        upstream = self._upstreams.get((camera_id, stream))
        return (upstream.state, upstream.reason) if upstream else (None, None)

    def pulled(self, camera_id: str) -> bool:
        """Whether one of the camera's streams is pulled now (its pull is its probe)."""
        streams = self._cameras.get(camera_id, ())
        return any(self._upstreams[(camera_id, stream)].state for stream in streams)

    def report_probe(self, camera_id: str, status: Status, reason: str | None) -> None:
        """What a prober found of a camera nobody pulls (streams.relay.prober); ignored
        while one of its streams is pulled: the pull knows better. A new reason for the
        same status keeps the time the camera entered it ("offline since")."""
        if camera_id not in self._cameras or self.pulled(camera_id):
            return
        if self._published.get(camera_id) == (status, reason):
            return
        previous = self._status.latest.get(camera_id)
        self._published[camera_id] = (status, reason)
        if previous is not None and previous.status == status:
            self._status.publish(camera_id, CameraStatus(status, previous.t, reason))
        else:
            self._status.publish(camera_id, CameraStatus.now(status, reason))

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
            upstream.forget()  # the reconnected source may restart its clock
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
        if self._history_ticks:
            self._keep(upstream, packet)
        for viewer in list(upstream.viewers):
            viewer.deliver(packet, burst=False)
        return True

    def _keep(self, upstream: _Upstream, packet: EncodedPacket) -> None:
        """Add to the history; drop its oldest GOP only while the next one still starts
        ``history_s`` before this packet (so at least ``history_s`` stays covered), or
        while it is over the byte limit."""
        history = upstream.history
        if packet.keyframe:
            if history and packet.pts < history[-1][-1].pts:  # the clock went back
                history.clear()
                upstream.history_bytes = 0
            history.append([packet])
        elif history:
            history[-1].append(packet)
        else:  # the byte limit took the current GOP: wait for the next keyframe
            return
        upstream.history_bytes += len(packet.data)
        while len(history) > 1 and packet.pts - history[1][0].pts >= self._history_ticks:
            self._drop_oldest(upstream)
        while history and upstream.history_bytes > self._history_bytes_limit:
            self._drop_oldest(upstream)

    @staticmethod
    def _drop_oldest(upstream: _Upstream) -> None:
        dropped = upstream.history.popleft()
        upstream.history_bytes -= sum(len(packet.data) for packet in dropped)

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
        upstream.forget()
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
