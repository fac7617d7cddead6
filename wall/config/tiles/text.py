"""``text``: a notice or banner in Markdown (the view: wall/tiles/text.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wall.config.tiles.base import TileConfig


class TextTile(TileConfig):
    """Static text in Markdown: headings, lists and emphasis are kept; raw HTML is not."""

    type: Literal["text"] = Field(description="Tile type.")
    body: str = Field(min_length=1, description="The text, in Markdown.")
    style: Literal["notice", "banner", "plain"] = Field(
        default="notice",
        description="notice: framed board; banner: hall title strip; plain: no frame.",
    )
    size: Literal["small", "normal", "large", "huge"] = Field(
        default="normal", description="Type size (normal reads from 5 m on a 55-inch screen)."
    )
    align: Literal["left", "center", "right"] = Field(default="left", description="Alignment.")
    scroll: Literal["none", "horizontal", "vertical"] = Field(
        default="none", description="Marquee (horizontal) or slow roll (vertical) for long text."
    )
    scroll_seconds: int = Field(default=40, ge=5, le=600, description="Seconds per scroll cycle.")
