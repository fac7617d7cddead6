"""Fitting the e-map's view to its data (wall/geo_fit.py): the points' bounding box,
projected at the returned zoom, fits the pixel box and touches it on its binding side;
the centre is the box's Mercator centre; and the shipped inventory, fitted to the map
tile's native size."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from testkit.citywall import ROOT
from wall.config import load_config
from wall.config.basemap import basemap_layer, read_basemap
from wall.geo_fit import (
    DEFAULT_MAX_ZOOM,
    DEFAULT_PADDING_PX,
    MAX_LATITUDE,
    fit_view,
    project,
    unproject,
    world_px,
)

Point = tuple[float, float]

# The shipped wall's map tile: 2 × 2 screens of 1920 × 1080.
MAP_W, MAP_H = 2 * 1920.0, 2 * 1080.0


def pixel_box(points: Sequence[Point], center: Point, zoom: float) -> tuple[float, ...]:
    """(left, top, right, bottom) of the points' bounding box, in pixels from the
    map's centre at ``zoom``, as Leaflet lays it out."""
    cx, cy = project(*center)
    size = world_px(zoom)
    xs = [(project(*p)[0] - cx) * size for p in points]
    ys = [(project(*p)[1] - cy) * size for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def assert_fits_and_touches(
    points: Sequence[Point],
    width: float,
    height: float,
    padding: float,
    max_zoom: float = DEFAULT_MAX_ZOOM,
) -> tuple[Point, float, str]:
    """Fit; check the fitted box inside the padded box, touching it on the binding side
    (within a pixel) and centred; return the view and the binding side."""
    center, zoom = fit_view(points, width, height, padding_px=padding, max_zoom=max_zoom)
    left, top, right, bottom = pixel_box(points, center, zoom)
    half_w, half_h = width / 2 - padding, height / 2 - padding
    eps = 0.01  # px: rounding through the projection and back
    assert -half_w - eps <= left and right <= half_w + eps, (left, right, half_w)
    assert -half_h - eps <= top and bottom <= half_h + eps, (top, bottom, half_h)
    # the box is centred on the map, in pixels, both ways
    assert left + right == pytest.approx(0, abs=eps)
    assert top + bottom == pytest.approx(0, abs=eps)
    gap_w, gap_h = 2 * half_w - (right - left), 2 * half_h - (bottom - top)
    assert min(gap_w, gap_h) <= 1.0, f"touches neither side: {gap_w:.2f}, {gap_h:.2f} px left"
    return center, zoom, "width" if gap_w <= gap_h else "height"


def test_projection_is_leaflets() -> None:
    assert project(0, 0) == pytest.approx((0.5, 0.5))
    assert project(MAX_LATITUDE, -180) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert project(-MAX_LATITUDE, 180) == pytest.approx((1.0, 1.0), abs=1e-9)
    assert project(89.9, 0) == project(MAX_LATITUDE, 0)  # clamped, as Leaflet does
    # Leaflet: map.project([28.689, 112.889], 14) → {x: 13329853.6…, y: 6942127.…}
    x, y = project(28.689, 112.889)
    assert x * world_px(14) == pytest.approx(256 * 2**14 * (112.889 + 180) / 360)
    lat = math.radians(28.689)
    y_expected = (1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2
    assert y == pytest.approx(y_expected)
    assert unproject(x, y) == pytest.approx((28.689, 112.889))


def test_wide_data_binds_on_the_width() -> None:
    wide = [(30.00, 110.00), (30.01, 110.20)]
    _, _, side = assert_fits_and_touches(wide, 1000, 1000, 20)
    assert side == "width"


def test_tall_data_binds_on_the_height() -> None:
    tall = [(30.00, 110.00), (30.20, 110.01)]
    _, _, side = assert_fits_and_touches(tall, 1000, 1000, 20)
    assert side == "height"


def test_the_same_data_binds_on_the_side_the_box_is_short_of() -> None:
    square = [(30.00, 110.00), (30.10, 110.115)]  # about square in Mercator pixels
    assert assert_fits_and_touches(square, 1600, 900, 0)[2] == "height"
    assert assert_fits_and_touches(square, 900, 1600, 0)[2] == "width"


def test_the_centre_is_the_mercator_centre_not_the_mean_latitude() -> None:
    points = [(50.0, 10.0), (70.0, 30.0), (60.0, 20.0)]  # far north: the two differ
    center, _ = fit_view(points, 800, 600)
    (x0, y0), (x1, y1) = project(70.0, 10.0), project(50.0, 30.0)
    assert center == pytest.approx(unproject((x0 + x1) / 2, (y0 + y1) / 2))
    assert center[1] == pytest.approx(20.0)
    assert center[0] > 60.5  # north of the arithmetic middle, 60°


def test_the_zoom_is_the_largest_that_fits() -> None:
    points = [(28.64, 112.83), (28.74, 112.95)]
    center, zoom = fit_view(points, MAP_W, MAP_H, padding_px=0)
    _, top, _, bottom = pixel_box(points, center, zoom + 0.01)
    assert bottom - top > MAP_H  # any closer and it would not fit


def test_one_point_is_shown_at_max_zoom() -> None:
    assert fit_view([(28.7, 112.9)], 800, 600) == ((pytest.approx(28.7), 112.9), DEFAULT_MAX_ZOOM)
    assert fit_view([(28.7, 112.9)] * 3, 800, 600, max_zoom=16.5)[1] == 16.5


def test_points_on_one_parallel_are_fitted_along_it() -> None:
    points = [(28.7, 112.80), (28.7, 112.90)]
    _, zoom, side = assert_fits_and_touches(points, 1200, 800, 10)
    assert side == "width" and zoom < DEFAULT_MAX_ZOOM


def test_max_zoom_caps_a_small_cluster() -> None:
    points = [(28.7, 112.9), (28.70001, 112.90001)]
    center, zoom = fit_view(points, 800, 600, max_zoom=17)
    assert zoom == 17
    (x0, y0), (x1, y1) = project(*points[0]), project(*points[1])
    assert center == pytest.approx(unproject((x0 + x1) / 2, (y0 + y1) / 2))


def test_no_points_no_room_or_no_number_is_refused() -> None:
    with pytest.raises(ValueError, match="no points"):
        fit_view([], 800, 600)
    with pytest.raises(ValueError, match="no room"):
        fit_view([(28.7, 112.9)], 60, 600, padding_px=30)
    with pytest.raises(ValueError, match="not a point"):
        fit_view([(28.7, 112.9), (math.nan, 112.9)], 800, 600)
    with pytest.raises(ValueError, match="max_zoom"):
        fit_view([(28.7, 112.9)], 800, 600, max_zoom=math.inf)


latitudes = st.floats(-80, 80)
longitudes = st.floats(-179, 179)


@given(
    points=st.lists(st.tuples(latitudes, longitudes), min_size=2, max_size=30),
    width=st.floats(200, 8000),
    height=st.floats(200, 8000),
    padding=st.floats(0, 90),
)
def test_any_data_fits_any_box(
    points: list[Point], width: float, height: float, padding: float
) -> None:
    xs, ys = zip(*(project(*p) for p in points), strict=True)
    assume(max(max(xs) - min(xs), max(ys) - min(ys)) > 1e-6)  # not one place: see above
    assert_fits_and_touches(points, width, height, padding, max_zoom=99)


# ── the shipped inventory ────────────────────────────────────────────────────


def _positions(geometry: dict[str, Any]) -> Iterator[Point]:
    """(lat, lon) of every position of a GeoJSON geometry ([lon, lat] in the file)."""

    def walk(coords: Any) -> Iterator[Point]:
        if coords and isinstance(coords[0], (int, float)):
            yield float(coords[1]), float(coords[0])
        else:
            for part in coords:
                yield from walk(part)

    yield from walk(geometry["coordinates"])


def shipped_points() -> tuple[list[Point], Any]:
    config = load_config(ROOT / "wall_config.yaml")
    cameras = [(camera.lat, camera.lon) for camera in config.cameras.items]
    assert config.map.basemap is not None
    grids = basemap_layer(read_basemap(Path(config.map.basemap)), "grid")["features"]
    assert len(cameras) > 300 and len(grids) == 30
    corners = [p for feature in grids for p in _positions(feature["geometry"])]
    return cameras + corners, config


def test_the_shipped_inventory_fitted_to_the_map_tile(capsys: pytest.CaptureFixture[str]) -> None:
    points, config = shipped_points()
    center, zoom, side = assert_fits_and_touches(points, MAP_W, MAP_H, DEFAULT_PADDING_PX)
    # the grids span the configured bounds; almost square, so the 16:9 tile binds on height
    assert side == "height"
    assert config.map.contains(*center)
    # the shipped e-map gives no view of its own: its layout fits its data like this
    emap = next(tile for tile in config.tiles if tile.id == "emap")
    assert (emap.center, emap.zoom) == (None, None)
    assert 14 < zoom < 15  # the county seat's ~12 km at two screens' height
