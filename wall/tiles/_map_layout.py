"""The map tile's layout: the dash-leaflet map, its layers, and the legend.

The map is laid out at the tile's native size (in screen pixels) and scaled down by
CSS to whatever the page shows (assets/tiles/map.js sizes it): Leaflet measures
everything in CSS pixels (marker sizes, cluster radius, which tiles to load, the
zoom that fits), so a native-size map shows the same extent, clusters and marker
sizes on the /wall overview as on the hall's screens, only smaller.
"""

from __future__ import annotations

import json
from typing import Any, Final

import dash_leaflet as dl
from dash import html

from data_feeds import catalog
from wall.config.basemap import basemap_layer
from wall.config.tiles.map import CATEGORY_KEYS, MapTile
from wall.geo_fit import fit_view
from wall.html_attrs import attrs
from wall.i18n import Translator
from wall.tile_view import TileContext
from wall.ui.basemap import EMPTY, camera_features, js, usable_basemap
from wall.ui.native import native_size

OPEN_STATUSES = ("reported", "filed", "dispatched", "handled", "verified", "rework")
OFFICER_STATUSES = ("patrolling", "handling", "idle", "offline")
CAMERA_STATUSES = ("online", "offline", "unknown")
# Supercluster's radius is in 512-px tile units: 160 groups cases within ~80 native px,
# about the size of a cluster's marker, so clusters do not pile up.
CLUSTER_OPTIONS = {"radius": 160, "maxZoom": 16}
# The headings of a case popup's details (map.popup.<heading> in the tile's strings).
POPUP_HEADINGS = ("address", "description", "channel", "before", "after")
# The layers map.js sets props on (their Dash ids are in the tile's data-layer-ids).
LIVE_LAYERS: Final = ("view", "cases", "officers", "trails", "cameras", "focus")


def layer_id(tile_id: str, layer: str) -> dict[str, str]:
    """The dash id of one of the tile's leaflet layers (``view`` is the map itself)."""
    return {"tile": "map", "id": tile_id, "layer": layer}


def initial_view(tile: MapTile, ctx: TileContext) -> tuple[list[float], float]:
    """The tile's own centre and zoom where it gives them; else the view that fits its
    data (cameras, grids) to its body's native size, centred; else ``map``'s."""
    spec = ctx.config.map
    fallback = (list(tile.center or spec.center), tile.zoom if tile.zoom is not None else spec.zoom)
    if tile.center is not None and tile.zoom is not None:
        return fallback
    points = data_points(tile, ctx)
    if len(set(points)) < 2:  # one camera is no extent: keep the configured view
        return fallback
    (lat, lon), zoom = fit_view(points, *native_size(tile, ctx.config.wall))
    center = list(tile.center) if tile.center is not None else [lat, lon]
    return center, tile.zoom if tile.zoom is not None else round(zoom, 3)


def data_points(tile: MapTile, ctx: TileContext) -> list[tuple[float, float]]:
    """What the tile must show whole: its cameras and its grids' corners (only those of
    ``grids`` when it filters). Cases lie in the grids."""
    wanted = set(tile.grids) if tile.grids is not None else None
    points = [
        (c.lat, c.lon) for c in ctx.config.cameras.items if wanted is None or c.grid in wanted
    ]
    basemap = usable_basemap(ctx.config.map.basemap)
    if basemap is not None:
        for feature in basemap_layer(basemap, "grid")["features"]:
            if wanted is None or feature["properties"].get("code") in wanted:
                points += [(lat, lon) for lon, lat in _corners(feature["geometry"])]
    return points


def _corners(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    """Every [lon, lat] position of a (Multi)Polygon's rings."""
    rings = geometry["coordinates"]
    if geometry["type"] == "MultiPolygon":
        rings = [ring for polygon in rings for ring in polygon]
    return [(float(x), float(y)) for ring in rings for x, y, *_ in ring]


def map_layout(tile: MapTile, ctx: TileContext) -> html.Div:
    spec = ctx.config.map
    center, zoom = initial_view(tile, ctx)
    view = dl.MapContainer(
        _layers(tile, ctx),
        id=layer_id(tile.id, "view"),
        center=center,
        zoom=zoom,
        zoomSnap=0,  # fractional zoom from the config, as given
        zoomControl=False,
        attributionControl=False,  # see _layers: a plain-text prefix instead of Leaflet's
        # A wall is looked at, not handled: every screen of it must show the same view.
        dragging=False,
        scrollWheelZoom=False,
        doubleClickZoom=False,
        boxZoom=False,
        keyboard=False,
        touchZoom=False,
        trackViewport=False,
        fadeAnimation=False,
        zoomAnimation=False,
        markerZoomAnimation=False,
        className="cw-map__leaflet",
        style={"width": "100%", "height": "100%"},
    )
    legend = _legend(tile, ctx.translate)
    return html.Div(
        [html.Div(view, className="cw-map__stage"), *([legend] if legend.children else [])],
        className="cw-map",
        **attrs(
            data_map_tile=tile.id,
            data_layers=",".join(tile.layers),
            data_basemap="tiles" if spec.tiles else ("vector" if spec.basemap else "none"),
            # Where the map returns once an alarm's case (the focus part) is gone.
            data_center=f"{center[0]},{center[1]}",
            data_zoom=f"{zoom:g}",
            # The one place these ids are spelled: map.js reads them from here.
            data_layer_ids=json.dumps({name: layer_id(tile.id, name) for name in LIVE_LAYERS}),
            # What a case's popup says around the case's own text (map.js).
            data_popup=json.dumps(popup_labels(ctx.translate), ensure_ascii=False),
        ),
    )


def popup_labels(t: Translator) -> dict[str, Any]:
    """A case popup's labels in the wall's language: status and channel names by code,
    and the headings of its details."""
    labels: dict[str, Any] = {
        "statuses": {status: t(f"case_status.{status}") for status in catalog.CASE_STATUS_NAMES},
        "channels": {channel: t(f"channel.{channel}") for channel in catalog.CHANNEL_NAMES},
    }
    for key in POPUP_HEADINGS:
        labels[key] = t(f"map.popup.{key}")
    return labels


def _layers(tile: MapTile, ctx: TileContext) -> list[Any]:
    spec = ctx.config.map
    layers: list[Any] = []

    def geo(name: str, data: dict[str, Any], **props: Any) -> None:
        layers.append(dl.GeoJSON(id=layer_id(tile.id, name), data=data, **props))

    if spec.tiles:
        layers.append(dl.TileLayer(url=spec.tiles, attribution=spec.attribution or None))
        layers.append(dl.AttributionControl(prefix="Leaflet", position="bottomright"))
    basemap = usable_basemap(spec.basemap)
    if basemap is None and not spec.tiles:
        # No basemap at all: at least the outline of the area served.
        layers.append(
            dl.Rectangle(
                bounds=[list(c) for c in spec.bounds], className="cw-map-bounds", interactive=False
            )
        )
    if basemap is not None and "roads" in tile.layers and not spec.tiles:
        geo("water", basemap_layer(basemap, "water"), style=js("waterStyle"), interactive=False)
        geo("roads", basemap_layer(basemap, "road"), style=js("roadStyle"),
            onEachFeature=js("roadLabel"), interactive=False)  # fmt: skip
    if basemap is not None and "grids" in tile.layers:
        geo("grids", basemap_layer(basemap, "grid"), style=js("gridStyle"),
            onEachFeature=js("gridLabel"), hideout={"selected": tile.grids or []},
            interactive=False)  # fmt: skip
    if "officers" in tile.layers:
        geo("trails", EMPTY, style=js("trailStyle"), interactive=False)
        geo("officers", EMPTY, pointToLayer=js("officerPoint"), interactive=False)
    if "cameras" in tile.layers:
        geo("cameras", camera_features(ctx.config), pointToLayer=js("cameraPoint"),
            hideout={"status": {}}, interactive=False)  # fmt: skip
    if "cases" in tile.layers:
        geo("cases", EMPTY, pointToLayer=js("casePoint"), cluster=tile.cluster,
            clusterToLayer=js("caseCluster"), superClusterOptions=CLUSTER_OPTIONS,
            zoomToBoundsOnClick=False, spiderfyOnMaxZoom=False,
            hideout={"glyphs": glyphs(ctx.translate)}, interactive=False)  # fmt: skip
    # The alarm pop-up's case: a pulsing ring over everything (the focus part).
    geo("focus", EMPTY, pointToLayer=js("focusPoint"), interactive=False)
    return layers


def glyphs(translate: Translator) -> dict[str, str]:
    """The short sign of each 大类 drawn inside a case's marker (event-05 → 街)."""
    return {key: translate(f"map.glyph.{key}") for key in CATEGORY_KEYS}


def _legend(tile: MapTile, t: Translator) -> html.Div:
    groups: list[html.Div] = []

    def group(layer: str, items: list[tuple[str, str]]) -> None:
        entries = [
            html.Span(
                [html.Span(className=f"cw-map-legend__mark {mark}"), label],
                className="cw-map-legend__item",
            )
            for mark, label in items
        ]
        groups.append(
            html.Div(
                [html.Span(t(f"map.layer.{layer}"), className="cw-map-legend__title"), *entries],
                className="cw-map-legend__group",
                **attrs(data_layer=layer),
            )
        )

    if "cases" in tile.layers:
        items = [(f"cw-map-case cw-map-case--{s}", t(f"case_status.{s}")) for s in OPEN_STATUSES]
        group("cases", [*items, ("cw-map-case cw-map-case--overdue", t("map.overdue"))])
    if "officers" in tile.layers:
        group("officers", [(f"cw-map-officer cw-map-officer--{s}", t(f"officer_status.{s}"))
                           for s in OFFICER_STATUSES])  # fmt: skip
    if "cameras" in tile.layers:
        names = {"online": t("camera_status.online"), "offline": t("camera_status.offline"),
                 "unknown": t("map.camera_unknown")}  # fmt: skip
        group("cameras", [(f"cw-map-camera cw-map-camera--{s}", names[s])
                          for s in CAMERA_STATUSES])  # fmt: skip
    return html.Div(groups, className="cw-map-legend")
