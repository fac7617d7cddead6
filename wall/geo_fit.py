"""Fit a map view to data: the centre and fractional zoom at which the bounding box of
some points fills a pixel box, in Web Mercator at Leaflet's 256-px tiles.

Pure arithmetic (no Dash, plotly or pandas), so the map tile's layout can compute its
view from its data at the tile's native size, and tests can check it without a browser.
It is Leaflet's ``fitBounds`` with ``zoomSnap: 0``: the same projection (EPSG:3857,
latitudes clamped to ±85.0511287798°, as Leaflet's SphericalMercator does), the same
world size (256 · 2^zoom px) and the same padding on every side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

TILE_SIZE: Final = 256.0  # Leaflet's default tileSize: the world is 256 · 2**zoom px wide
MAX_LATITUDE: Final = 85.0511287798  # Leaflet's SphericalMercator.MAX_LATITUDE
DEFAULT_PADDING_PX: Final = 32.0  # room for the markers drawn on the outermost points
DEFAULT_MAX_ZOOM: Final = 18.0  # street level: where a single point (or a tight cluster) ends


def project(lat: float, lon: float) -> tuple[float, float]:
    """(x, y) of a point in Web Mercator world units: 0..1 over the world, y downwards,
    so that pixels at zoom ``z`` are these times ``256 · 2**z``."""
    clamped = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    sin = math.sin(math.radians(clamped))
    x = (lon + 180.0) / 360.0
    y = 0.5 - math.log((1.0 + sin) / (1.0 - sin)) / (4.0 * math.pi)
    return x, y


def unproject(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of a point in Web Mercator world units: the inverse of ``project``."""
    lat = math.degrees(2.0 * math.atan(math.exp((0.5 - y) * 2.0 * math.pi)) - math.pi / 2.0)
    lon = x * 360.0 - 180.0
    return lat, lon


def world_px(zoom: float) -> float:
    """The width of the whole world, in pixels, at ``zoom``."""
    return TILE_SIZE * math.pow(2.0, zoom)


def fit_view(
    points: Iterable[tuple[float, float]],
    width_px: float,
    height_px: float,
    padding_px: float = DEFAULT_PADDING_PX,
    max_zoom: float = DEFAULT_MAX_ZOOM,
) -> tuple[tuple[float, float], float]:
    """``((lat, lon), zoom)``: the view that shows every point of ``points`` (each
    ``(lat, lon)`` in WGS-84 degrees) in a map ``width_px × height_px`` pixels large,
    as big as it can be.

    The centre is the Mercator centre of the points' bounding box (the middle of its
    projected rectangle, not the mean of the latitudes), so the box sits in the middle
    of the map. The zoom is the largest, fractional, at which the projected box fits
    inside the map less ``padding_px`` on each side: the box touches the padded map on
    its binding side (the sides if the data is wider than the map, else the top and
    bottom) and is centred on the other. It is not snapped to whole levels and never
    exceeds ``max_zoom``; it is not floored either (data spanning a continent gives a
    zoom below 1).

    - A single point, or points that all coincide: that point at ``max_zoom``. Points
      on one parallel or one meridian are fitted along the other direction alone (also
      at most ``max_zoom``).
    - No points: ``ValueError`` (there is nothing to fit; the caller keeps its
      configured view). So do a non-positive box after padding, a non-finite
      coordinate, and a non-finite ``max_zoom``.

    Longitudes are taken as given: a box straddling the antimeridian is fitted the long
    way round (no city needs otherwise). Latitudes beyond ±85.05° are clamped, as
    Leaflet draws them.
    """
    inner_w = width_px - 2.0 * padding_px
    inner_h = height_px - 2.0 * padding_px
    if not (inner_w > 0.0 and inner_h > 0.0):  # also false for NaN
        raise ValueError(
            f"no room to fit into: {width_px} × {height_px} px less {padding_px} px padding"
        )
    if not math.isfinite(max_zoom):
        raise ValueError(f"max_zoom must be finite, not {max_zoom}")
    west = north = math.inf
    east = south = -math.inf
    first: tuple[float, float] | None = None
    for lat, lon in points:
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError(f"not a point: ({lat}, {lon})")
        x, y = project(lat, lon)
        west, east = min(west, x), max(east, x)
        north, south = min(north, y), max(south, y)
        if first is None:
            first = (max(-MAX_LATITUDE, min(MAX_LATITUDE, lat)), lon)
    if first is None:
        raise ValueError("no points to fit")
    if west == east and north == south:  # one place: itself, not its round trip
        return first, max_zoom
    center = unproject((west + east) / 2.0, (north + south) / 2.0)
    zoom = max_zoom
    for span, room in ((east - west, inner_w), (south - north, inner_h)):
        if span > 0.0:
            zoom = min(zoom, math.log2(room / (span * TILE_SIZE)))
    return center, zoom
