"""The caption strip of an evidence snapshot: one line below the picture (time, camera,
operator, case), so that no pixel of the camera's picture is covered.

Chinese needs a CJK font: the first of a few usual system fonts (Noto Sans CJK, WenQuanYi,
Droid Sans Fallback, Microsoft YaHei) is used; without one, the caption is ASCII only
(English labels, and the camera's name left out unless it is ASCII).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont
CJK_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/msyh.ttc",
)
JPEG_QUALITY = 92  # the relay's JPEG is decoded and encoded once more, with the strip
MIN_FONT = 10


@cache
def _cjk_font_file() -> tuple[str, int] | None:
    """(path, face index) of a CJK font, the Simplified Chinese face of a collection."""
    for name in CJK_FONTS:
        if not Path(name).is_file():
            continue
        for index in range(8):
            try:
                family = ImageFont.truetype(name, 12, index=index).getname()[0] or ""
            except OSError:
                break
            if family.endswith(" SC"):
                return name, index
        return name, 0
    return None


@cache
def _font(size: int) -> tuple[FontType, bool]:
    """A font of ``size`` pixels, and whether it draws Chinese."""
    found = _cjk_font_file()
    if found is not None:
        return ImageFont.truetype(found[0], size, index=found[1]), True
    return ImageFont.load_default(size=size), False


def caption_text(
    when: str, camera_id: str, name: str, operator: str, case_id: str | None, chinese: bool
) -> str:
    if chinese:
        parts = [when, f"{camera_id} {name}", f"操作员 {operator}"]
        if case_id:
            parts.append(f"案件 {case_id}")
    else:
        camera = f"{camera_id} {name}" if name.isascii() else camera_id
        parts = [when, camera, f"operator {operator}"]
        if case_id:
            parts.append(f"case {case_id}")
    return "   ".join(parts)


def caption_jpeg(
    jpeg: bytes,
    when: str,
    camera_id: str,
    name: str,
    operator: str,
    case_id: str | None,
    comment: str = "",
) -> bytes:
    """``jpeg`` with a black strip added below it carrying the caption; ``comment`` goes
    into the file's JPEG comment. ``OSError`` if ``jpeg`` is not a picture Pillow reads."""
    with Image.open(io.BytesIO(jpeg)) as source:
        picture = source.convert("RGB")
    width, height = picture.size
    size = max(MIN_FONT, min(48, width // 60))
    font, chinese = _font(size)
    text = caption_text(when, camera_id, name, operator, case_id, chinese)
    margin = max(4, size // 2)
    while size > MIN_FONT and font.getlength(text) > width - 2 * margin:
        size -= 1
        font, _ = _font(size)
    strip = round(size * 1.6)
    out = Image.new("RGB", (width, height + strip), (0, 0, 0))
    out.paste(picture, (0, 0))
    draw = ImageDraw.Draw(out)
    draw.text((margin, height + strip // 2), text, fill=(255, 255, 255), font=font, anchor="lm")
    buffer = io.BytesIO()
    out.save(buffer, format="JPEG", quality=JPEG_QUALITY, comment=comment.encode())
    return buffer.getvalue()
