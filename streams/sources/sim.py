"""``sim://<camera_id>?stream=main|sub[&fps=15&gop=2]``: a synthetic live camera.

It encodes H.264 only while iterated (no viewer, no CPU), in real time: 1280x720
main or 640x360 sub, no B-frames, an IDR every ``gop`` seconds with SPS/PPS in
front of each, Annex B. The picture carries its own capture time (see
``clock_reader``) so end-to-end latency can be measured on the decoded video.
"""

from __future__ import annotations

import fractions
import threading
import time
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import av

from streams.packets import CLOCK_RATE, EncodedPacket, SourceError, StreamName
from streams.sources.sim_picture import SimPicture
from streams.sources.threaded import iterate_in_thread

SIZES: dict[StreamName, tuple[int, int]] = {"main": (1280, 720), "sub": (640, 360)}
_MAX_LATE = 1.0  # seconds behind schedule after which the schedule restarts (no burst)


@dataclass(frozen=True, slots=True)
class SimSettings:
    camera_id: str
    stream: StreamName
    fps: int = 15
    gop_seconds: float = 2.0

    @property
    def size(self) -> tuple[int, int]:
        return SIZES[self.stream]

    @property
    def keyint(self) -> int:
        return max(1, round(self.fps * self.gop_seconds))


def parse_sim_url(url: str) -> SimSettings:
    parts = urlsplit(url)
    camera_id = unquote(parts.netloc + parts.path).strip("/")
    if parts.scheme != "sim" or not camera_id:
        raise SourceError(f"{url!r}: expected sim://<camera_id>?stream=main|sub")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - {"stream", "fps", "gop"})
    if unknown:
        raise SourceError(f"{url!r}: unknown parameter(s) {unknown}; known: stream, fps, gop")
    stream = query.get("stream", "main")
    if stream not in SIZES:
        raise SourceError(f"{url!r}: stream must be 'main' or 'sub', not {stream!r}")
    try:
        fps = int(query.get("fps", "15"))
        gop = float(query.get("gop", "2"))
    except ValueError as exc:
        raise SourceError(f"{url!r}: fps must be an integer, gop a number: {exc}") from None
    if not 1 <= fps <= 60 or not 0 < gop <= 60:
        raise SourceError(f"{url!r}: need 1 <= fps <= 60 and 0 < gop <= 60 (seconds)")
    return SimSettings(camera_id, "main" if stream == "main" else "sub", fps, gop)


def open_encoder(width: int, height: int, fps: int, keyint: int) -> av.VideoCodecContext:
    """libx264 for live relay: one packet out per frame in (no lookahead, no B-frames)."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width = width
    codec.height = height
    codec.pix_fmt = "yuv420p"
    codec.time_base = fractions.Fraction(1, CLOCK_RATE)
    codec.framerate = fractions.Fraction(fps, 1)
    codec.gop_size = keyint
    codec.max_b_frames = 0
    codec.thread_count = 1  # frame threads would add a frame of delay each
    # repeat-headers puts SPS/PPS before every IDR; annexb=1 gives start codes, not
    # lengths; scenecut=0 keeps IDRs on the fixed grid a joining viewer relies on.
    params = f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes=0"
    codec.options = {
        "preset": "ultrafast",
        "tune": "zerolatency",
        "x264-params": f"{params}:repeat-headers=1:annexb=1:aud=0",
    }
    codec.open()
    return codec


class SimSource:
    """A ``PacketSource`` drawing and encoding frames while it is iterated."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.settings = parse_sim_url(url)

    def packets(self) -> AsyncGenerator[EncodedPacket, None]:
        # An async generator: ``contextlib.aclosing`` releases the thread at once.
        s = self.settings
        return iterate_in_thread(self._produce, name=f"sim://{s.camera_id}/{s.stream}")

    def _produce(self, stop: threading.Event) -> Generator[EncodedPacket, None, None]:
        s = self.settings
        width, height = s.size
        label = f"{s.stream} {width}x{height} {s.fps} fps"
        picture = SimPicture(s.camera_id, label, width, height, s.fps)
        encoder = open_encoder(width, height, s.fps, s.keyint)
        start = time.monotonic()
        schedule = start  # when frame ``index`` is due
        last_pts = -1
        index = 0
        # The encoder has no close(); it is freed with this generator when it is closed.
        while not stop.is_set():
            due = schedule + index / s.fps
            delay = due - time.monotonic()
            if delay > 0 and stop.wait(delay):
                return
            if delay < -_MAX_LATE:  # stalled (suspended, overloaded): skip, don't burst
                schedule = time.monotonic() - index / s.fps
            captured = time.time()
            # pts follows the real capture instant, so gaps show as gaps downstream.
            pts = max(last_pts + 1, round((time.monotonic() - start) * CLOCK_RATE))
            last_pts = pts
            frame = av.VideoFrame.from_ndarray(picture.draw(index, captured), format="yuv420p")
            frame.pts = pts
            frame.time_base = fractions.Fraction(1, CLOCK_RATE)
            index += 1
            for packet in encoder.encode(frame):
                yield EncodedPacket(
                    data=bytes(packet),
                    pts=packet.pts if packet.pts is not None else pts,
                    keyframe=packet.is_keyframe,
                    captured=captured,
                )
