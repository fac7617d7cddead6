"""The map tile's layout: the dash-leaflet map, its layers, and the legend.

The map is laid out at the tile's native size (in screen pixels) and scaled down by
CSS to whatever the page shows (assets/tiles/map.js sizes it): Leaflet measures
everything in CSS pixels (marker sizes, cluster radius, which tiles to load, the
zoom that fits), so a native-size map shows the same extent, clusters and marker
sizes on the /wall overview as on the hall's screens, only smaller.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dash_leaflet as dl
from dash import html

from wall.config.basemap import BasemapError, basemap_layer, read_basemap
from wall.html_attrs import attrs
from wall.i18n import Translator
from wall.tiles.base import TileContext

if TYPE_CHECKING:
    from wall.config.models import WallConfigBase
    from wall.tiles.map import MapTile

log = logging.getLogger(__name__)
EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}
OPEN_STATUSES = ("reported", "filed", "dispatched", "handled", "verified", "rework")
OFFICER_STATUSES = ("patrolling", "handling", "idle", "offline")
CAMERA_STATUSES = ("online", "offline", "unknown")
# Supercluster's radius is in 512-px tile units: 160 groups cases within ~80 native px,
# about the size of a cluster's marker, so clusters do not pile up.
CLUSTER_OPTIONS = {"radius": 160, "maxZoom": 16}


def layer_id(tile_id: str, layer: str) -> dict[str, str]:
    """The dash id of one of the tile's leaflet layers (``view`` is the map itself)."""
    return {"tile": "map", "id": tile_id, "layer": layer}


def js(name: str) -> dict[str, str]:
    """A function of assets/tiles/map.js, as dash-leaflet resolves function props."""
    return {"variable": f"citywallMap.{name}"}


def map_layout(tile: MapTile, ctx: TileContext) -> html.Div:
    spec = ctx.config.map
    center = list(tile.center or spec.center)
    zoom = tile.zoom if tile.zoom is not None else spec.zoom
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
        ),
    )


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


def camera_features(config: WallConfigBase) -> dict[str, Any]:
    """Every camera of the inventory as a point; statuses arrive live (hideout)."""
    features = [
        {
            "type": "Feature",
            "properties": {"id": camera.id, "name": camera.name},
            "geometry": {"type": "Point", "coordinates": [camera.lon, camera.lat]},
        }
        for camera in config.cameras.items
    ]
    return {"type": "FeatureCollection", "features": features}


def glyphs(translate: Translator) -> dict[str, str]:
    """The short sign of each 大类 drawn inside a case's marker (event-05 → 街)."""
    from wall.tiles.map import CATEGORY_KEYS

    return {key: translate(f"map.glyph.{key}") for key in CATEGORY_KEYS}


def usable_basemap(path: str | None) -> dict[str, Any] | None:
    """The offline basemap, or None (none configured, or unusable: logged)."""
    if path is None:
        return None
    try:
        return read_basemap(Path(path))
    except (OSError, BasemapError) as exc:  # checked at load; changed since
        log.warning("map: basemap %s unusable, drawing without it: %s", path, exc)
        return None


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
