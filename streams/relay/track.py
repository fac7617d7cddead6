"""One viewer's video track: the hub's packets, queued, handed to aiortc unchanged.

aiortc's H.264 packetizer takes an ``av.Packet`` with Annex B data, a ``pts`` and a
``time_base`` (a packet without a pts kills the sender loop). Its sender calls ``recv()``
as fast as it returns, so live packets are paced by the queue (the source delivers in
real time) and the GOP burst goes out as fast as possible unless ``burst_speed`` is set.
A viewer that falls behind loses its queue and starts again at the next keyframe.
Dropped packets are counted by reason (``dropped``), for the relay's metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from fractions import Fraction

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.stream import Stream

from streams.packets import CLOCK_RATE, EncodedPacket
from streams.relay.shared_payload import av_packet_of

TIME_BASE = Fraction(1, CLOCK_RATE)
MAX_QUEUE = 300  # packets (10 s at 30 fps); more than any sane GOP, bounded whatever happens
MAX_PTS_GAP = 5 * CLOCK_RATE  # a bigger jump (or any step back) is a new upstream clock
DEFAULT_STEP = CLOCK_RATE // 25


class RelayTrack(MediaStreamTrack):
    kind = "video"

    def __init__(
        self,
        *,
        max_queue: int = MAX_QUEUE,
        burst_speed: float | None = None,
        on_sent: Callable[[int], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._queue: deque[tuple[EncodedPacket, bool]] = deque()
        self._max_queue = max_queue
        self._burst_speed = burst_speed
        self._on_sent = on_sent
        self._on_stop = on_stop
        self._ready = asyncio.Event()
        self._waiting_key = True  # a decoder can only start at an IDR
        self._started = False  # recv() has returned a packet
        self._offset = 0  # added to the upstream pts: this viewer's clock starts at 0
        self._last_pts: int | None = None
        self._step = DEFAULT_STEP
        self._burst_origin: tuple[float, int] | None = None  # (monotonic, upstream pts)
        self._new_clock = False  # after restart(): the next packet starts a new clock
        self.packets_sent = self.bytes_sent = 0
        # Packets dropped, by reason: waiting for the first IDR (or a fresher IDR replaced
        # what waited), too slow (the queue overflowed, then waiting for the next IDR),
        # switch (queued for the camera left, then waiting for the new one's IDR).
        self.dropped = {"before_keyframe": 0, "too_slow": 0, "switch": 0}
        self._wait_reason = "before_keyframe"  # what the packets dropped while waiting count as
        self.fell_behind = 0  # times the queue overflowed
        self.first_sent: float | None = None  # time.monotonic() of the first packet out

    # ---------------------------------------------------------- hub side
    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        if self.readyState != "live":
            return
        if packet.keyframe:
            if not self._started:
                self.dropped["before_keyframe"] += len(self._queue)
                self._queue.clear()  # not started yet: begin at the freshest IDR
            self._waiting_key = False
        elif self._waiting_key:
            self.dropped[self._wait_reason] += 1
            return
        if len(self._queue) >= self._max_queue:  # too slow: skip to the next IDR
            self.dropped["too_slow"] += len(self._queue) + 1
            self.fell_behind += 1
            self._queue.clear()
            self._waiting_key = True
            self._wait_reason = "too_slow"
            return
        self._queue.append((packet, burst))
        self._ready.set()

    def restart(self) -> None:
        """A new source follows (the viewer switched cameras): drop what is queued and
        wait for its keyframe. The viewer's clock carries on one frame after the last
        packet, whatever the new camera's own clock says."""
        self.dropped["switch"] += len(self._queue)
        self._queue.clear()
        self._waiting_key = True
        self._wait_reason = "switch"
        self._burst_origin = None
        self._new_clock = True

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def packets_dropped(self) -> int:
        """Every packet dropped, whatever the reason."""
        return sum(self.dropped.values())

    # -------------------------------------------------------- aiortc side
    async def recv(self) -> av.Packet[Stream]:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        if self.readyState != "live":
            raise MediaStreamError
        packet, burst = self._queue.popleft()
        if burst and self._burst_speed:
            await self._pace_burst(packet.pts, self._burst_speed)
        # The one av.Packet of this upstream packet, shared with the other viewers; its
        # pts is this viewer's until aiortc has read it (in the same step as this return).
        out = av_packet_of(packet)
        out.pts = self._rebase(packet.pts, burst)
        self._started = True
        self.packets_sent += 1
        self.bytes_sent += len(packet.data)
        if self.first_sent is None:
            self.first_sent = time.monotonic()
        if self._on_sent is not None:
            self._on_sent(len(packet.data))
        return out

    async def _pace_burst(self, pts: int, speed: float) -> None:
        if self._burst_origin is None:
            self._burst_origin = (time.monotonic(), pts)
            return
        start, first_pts = self._burst_origin
        due = start + (pts - first_pts) / CLOCK_RATE / speed
        await asyncio.sleep(max(0.0, due - time.monotonic()))

    def _rebase(self, pts: int, burst: bool) -> int:
        """The viewer's pts: 0 at its first packet, always increasing, even across an
        upstream reconnect that restarts the camera's clock. GOP-burst packets are squeezed
        (1 tick apart, or real spacing / ``burst_speed``) so the receiver's clock reaches
        live with the burst: it shows the newest picture at once instead of replaying the
        GOP at normal speed behind live."""
        last = self._last_pts
        if last is None:
            out = 0
        else:
            out = pts + self._offset
            if self._new_clock or out <= last or out > last + MAX_PTS_GAP:
                out = last + self._step  # a new upstream clock: carry on one frame later
            elif burst:
                speed = self._burst_speed or float("inf")
                out = last + max(1, int((out - last) / speed))
            else:
                self._step = out - last
        self._offset = out - pts
        self._last_pts = out
        self._new_clock = False
        return out

    def stop(self) -> None:
        if self.readyState == "live" and self._on_stop is not None:
            self._on_stop()
        super().stop()
        self._queue.clear()
        self._ready.set()  # wake a waiting recv() so it raises
