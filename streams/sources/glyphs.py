"""Text drawn straight into a luma plane from glyph masks rendered once.

Rendering text with Pillow for every frame would cost more than the encode; instead
each printable ASCII character is rendered once (Pillow's bundled scalable font, so
no system fonts are needed) into a boolean mask, and a frame only pastes masks.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

Plane = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

_CHARS = "".join(chr(c) for c in range(32, 127))
WHITE = 235  # video-range luma: 16 is black, 235 white
BLACK = 16


class GlyphFont:
    """Printable ASCII at one pixel size; anything else is drawn as ``?``."""

    def __init__(self, size: int) -> None:
        font = ImageFont.load_default(size=size)
        boxes = {ch: font.getbbox(ch) for ch in _CHARS}
        # One common band of rows for all glyphs, tight around the ink, so that a
        # line of text has a fixed height and the box behind it hugs the letters.
        top = int(min(b[1] for b in boxes.values() if b[3] > b[1]))
        bottom = int(max(b[3] for b in boxes.values()))
        self.height = bottom - top
        self.masks: dict[str, Mask] = {}
        for ch in _CHARS:
            width = max(1, round(font.getlength(ch)))
            image = Image.new("L", (width, self.height), 0)
            ImageDraw.Draw(image).text((0, -top), ch, fill=255, font=font)
            self.masks[ch] = np.asarray(image) > 127

    def width(self, text: str) -> int:
        return sum(self._mask(ch).shape[1] for ch in text)

    def _mask(self, ch: str) -> Mask:
        return self.masks.get(ch, self.masks["?"])

    def draw(
        self, plane: Plane, x: int, y: int, text: str, luma: int = WHITE, pad: int = 0
    ) -> None:
        """Draw ``text`` with its top-left corner at (x, y), clipped to the plane.

        ``pad`` > 0 first fills a black box that much larger than the text, so the
        text stays legible over any picture.
        """
        height, width = plane.shape
        if pad:
            x1 = min(width, x + self.width(text) + pad)
            y1 = min(height, y + self.height + pad)
            plane[max(0, y - pad) : y1, max(0, x - pad) : x1] = BLACK
        for ch in text:
            mask = self._mask(ch)
            if x >= width:
                break
            region = plane[y : y + mask.shape[0], x : x + mask.shape[1]]
            region[mask[: region.shape[0], : region.shape[1]]] = luma
            x += mask.shape[1]
