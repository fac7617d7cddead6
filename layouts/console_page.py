"""``/console``: the operators' desk (operator role, checked on the server).

Left, a live miniature of the wall: click a cell of a camera tile to select it. The
miniature, the selection and the alarm banner follow the camera tiles' live part
``view`` over the same push as the wall's screens (assets/console.js draws them).
Right, what to put there: search cameras (name, road, grid, tag), pick one from the
list or on the map, choose the tile's multi-view; run tours, recall or save presets;
acknowledge the alarm; take a snapshot for evidence; and the audit log below. The
callbacks are in layouts/console_callbacks.py; the state itself in wall/control.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import dash_leaflet as dl
from dash import dcc, html
from dash.development.base_component import Component

from layouts._case_desk import case_desk
from layouts.admin_panel import admin_panel
from layouts.tile_frame import live_attrs
from wall.config.tiles.camera import GRID_SIZES
from wall.geometry import percent_box, tile_rect
from wall.html_attrs import attrs
from wall.tile_view import TileContext
from wall.tile_views import AnyTileView
from wall.ui.basemap import camera_features, usable_basemap, water_and_roads

TICK_MS = 2000  # the audit log, snapshots, tours, presets and camera statuses refresh
SELECTED_STORE: Final = "console-selected"  # the selected cell; console.js writes it too
PICK_STORE: Final = "console-pick"  # the camera picked in the list (written in the browser)
ALARM_STORE: Final = "console-alarm-case"  # the alarm the operator sees (to acknowledge)
ALARM_ACK: Final = "console-alarm-ack"
ALARM_BANNER: Final = "console-alarm"  # console.js writes the alarm's words here
SELECTION: Final = "console-selection"  # and the selection's here
MINI_RENDERER: Final = "console-mini"  # assets/console.js draws the camera tiles' boxes


def console_page(
    ctx: TileContext, views: Mapping[str, AnyTileView], admin: bool = False
) -> Component:
    t = ctx.translate
    holders = ctx.config.camera_tiles()
    selected = {"tile": holders[0].id if holders else None, "cell": 0}
    return html.Div(
        [
            dcc.Interval(id="console-tick", interval=TICK_MS),
            dcc.Store(id=SELECTED_STORE, data=selected),
            dcc.Store(id=PICK_STORE),
            dcc.Store(id="console-selected-shown"),
            dcc.Store(id="console-version", data=0),
            dcc.Store(id=ALARM_STORE),
            dcc.Store(id="console-case-sig"),
            html.Header(
                [
                    html.H1(f"{ctx.config.wall.title} · {t('console.title')}"),
                    html.Div(id="console-message", className="cw-console__message", role="status"),
                    html.Div(id="console-status", className="cw-console__message", role="alert"),
                    html.A(t("console.logout"), href="/logout", className="cw-console__logout"),
                ],
                className="cw-console__header",
            ),
            html.Div(id=ALARM_BANNER, className="cw-console__alarm"),
            html.Button(t("console.ack"), id=ALARM_ACK, className="cw-console__ack", hidden=True),
            html.Main(
                [
                    html.Section(
                        [
                            html.H2(t("console.wall")),
                            _miniature(ctx, views),
                            html.Div(id=SELECTION, className="cw-console__selection"),
                            _layout_buttons(ctx),
                            _tours(ctx),
                            _presets(ctx),
                        ],
                        className="cw-console__left",
                    ),
                    html.Section(
                        [_preview(ctx), _picker(ctx), _console_map(ctx), _snapshots(ctx)],
                        className="cw-console__right",
                    ),
                ],
                className="cw-console__main",
            ),
            case_desk(ctx),
            html.Section(
                [html.H2(t("console.audit")), html.Div(id="console-audit")],
                className="cw-console__audit",
            ),
            *([admin_panel(ctx)] if admin else []),
        ],
        id="console",
        className="cw-console",
        **attrs(
            data_selected_store=SELECTED_STORE,
            data_selection_id=SELECTION,
            data_alarm_banner_id=ALARM_BANNER,
            data_alarm_store=ALARM_STORE,
            data_alarm_ack=ALARM_ACK,
            data_label_selected=t("console.selected", tile="{tile}", cell="{cell}",
                                  camera="{camera}"),
            data_label_select_tile=t("console.select_tile"),
            data_label_urgent=t("alarm.urgent"),
            data_label_video=t("alarm.video"),
            data_label_no_camera=t("alarm.no_camera"),
            data_label_distance=t("alarm.distance", m="{m}"),
        ),
    )  # fmt: skip


def _miniature(ctx: TileContext, views: Mapping[str, AnyTileView]) -> Component:
    """Every tile where it is on the wall; camera tiles are live (console.js fills their
    cells from the pushed view, clickable)."""
    boxes: list[Component] = []
    holders = {tile.id for tile in ctx.config.camera_tiles()}
    for tile in ctx.config.tiles:
        box = percent_box(tile_rect(tile), ctx.config.wall)
        if tile.id not in holders:
            boxes.append(html.Div(tile.title or tile.type, className="cw-mini__tile", style=box))
            continue
        marks = {**live_attrs(views[tile.type]), **attrs(data_renderer=MINI_RENDERER)}
        boxes.append(
            html.Div(
                [
                    html.Div(tile.title or tile.id, className="cw-mini__title"),
                    html.Div(className="cw-mini__cells"),
                ],
                className="cw-mini__tile cw-mini__tile--camera",
                style=box,
                **attrs(data_tile=tile.id, data_tile_id=tile.id, data_title=tile.title or tile.id),
                **marks,
            )
        )
    return html.Div(boxes, id="console-mini", className="cw-console__mini")


def _layout_buttons(ctx: TileContext) -> Component:
    buttons = [
        html.Button(f"{n}", id={"console": "layout", "n": n}, className="cw-console__layout")
        for n in GRID_SIZES
    ]
    return _row([html.Span(ctx.translate("console.layout")), *buttons])


def _row(children: list[Component], title: str | None = None) -> Component:
    return html.Div(children, className="cw-console__row", title=title)


def _box(heading: Component, *children: Component) -> Component:
    return html.Div([heading, *children], className="cw-console__box")


def _tours(ctx: TileContext) -> Component:
    t = ctx.translate
    return _box(
        html.H3(t("console.tours")),
        _row([
            dcc.RadioItems(id="console-tour", className="cw-console__pick"),
            html.Button(t("console.tour_start"), id="console-tour-start"),
            html.Button(t("console.tour_stop"), id="console-tour-stop"),
        ]),
        _row([
            dcc.Input(id="console-tour-name", placeholder=t("console.tour_name"), maxLength=64),
            dcc.Input(id="console-tour-dwell", type="number", min=3, value=10, step=1),
            html.Span("s"),
            html.Button(t("console.tour_save"), id="console-tour-save"),
        ], title=t("console.tour_save_hint")),
    )  # fmt: skip


def _presets(ctx: TileContext) -> Component:
    t = ctx.translate
    return _box(
        html.H3(t("console.presets")),
        _row([
            dcc.RadioItems(id="console-preset", className="cw-console__pick"),
            html.Button(t("console.preset_recall"), id="console-preset-recall"),
        ]),
        _row([
            dcc.Input(id="console-preset-name", placeholder=t("console.preset_name"),
                      maxLength=64),
            html.Button(t("console.preset_save"), id="console-preset-save"),
        ]),
    )  # fmt: skip


def _preview(ctx: TileContext) -> Component:
    """The selected cell's camera (or the one just picked) playing here, its sub stream:
    the operator sees what goes to the wall. Filled by layouts/console_callbacks.py."""
    return _box(
        html.H2(ctx.translate("console.preview")),
        html.Div(id="console-preview", className="cw-console__preview"),
        dcc.Store(id="console-preview-camera"),
    )


def _picker(ctx: TileContext) -> Component:
    t = ctx.translate
    return _box(
        html.H2(t("console.cameras")),
        dcc.Input(id="console-search", type="search", debounce=0.25,
                  placeholder=t("console.search"), className="cw-console__search"),
        html.Div(id="console-results", className="cw-console__results"),
    )  # fmt: skip


def _console_map(ctx: TileContext) -> Component:
    """The cameras over the e-map's own basemap, for clicking (assets/console.js)."""
    spec = ctx.config.map
    layers: list[Component] = []
    basemap = None if spec.tiles else usable_basemap(spec.basemap)
    if spec.tiles:
        layers.append(dl.TileLayer(url=spec.tiles))
    elif basemap is not None:
        layers += water_and_roads(basemap)
    layers.append(
        dl.GeoJSON(
            id="console-map-cameras",
            data=camera_features(ctx.config),
            pointToLayer={"variable": "citywallConsole.cameraPoint"},
            hideout={"status": {}},
        )
    )
    # The latest cases (a click opens one in the case panel); drawn over the cameras.
    layers.append(
        dl.GeoJSON(
            id="console-map-cases",
            data={"type": "FeatureCollection", "features": []},
            pointToLayer={"variable": "citywallConsole.casePoint"},
        )
    )
    return html.Div(
        dl.MapContainer(
            layers,
            id="console-map",  # a click on the map places a report (case_callbacks)
            center=list(spec.center),
            zoom=spec.zoom,
            zoomSnap=0,
            style={"width": "100%", "height": "100%"},
        ),
        className="cw-console__map",
        title=ctx.translate("console.map_hint"),
    )


def _snapshots(ctx: TileContext) -> Component:
    """Evidence of the selected cell's camera: a snapshot, or a clip (the last seconds
    the relay keeps, until stopped); both linked to the case number when one is given."""
    t = ctx.translate
    return _box(
        html.H2(t("console.snapshots")),
        _row([
            dcc.Input(id="console-case", placeholder=t("console.case_id"), maxLength=64),
            html.Button(t("console.snapshot"), id="console-snapshot"),
        ]),
        _row([
            html.Span(t("clips.before")),
            dcc.Input(id="console-clip-before", type="number", min=0, max=60, value=10, step=1),
            html.Span("s"),
            html.Button(t("clips.start"), id="console-clip-start"),
            html.Button(t("clips.stop"), id="console-clip-stop"),
        ], title=t("clips.hint")),
        dcc.Store(id="console-clip-rec"),
        html.Div(id="console-clip-recording", className="cw-console__recording", role="status"),
        html.Div(id="console-snapshots", className="cw-console__snapshots"),
        html.Div(id="console-clips", className="cw-console__snapshots"),
        html.Video(id="console-clip-player", controls=True, muted=True, autoPlay=True,
                   className="cw-console__player"),
    )  # fmt: skip
