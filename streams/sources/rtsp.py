"""``rtsp://`` and ``rtsps://``: pull an IP camera's H.264 over RTSP (interleaved TCP).

FFmpeg (through PyAV) does the RTSP/RTP work and hands over whole access units in
Annex B; this module only re-inserts SPS/PPS (cameras often send them once, in
the SDP), gives every packet a 90 kHz pts, and turns end of stream or any error
into ``SourceError``. It does not reconnect: the relay does, with backoff.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Generator
from fractions import Fraction
from urllib.parse import urlsplit, urlunsplit

import av

from streams.packets import CLOCK_RATE, EncodedPacket, SourceError
from streams.sources.annexb import ParameterSets, is_annexb
from streams.sources.threaded import iterate_in_thread


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class PtsClock:
    """90 kHz pts from 0, increasing, from the stream's pts or, when it has none
    (the first packet over RTSP, before RTCP sync), from the arrival time."""

    def __init__(self, time_base: Fraction) -> None:
        self.time_base = time_base
        self.offset: int | None = None  # stream ticks minus output ticks
        self.last = -1
        self.last_arrival = 0.0

    def __call__(self, pts: int | None, arrival: float) -> int:
        if self.last < 0:
            guess = 0
        else:
            guess = self.last + max(1, round((arrival - self.last_arrival) * CLOCK_RATE))
        if pts is None:
            out = guess
        else:
            ticks = round(pts * self.time_base * CLOCK_RATE)
            if self.offset is None:
                self.offset = ticks - guess  # continue smoothly from arrival-time stamps
            out = ticks - self.offset
        out = max(out, self.last + 1)
        self.last, self.last_arrival = out, arrival
        return out


class RtspSource:
    """A ``PacketSource`` pulling one RTSP URL until it fails or is no longer iterated."""

    def __init__(self, url: str, timeout: float = 2.0, open_timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("rtsp", "rtsps") or not parts.hostname:
            raise SourceError(f"{redact(url)!r}: expected rtsp://host[:port]/path")
        self.url = url
        self.timeout = timeout  # seconds without data before the stream counts as gone
        if timeout <= 0 or open_timeout <= 0:
            raise SourceError(f"{redact(url)!r}: timeouts must be positive")
        self.open_timeout = open_timeout

    def packets(self) -> AsyncGenerator[EncodedPacket, None]:
        # An async generator: ``contextlib.aclosing`` releases the thread at once.
        return iterate_in_thread(
            self._produce, name=redact(self.url), join_timeout=self.timeout + 2.0
        )

    def _open(self) -> av.container.InputContainer:
        try:
            return open_rtsp(self.url, self.timeout, self.open_timeout)
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"{redact(self.url)}: cannot connect: {_why(exc)}") from None

    def _produce(self, stop: threading.Event) -> Generator[EncodedPacket, None, None]:
        name = redact(self.url)
        container = self._open()
        try:
            if not container.streams.video:
                raise SourceError(f"{name}: no video stream")
            stream = container.streams.video[0]
            if stream.codec_context.name != "h264":
                raise SourceError(f"{name}: video is {stream.codec_context.name}, not H.264")
            params = ParameterSets(stream.codec_context.extradata)
            clock = PtsClock(stream.time_base or Fraction(1, CLOCK_RATE))
            for packet in container.demux(stream):
                if stop.is_set():
                    return
                if packet.size == 0:
                    continue  # FFmpeg's end-of-stream flush packet
                arrival = time.time()
                data = bytes(packet)
                if not is_annexb(data):
                    raise SourceError(f"{name}: packet is not Annex B H.264")
                yield EncodedPacket(
                    data=params.fix(data),
                    pts=clock(packet.pts, time.monotonic()),
                    keyframe=packet.is_keyframe,
                    captured=arrival,
                )
            # A server that goes away just ends the stream: no error from FFmpeg.
            raise SourceError(f"{name}: disconnected (end of stream)")
        except av.ExitError:  # PyAV's read timeout fired
            raise SourceError(f"{name}: disconnected: no data for {self.timeout:g} s") from None
        except (OSError, av.FFmpegError) as exc:
            # "from None": FFmpeg's message repeats the URL, password and all.
            raise SourceError(f"{name}: disconnected: {_why(exc)}") from None
        finally:
            container.close()


def open_rtsp(url: str, timeout: float, open_timeout: float) -> av.container.InputContainer:
    """The camera's RTSP session opened as the relay opens it (also for ``citywall cameras
    check``, so that it judges what the relay will get). Raises FFmpeg's own error
    (``OSError``, ``av.FFmpegError``), whose type tells a 401 from a refusal; never show
    it whole: its message repeats the URL, password and all."""
    options = {
        "rtsp_transport": "tcp",  # UDP loses packets on busy networks; TCP does not
        "timeout": str(round(timeout * 1_000_000)),  # socket I/O, microseconds
        # Start at once: the SDP already says codec and size, no need to probe.
        "probesize": "32",
        "analyzeduration": "0",
    }
    # PyAV's own read timeout interrupts a blocked read. Measured (FFmpeg 8): after
    # an interrupted or timed-out read the RTSP demuxer waits once more before it
    # fails, so a stall surfaces after twice the read timeout; half of ``timeout``
    # makes silence end the stream after about ``timeout`` seconds.
    read_timeout = timeout / 2
    return av.open(url, "r", options=options, timeout=(open_timeout, read_timeout))


def _why(exc: BaseException) -> str:
    """The error without the URL FFmpeg appends (it may hold a password)."""
    reason = getattr(exc, "strerror", None)
    return f"{type(exc).__name__}: {reason or exc}"
