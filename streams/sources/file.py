"""``file:///abs/path.mp4`` (or .mkv, .ts): an H.264 recording replayed as a live camera.

The file plays in a loop, paced in real time, its timestamps continuing to grow
across loops so that downstream it looks like one endless stream. MP4/MKV store
H.264 as length-prefixed NAL units (AVCC) with SPS/PPS in the header; the
``h264_mp4toannexb`` filter turns that into Annex B with the parameter sets in
front of keyframes (and ``ParameterSets`` makes sure of it for .ts files too).
Files with B-frames are refused: a relay cannot forward reordered frames as they come.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import AsyncGenerator, Generator
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlsplit

import av
import av.bitstream

from streams.packets import CLOCK_RATE, EncodedPacket, SourceError
from streams.sources.annexb import ParameterSets, is_annexb
from streams.sources.threaded import iterate_in_thread

_MAX_LATE = 1.0  # seconds behind schedule after which the schedule restarts (no burst)
_FALLBACK_FPS = 15


def parse_file_url(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or not parts.path:
        raise SourceError(f"{url!r}: expected file:///absolute/path.mp4")
    if parts.query:
        raise SourceError(f"{url!r}: file:// takes no parameters")
    path = Path(unquote(parts.path))
    if not path.is_absolute():
        raise SourceError(f"{url!r}: the path must be absolute (file:///...)")
    return path


def _ticks(value: int, time_base: Fraction) -> int:
    """``value`` in ``time_base`` units as 90 kHz ticks."""
    return round(value * time_base * CLOCK_RATE)


class FileSource:
    """A ``PacketSource`` replaying an H.264 file forever while it is iterated."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = parse_file_url(url)

    def packets(self) -> AsyncGenerator[EncodedPacket, None]:
        # An async generator: ``contextlib.aclosing`` releases the thread at once.
        return iterate_in_thread(self._produce, name=f"file://{self.path}")

    def _produce(self, stop: threading.Event) -> Generator[EncodedPacket, None, None]:
        schedule = time.monotonic()  # when pts 0 is due
        offset = 0  # 90 kHz ticks added to this loop's timestamps
        last_pts = -1
        while not stop.is_set():
            frame_ticks = 0  # stays 0 if the file has no packets
            # closing(): stopping mid-file closes the container now, in this thread.
            with contextlib.closing(self._one_pass()) as replay:
                for ticks, duration, packet in replay:
                    frame_ticks = duration
                    pts = max(offset + ticks, last_pts + 1)
                    last_pts = pts
                    delay = schedule + pts / CLOCK_RATE - time.monotonic()
                    if delay > 0 and stop.wait(delay):
                        return
                    if delay < -_MAX_LATE:  # stalled (suspended, overloaded): skip, don't burst
                        schedule = time.monotonic() - pts / CLOCK_RATE
                    yield EncodedPacket(packet.data, pts, packet.keyframe, time.time())
            if frame_ticks == 0:
                raise SourceError(f"{self.path}: no H.264 packets in the file")
            # The next loop starts one frame after this one's last frame.
            offset = last_pts + frame_ticks

    def _one_pass(self) -> Generator[tuple[int, int, EncodedPacket], None, None]:
        """One play-through: (90 kHz pts from 0, frame duration in ticks, Annex B packet);
        the packet's own pts and captured are placeholders."""
        try:
            container = av.open(str(self.path), "r")
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"{self.path}: cannot open: {exc}") from exc
        try:
            if not container.streams.video:
                raise SourceError(f"{self.path}: no video stream")
            stream = container.streams.video[0]
            codec = stream.codec_context
            if codec.name != "h264":
                raise SourceError(f"{self.path}: video is {codec.name}, only H.264 is relayed")
            # B-frames show as timestamps going backwards below. codec.has_b_frames is
            # not used: FFmpeg guesses it high for SPSs without VUI reorder info, which
            # many cameras write, and would refuse their recordings wrongly.
            time_base = stream.time_base or Fraction(1, CLOCK_RATE)
            rate = stream.average_rate or stream.guessed_rate or _FALLBACK_FPS
            frame_ticks = max(1, round(CLOCK_RATE / rate))
            params = ParameterSets(codec.extradata)
            bsf = av.bitstream.BitStreamFilterContext("h264_mp4toannexb", stream)
            first: int | None = None
            ticks = -frame_ticks
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # demux ends with an empty flush packet
                for out in bsf.filter(packet):
                    if out.pts is None:  # raw streams carry no timestamps: count frames
                        ticks += frame_ticks
                    else:
                        first = out.pts if first is None else first
                        now = _ticks(out.pts - first, time_base)
                        if now < ticks:
                            raise SourceError(
                                f"{self.path}: has B-frames (timestamps go backwards); "
                                "re-encode it without (x264: bframes=0) to replay it live"
                            )
                        ticks = now
                    data = bytes(out)
                    if not is_annexb(data):
                        raise SourceError(f"{self.path}: could not convert to Annex B")
                    yield (
                        ticks,
                        frame_ticks,
                        EncodedPacket(params.fix(data), 0, out.is_keyframe, 0.0),
                    )
        except av.FFmpegError as exc:
            raise SourceError(f"{self.path}: read failed: {exc}") from exc
        finally:
            container.close()
