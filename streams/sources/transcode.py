"""``transcode:<rtsp url>``: a camera the relay cannot pass through (H.265, B-frames),
decoded and re-encoded to H.264 — only while someone watches it, since a source is
pulled only then.

The picture is scaled to the sub stream's size (``WIDTH`` wide, the camera's aspect),
encoded like the simulator's cameras (libx264 ultrafast / zerolatency, no B-frames,
an IDR every second with SPS/PPS in front): what every browser plays over WebRTC.
It costs CPU per watched stream (``bench/relay.py --transcode``); cameras that can
send H.264 should be set to (``citywall cameras check`` says how).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Generator
from fractions import Fraction

import av

from streams.packets import CLOCK_RATE, EncodedPacket, SourceError
from streams.sources.rtsp import PtsClock, _why, open_rtsp, redact
from streams.sources.sim import open_encoder
from streams.sources.threaded import iterate_in_thread

PREFIX = "transcode:"
WIDTH = 640  # the sub stream's width: a multi-view cell, and cheap to encode
FPS = 15  # frames per second encoded (more are dropped, fewer are repeated by no one)


def inner_url(url: str) -> str:
    """The camera's own URL in ``transcode:<url>``."""
    if not url.startswith(PREFIX) or not url[len(PREFIX) :].startswith(("rtsp://", "rtsps://")):
        raise SourceError(f"{redact(url)!r}: expected transcode:rtsp://host/path")
    return url[len(PREFIX) :]


class TranscodeSource:
    def __init__(self, url: str, timeout: float = 2.0, open_timeout: float = 10.0) -> None:
        self.url = url
        self.camera_url = inner_url(url)
        self.timeout = timeout
        self.open_timeout = open_timeout

    def packets(self) -> AsyncGenerator[EncodedPacket, None]:
        return iterate_in_thread(
            self._produce, name=f"transcode {redact(self.camera_url)}",
            join_timeout=self.timeout + 2.0,
        )  # fmt: skip

    def _produce(self, stop: threading.Event) -> Generator[EncodedPacket, None, None]:
        name = redact(self.camera_url)
        try:
            container = open_rtsp(self.camera_url, self.timeout, self.open_timeout)
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"{name}: cannot connect: {_why(exc)}") from None
        try:
            if not container.streams.video:
                raise SourceError(f"{name}: no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            clock = PtsClock(stream.time_base or Fraction(1, CLOCK_RATE))
            encoder: av.VideoCodecContext | None = None
            last_pts = -1
            min_gap = CLOCK_RATE // FPS
            for packet in container.demux(stream):
                if stop.is_set():
                    return
                if packet.size == 0:
                    continue
                arrival = time.time()
                for frame in packet.decode():
                    pts = clock(frame.pts, time.monotonic())
                    if last_pts >= 0 and pts - last_pts < min_gap:
                        continue  # above FPS: dropped before the encoder's work
                    last_pts = pts
                    width, height = _size(frame.width, frame.height)
                    if encoder is None:
                        encoder = open_encoder(width, height, FPS, FPS)
                    scaled = frame.reformat(width=width, height=height, format="yuv420p")
                    scaled.pts = pts
                    scaled.time_base = Fraction(1, CLOCK_RATE)
                    for out in encoder.encode(scaled):
                        yield EncodedPacket(
                            data=bytes(out), pts=out.pts if out.pts is not None else pts,
                            keyframe=out.is_keyframe, captured=arrival,
                        )  # fmt: skip
            raise SourceError(f"{name}: disconnected (end of stream)")
        except av.ExitError:
            raise SourceError(f"{name}: disconnected: no data for {self.timeout:g} s") from None
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"{name}: disconnected: {_why(exc)}") from None
        finally:
            container.close()


def _size(width: int, height: int) -> tuple[int, int]:
    """WIDTH wide (never wider than the camera), the camera's aspect, even sides."""
    out_w = min(WIDTH, width) // 2 * 2
    out_h = max(2, round(height * out_w / max(1, width)) // 2 * 2)
    return out_w, out_h
