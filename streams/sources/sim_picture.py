"""The picture of a simulated camera, drawn straight into a yuv420p buffer.

Built in YUV with numpy (no RGB image, no colour conversion): a static tinted
background, a sweeping bar so that motion is visible, the camera id, and the
capture time both as big ``HH:MM:SS.mmm`` text and as a machine-readable code.
"""

from __future__ import annotations

import time
import zlib

import numpy as np

from streams.sources.clock_reader import code_origin, draw_clock_code
from streams.sources.glyphs import WHITE, GlyphFont, Plane


def clock_text(captured: float) -> str:
    """``HH:MM:SS.mmm`` in local time."""
    ms = round(captured * 1000)
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{millis:03d}"


class SimPicture:
    """One reusable (height * 3/2, width) yuv420p buffer, redrawn for each frame."""

    def __init__(self, camera_id: str, label: str, width: int, height: int, fps: int) -> None:
        if width % 16 or height % 8:
            raise ValueError(f"{width}x{height}: width must be a multiple of 16, height of 8")
        self.camera_id = camera_id
        self.label = label
        self.width = width
        self.height = height
        self.big = GlyphFont(height // 8)
        self.small = GlyphFont(height // 20)
        self.buffer: Plane = np.empty((height * 3 // 2, width), np.uint8)
        # Per-camera tint from a stable hash of the id, so tiles are told apart at a glance.
        tint = zlib.crc32(camera_id.encode()) % 160
        rows = np.linspace(40, 110, height, dtype=np.float32)[:, None]
        cols = np.linspace(0, 30, width, dtype=np.float32)[None, :]
        self.background: Plane = (rows + cols).astype(np.uint8)
        chroma = self.buffer[height:].reshape(-1)
        quarter = (width // 2) * (height // 2)
        chroma[:quarter] = 48 + tint  # U plane
        chroma[quarter:] = 208 - tint  # V plane
        _, code_top = code_origin(width, height)
        self.motion_bottom = code_top - 8  # the bar never touches the clock code
        self.bar_width = max(8, width // 32)
        # One sweep across the picture every 4 seconds, whatever the frame rate.
        self.bar_step = max(1, round((width - self.bar_width) / (4 * fps)))
        self.margin = max(8, height // 30)

    def draw(self, index: int, captured: float) -> Plane:
        """Frame ``index`` captured at ``captured`` (time.time()); returns the shared buffer."""
        luma = self.buffer[: self.height]
        luma[:] = self.background
        span = self.width - self.bar_width
        offset = (index * self.bar_step) % (2 * span)
        x = offset if offset < span else 2 * span - offset  # bounce back and forth
        luma[: self.motion_bottom, x : x + self.bar_width] = 200
        m = self.margin
        self.small.draw(luma, 2 * m, 2 * m, self.camera_id, pad=m // 2)
        self.small.draw(luma, 2 * m, 3 * m + self.small.height, self.label, pad=m // 2)
        top = (self.height - self.big.height) // 2
        self.big.draw(luma, 2 * m, top, clock_text(captured), luma=WHITE, pad=m)
        draw_clock_code(luma, captured)
        return self.buffer
