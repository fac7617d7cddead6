"""The ``text`` tile's view: a notice or banner (公示公告, hotline numbers, the day's
duty roster), in Markdown."""

from __future__ import annotations

from dash import dcc, html

from wall.config.tiles.text import TextTile
from wall.html_attrs import attrs
from wall.tile_view import TileContext, TileView


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


VIEW = TileView(schema=TextTile, layout=layout)
