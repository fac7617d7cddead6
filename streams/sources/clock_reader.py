"""The capture time burned into a picture as a barcode, and read back after decoding.

The legible ``HH:MM:SS.mmm`` text is for people; latency benchmarks need a machine
to read the time a frame was captured, after encode, relay and decode. Reading text
back would need OCR, so the same instant is also drawn as 64 black or white
16x16 blocks (two rows of 32), aligned to macroblocks so that lossy coding keeps
each block's centre clearly dark or light:

    bits 0-47   capture time, milliseconds since the Unix epoch, most significant first
    bits 48-63  CRC-32 of those 6 bytes, low 16 bits (a frame without the code reads as None)
"""

from __future__ import annotations

import zlib

import av
import numpy as np
import numpy.typing as npt

Plane = npt.NDArray[np.uint8]

BLOCK = 16
PER_ROW = 32
ROWS = 2
TIME_BITS = 48
CHECK_BITS = 16
CODE_WIDTH = BLOCK * PER_ROW  # 512 px: fits the 640-wide sub stream
CODE_HEIGHT = BLOCK * ROWS
_WHITE = 235
_BLACK = 16
_THRESHOLD = (_WHITE + _BLACK) // 2
# 8-bit pixel formats whose first plane is luma, one byte a pixel.
_LUMA_FIRST = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)


def code_origin(width: int, height: int) -> tuple[int, int]:
    """Top-left corner of the code: 16 px from the left, near the bottom, on the 16 px grid."""
    if width < BLOCK + CODE_WIDTH or height < CODE_HEIGHT + 8:
        raise ValueError(f"{width}x{height} is too small for the clock code")
    return BLOCK, ((height - CODE_HEIGHT - 8) // BLOCK) * BLOCK


def _check(ms: int) -> int:
    return zlib.crc32(ms.to_bytes(6, "big")) & 0xFFFF


def _bits(ms: int) -> list[int]:
    word = (ms << CHECK_BITS) | _check(ms)
    total = TIME_BITS + CHECK_BITS
    return [(word >> (total - 1 - i)) & 1 for i in range(total)]


def draw_clock_code(luma: Plane, captured: float) -> None:
    """Burn ``captured`` (a ``time.time()`` value) into the luma plane, in place."""
    height, width = luma.shape
    x0, y0 = code_origin(width, height)
    ms = round(captured * 1000) & ((1 << TIME_BITS) - 1)
    blocks = np.array(_bits(ms), dtype=np.uint8).reshape(ROWS, PER_ROW)
    levels = np.where(blocks == 1, _WHITE, _BLACK).astype(np.uint8)
    # Each bit becomes a BLOCK x BLOCK square: repeat along both axes.
    luma[y0 : y0 + CODE_HEIGHT, x0 : x0 + CODE_WIDTH] = levels.repeat(BLOCK, 0).repeat(BLOCK, 1)


def read_clock_code(luma: Plane) -> float | None:
    """The capture time from a luma plane, or None when no valid code is there."""
    height, width = luma.shape
    try:
        x0, y0 = code_origin(width, height)
    except ValueError:
        return None
    area = luma[y0 : y0 + CODE_HEIGHT, x0 : x0 + CODE_WIDTH].astype(np.float32)
    # Mean of the centre 8x8 of each block: block edges bleed after lossy coding.
    cells = area.reshape(ROWS, BLOCK, PER_ROW, BLOCK)[:, 4:12, :, 4:12].mean(axis=(1, 3))
    word = 0
    for bit in (cells > _THRESHOLD).reshape(-1):
        word = (word << 1) | int(bit)
    ms, check = word >> CHECK_BITS, word & 0xFFFF
    if _check(ms) != check:
        return None
    return ms / 1000


def read_burned_clock(frame: av.VideoFrame) -> float | None:
    """The ``time.time()`` at which a decoded sim:// frame was captured, or None."""
    if frame.format.name in _LUMA_FIRST:
        # Read the luma plane in place; its rows may be padded to line_size.
        plane = frame.planes[0]
        count = frame.height * plane.line_size
        rows = np.frombuffer(memoryview(plane), np.uint8, count=count).reshape(
            frame.height, plane.line_size
        )
        return read_clock_code(rows[:, : frame.width])
    return read_clock_code(np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8))
