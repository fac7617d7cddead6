"""Which page a path shows. The HTTP layer answers 404 before a bad path reaches here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dash import html
from dash.development.base_component import Component

from layouts.console_page import console_page
from layouts.screen_page import screen_page
from layouts.tablet_page import tablet_page
from layouts.wall_page import wall_page
from wall.auth.gate import current_identity
from wall.config.auth import allows
from wall.tile_view import TileContext
from wall.tile_views import AnyTileView

SCREEN_PATH = re.compile(r"^/wall/screen/(\d{1,3})/?$")
WALL_PATH = re.compile(r"^/(wall/?)?$")
TABLET_PATH = re.compile(r"^/tablet/?$")
CONSOLE_PATH = re.compile(r"^/console/?$")


@dataclass(frozen=True)
class Pages:
    """Everything a page needs to draw itself."""

    ctx: TileContext
    views: Mapping[str, AnyTileView]

    def screen_number(self, path: str) -> int | None:
        """The screen a path asks for, or None when the path is no screen of this wall."""
        match = SCREEN_PATH.match(path)
        if not match:
            return None
        number = int(match.group(1))
        return number if 1 <= number <= self.ctx.config.wall.screen_count else None

    def is_page(self, path: str) -> bool:
        return (
            bool(WALL_PATH.match(path) or TABLET_PATH.match(path) or CONSOLE_PATH.match(path))
            or self.screen_number(path) is not None
        )


def render(pages: Pages, path: str | None) -> Component:
    path = path or "/wall"
    number = pages.screen_number(path)
    if number is not None:
        return screen_page(pages.ctx, pages.views, number)
    if CONSOLE_PATH.match(path):
        # The page request itself was refused below operator (RoleGuard); this is the
        # same check for a navigation inside the app.
        identity = current_identity()
        if identity is None or not allows(identity.role, "operator"):
            return html.Div(pages.ctx.translate("console.forbidden"), className="cw-404")
        return console_page(pages.ctx, pages.views, admin=allows(identity.role, "admin"))
    if TABLET_PATH.match(path):
        return tablet_page(pages.ctx, pages.views)
    if WALL_PATH.match(path):
        return wall_page(pages.ctx, pages.views)
    return html.Div(html.H1("404"), className="cw-404")
