"""``text``: a notice or banner (公示公告, hotline numbers, the day's duty roster), in Markdown."""

from __future__ import annotations

from typing import Literal

from dash import dcc, html
from pydantic import Field

from wall.html_attrs import attrs
from wall.tiles.base import TileConfig, TileContext, TileType


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


def layout(tile: TextTile, _ctx: TileContext) -> html.Div:
    classes = f"cw-text cw-text--{tile.style} cw-text--{tile.size} cw-text--align-{tile.align}"
    body = [
        html.Div(
            dcc.Markdown(tile.body, id={"tile": "text", "id": tile.id}), className="cw-text__copy"
        )
    ]
    if tile.scroll != "none":
        # A second copy follows the first, so the loop restarts where it began, with no jump.
        body.append(
            html.Div(
                dcc.Markdown(tile.body), className="cw-text__copy", **attrs(aria_hidden="true")
            )
        )
    return html.Div(
        className=classes,
        children=html.Div(
            className=f"cw-text__scroll cw-text__scroll--{tile.scroll}",
            style={"animationDuration": f"{tile.scroll_seconds}s"},
            children=body,
        ),
    )


TILE_TYPE = TileType(
    name="text",
    model=TextTile,
    layout=layout,
    summary="A notice or banner in Markdown, optionally scrolling.",
)
