"""The ``clock`` tile's view: date and time in the hall's time zone, seconds ticking,
drawn in the browser.

The tick runs client-side (no server round-trip per second); the server renders the
first value so the tile is never empty, even before the scripts run.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import MATCH, Dash, Input, Output, State, dcc, html

from wall.config.tiles.clock import ClockTile
from wall.i18n import Translator
from wall.tile_view import TileContext, TileView


def format_time(now: datetime, seconds: bool) -> str:
    return now.strftime("%H:%M:%S" if seconds else "%H:%M")


def format_date(now: datetime, locale: str, weekday: bool, translate: Translator) -> str:
    """Same text the browser's Intl.DateTimeFormat gives, so the first tick does not jump."""
    day = translate(f"weekday.{now.weekday()}") if weekday else ""
    if locale == "zh-CN":
        return f"{now.year}年{now.month}月{now.day}日{day}"
    date = f"{now:%B} {now.day}, {now.year}"
    return f"{day}, {date}" if weekday else date


def layout(tile: ClockTile, ctx: TileContext) -> html.Div:
    tz = tile.timezone or ctx.config.wall.timezone
    now = datetime.now(ZoneInfo(tz))
    options = {
        "locale": ctx.translate.locale,
        "tz": tz,
        "seconds": tile.show_seconds,
        "date": tile.show_date,
        "weekday": tile.show_weekday,
    }
    date = format_date(now, ctx.translate.locale, tile.show_weekday, ctx.translate)
    return html.Div(
        className="cw-clock",
        children=[
            html.Div(tile.label or ctx.translate("clock.label"), className="cw-clock__label"),
            html.Div(
                format_time(now, tile.show_seconds),
                id={"tile": "clock", "id": tile.id, "part": "time"},
                className="cw-clock__time",
            ),
            html.Div(
                date if tile.show_date else "",
                id={"tile": "clock", "id": tile.id, "part": "date"},
                className="cw-clock__date",
            ),
            dcc.Store(id={"tile": "clock-options", "id": tile.id}, data=options),
            dcc.Interval(id={"tile": "clock-tick", "id": tile.id}, interval=500),
        ],
    )


# One clientside callback serves every clock tile (pattern-matching ids).
TICK_JS = """
function (_n, o) {
    const now = new Date();
    const time = new Intl.DateTimeFormat(o.locale, {
        timeZone: o.tz, hour: "2-digit", minute: "2-digit",
        second: o.seconds ? "2-digit" : undefined, hourCycle: "h23"
    }).format(now);
    if (!o.date) { return [time, ""]; }
    const date = new Intl.DateTimeFormat(o.locale, {
        timeZone: o.tz, year: "numeric", month: "long", day: "numeric",
        weekday: o.weekday ? "long" : undefined
    }).format(now);
    return [time, date];
}
"""


def register_callbacks(app: Dash) -> None:
    app.clientside_callback(  # type: ignore[no-untyped-call]
        TICK_JS,
        Output({"tile": "clock", "id": MATCH, "part": "time"}, "children"),
        Output({"tile": "clock", "id": MATCH, "part": "date"}, "children"),
        Input({"tile": "clock-tick", "id": MATCH}, "n_intervals"),
        State({"tile": "clock-options", "id": MATCH}, "data"),
    )


VIEW = TileView(
    schema=ClockTile,
    layout=layout,
    register_callbacks=register_callbacks,
    strings={"zh-CN": {"clock.label": "北京时间"}, "en": {"clock.label": "Beijing time"}},
)
