"""The wall state's values (tours, tile views, alarms), camera search, and which Dash
callbacks the operator guard claims: pure functions, no Redis, no browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g, request

from testkit.citywall import shipped_config_copy
from wall.auth.gate import Identity
from wall.auth.operator_guard import DASH_CALLBACK_PATH, RoleGuard, _output_ids
from wall.config import load_config
from wall.config.auth import Role
from wall.config.models import Camera
from wall.control import Alarm, TileState, TourRun
from wall.control.search import search_cameras
from wall.control.views import ahead, showing

SIX = ("XY-001", "XY-002", "XY-003", "XY-004", "XY-005", "XY-006")
T0 = 1_700_000_000_000


# ── TourRun ─────────────────────────────────────────────────────────────
def test_a_tour_steps_exactly_at_each_dwell_boundary() -> None:
    tour = TourRun("巡逻", SIX, 5.0, T0)
    assert tour.step(T0 - 60_000) == 0  # a clock a little behind: the first camera
    assert tour.step(T0) == 0
    assert tour.step(T0 + 4_999) == 0
    assert tour.step(T0 + 5_000) == 1
    assert tour.step(T0 + 9_999) == 1
    assert tour.step(T0 + 10_000) == 2
    assert tour.step(T0 + 5_000 * 100) == 100


def test_a_one_cell_tour_shows_each_camera_in_turn_and_starts_over() -> None:
    tour = TourRun("巡逻", SIX, 3.0, T0)
    shown = [tour.cameras_at(T0 + 3_000 * step, 1) for step in range(8)]
    assert shown == [(camera,) for camera in (*SIX, "XY-001", "XY-002")]


def test_a_four_cell_tour_of_six_cameras_turns_four_at_a_time_and_wraps() -> None:
    tour = TourRun("巡逻", SIX, 10.0, T0)
    first = ("XY-001", "XY-002", "XY-003", "XY-004")
    second = ("XY-005", "XY-006", "XY-001", "XY-002")  # the page wraps to fill 4 cells
    assert tour.cameras_at(T0, 4) == first
    assert tour.cameras_at(T0 + 9_999, 4) == first
    assert tour.cameras_at(T0 + 10_000, 4) == second
    assert tour.cameras_at(T0 + 19_999, 4) == second
    assert tour.cameras_at(T0 + 20_000, 4) == first  # two pages: back to the start
    assert tour.cameras_at(T0 + 30_000, 4) == second


def test_a_tour_shorter_than_the_grid_repeats_its_cameras() -> None:
    tour = TourRun("两路", ("XY-001", "XY-002"), 5.0, T0)
    assert tour.cameras_at(T0, 4) == ("XY-001", "XY-002", "XY-001", "XY-002")
    assert tour.cameras_at(T0 + 5_000, 4) == ("XY-001", "XY-002", "XY-001", "XY-002")


def test_a_fractional_dwell_counts_in_milliseconds() -> None:
    tour = TourRun("巡逻", SIX, 3.5, T0)
    assert tour.step(T0 + 3_499) == 0
    assert tour.step(T0 + 3_500) == 1
    assert tour.step(T0 + 7_000) == 2


# ── TileState ────────────────────────────────────────────────────────────
def test_a_view_without_a_tour_shows_its_cameras_at_any_time() -> None:
    view = TileState("junctions", SIX[:4])
    assert view.cells == 4
    assert view.showing(0) == SIX[:4]
    assert view.showing(T0 + 10**9) == SIX[:4]


def test_a_view_with_a_tour_shows_the_tour_over_its_cells() -> None:
    view = TileState("junctions", SIX[:4], TourRun("巡逻", SIX, 10.0, T0), "operator", T0)
    assert view.showing(T0) == SIX[:4]
    assert view.showing(T0 + 10_000) == ("XY-005", "XY-006", "XY-001", "XY-002")
    one = TileState("main-junction", ("XY-009",), TourRun("巡逻", SIX, 10.0, T0))
    assert one.showing(T0 + 10_000) == ("XY-002",)  # one cell: one camera a turn


@pytest.mark.parametrize(
    "view",
    [
        TileState("junctions", SIX[:4]),
        TileState("main-junction", ("XY-020",), None, "operator", T0),
        TileState("junctions", SIX[:4], TourRun("重点路口巡逻", SIX, 7.5, T0), "值班员", T0 + 1),
    ],
    ids=["config", "chosen", "tour"],
)
def test_a_view_survives_a_json_round_trip(view: TileState) -> None:
    text = view.dumps()
    assert TileState.loads(text) == view
    assert TileState.loads(text.encode("utf-8")) == view
    assert TileState.loads(text).showing(T0 + 8_000) == view.showing(T0 + 8_000)


def test_a_view_keeps_chinese_readable_in_json() -> None:
    view = TileState("junctions", SIX[:4], TourRun("重点路口巡逻", SIX, 10.0, T0), "值班员")
    assert "重点路口巡逻" in view.dumps() and "值班员" in view.dumps()


def test_a_view_written_without_by_or_time_loads_with_defaults() -> None:
    view = TileState.loads('{"tile_id": "junctions", "cameras": ["XY-001"], "tour": null}')
    assert view == TileState("junctions", ("XY-001",))


# ── Alarm ───────────────────────────────────────────────────────────────
ALARM = Alarm(
    case_id="XY20240501-0001",
    reason="urgent",
    tile_id="main-junction",
    lat=28.6729,
    lon=112.91375,
    started_ms=T0,
    until_ms=T0 + 90_000,
    camera_id="XY-020",
    distance_m=42.5,
    category="暴露垃圾",
    grid="4306240010621",
    extra={"address": "文星路与长康路交叉口", "source": ["hotline"]},
)


@pytest.mark.parametrize(
    "alarm",
    [
        ALARM,
        Alarm("XY-V-7", "video", "junctions", 28.66, 112.86, T0, T0 + 1),  # no camera near
    ],
    ids=["full", "no-camera"],
)
def test_an_alarm_survives_a_json_round_trip(alarm: Alarm) -> None:
    text = alarm.dumps()
    assert Alarm.loads(text) == alarm
    assert Alarm.loads(text.encode("utf-8")) == alarm


def test_an_alarm_is_active_until_its_end() -> None:
    assert ALARM.active(T0)
    assert ALARM.active(T0 + 89_999)
    assert not ALARM.active(T0 + 90_000)
    assert "暴露垃圾" in ALARM.dumps()


# ── search ──────────────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> list[Camera]:
    path = tmp_path_factory.mktemp("search") / "wall_config.yaml"
    return list(load_config(shipped_config_copy(path)).cameras.items)


def ids(cameras: list[Camera]) -> list[str]:
    return [camera.id for camera in cameras]


def test_search_by_id_is_case_insensitive(inventory: list[Camera]) -> None:
    assert ids(search_cameras(inventory, "XY-020")) == ["XY-020"]
    assert ids(search_cameras(inventory, "xy-020")) == ["XY-020"]


def test_search_by_road_lists_the_intersections_named_after_it_first(
    inventory: list[Camera],
) -> None:
    found = search_cameras(inventory, "湘阴大道")
    on_road = [c.id for c in inventory if "湘阴大道" in c.name]
    assert sorted(ids(found)) == sorted(on_road) and len(found) == 37
    starting = [c.id for c in inventory if c.name.startswith("湘阴大道")]
    assert ids(found)[: len(starting)] == starting  # 湘阴大道与…, then …至湘阴大道段
    assert ids(found)[:3] == ["XY-001", "XY-002", "XY-003"]


def test_search_by_grid_code(inventory: list[Camera]) -> None:
    assert ids(search_cameras(inventory, "4306240010202")) == ["XY-001"]


def test_search_by_tag(inventory: list[Camera]) -> None:
    found = search_cameras(inventory, "重点路口")
    assert found and all("重点路口" in camera.tags for camera in found)
    assert ids(found) == [c.id for c in inventory if "重点路口" in c.tags]


def test_search_needs_every_word(inventory: list[Camera]) -> None:
    found = search_cameras(inventory, "湘阴大道  重点路口")
    assert ids(found) == ["XY-001", "XY-002", "XY-003", "XY-004", "XY-005"]
    assert search_cameras(inventory, "湘阴大道 没有这个词") == []


def test_search_keeps_to_its_limit(inventory: list[Camera]) -> None:
    assert ids(search_cameras(inventory, "湘阴大道", limit=3)) == ["XY-001", "XY-002", "XY-003"]
    assert len(search_cameras(inventory, "XY")) == 40  # the default limit
    assert len(search_cameras(inventory, "", limit=5)) == 5  # nothing typed: the first ones


def camera(camera_id: str, name: str, tags: list[str] | None = None) -> Camera:
    return Camera.model_validate(
        {
            "id": camera_id,
            "name": name,
            "lat": 28.67,
            "lon": 112.87,
            "grid": "4306240010101",
            "main": f"sim://{camera_id}?stream=main",
            "sub": f"sim://{camera_id}?stream=sub",
            "tags": tags or [],
        }
    )


def test_an_exact_id_ranks_before_a_name_match_and_inventory_order() -> None:
    cameras = [
        camera("XY-0011", "太傅路与左公路交叉口"),
        camera("GATE-1", "XY-001 旁 新装球机"),  # a name that starts with the query
        camera("XY-001", "湘阴大道与左公路交叉口"),
    ]
    assert ids(search_cameras(cameras, "xy-001")) == ["XY-001", "GATE-1", "XY-0011"]


# ── the operator guard ──────────────────────────────────────────────────
GUARD = RoleGuard("operator", pages=("/console",), id_prefix="console")


@pytest.mark.parametrize(
    ("component_id", "owned"),
    [
        ("console-message", True),
        ("console", True),
        ("page", False),
        ("tablet-player", False),
        ({"console": "pick", "id": "XY-001"}, True),
        ({"console": "cell", "tile": ["ALL"], "cell": ["ALL"]}, True),
        ({"tile": "clock", "id": "clock", "part": "time"}, False),
    ],
)
def test_the_guard_owns_console_ids_only(component_id: Any, owned: bool) -> None:
    assert GUARD.owns(component_id) is owned


CELL_0 = {"console": "cell", "tile": "junctions", "cell": 0}
CELL_1 = {"console": "cell", "tile": "junctions", "cell": 1}
MULTI = "..console-message.children...console-version.data...console-selected.data@0b1c2d.."
PATTERN = '{"console":"pick","id":["ALL"]}'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"output": "page.children"}, ["page"]),
        ({"output": MULTI}, ["console-message", "console-version", "console-selected"]),
        ({"output": f"{PATTERN}.n_clicks"}, [{"console": "pick", "id": ["ALL"]}]),
        (
            {"output": f"..{PATTERN}.className...console-mini.children.."},
            [{"console": "pick", "id": ["ALL"]}, "console-mini"],
        ),
        ({"output": "{not json.children"}, ["{not json"]),
        ({"outputs": {"id": "console-results", "property": "children"}}, ["console-results"]),
        (
            {
                "outputs": [
                    {"id": "console-message", "property": "children"},
                    [
                        {"id": CELL_0, "property": "x"},
                        {"id": CELL_1, "property": "x"},
                    ],
                ]
            },
            ["console-message", CELL_0, CELL_1],
        ),
        ({"inputs": []}, []),
    ],
    ids=[
        "one",
        "multi",
        "pattern",
        "multi-pattern",
        "broken-json",
        "outputs-dict",
        "outputs-list",
        "none",
    ],
)
def test_output_ids_reads_both_of_dashs_body_shapes(
    body: dict[str, Any], expected: list[Any]
) -> None:
    assert list(_output_ids(body)) == expected


def test_output_ids_reads_a_real_request_with_both_keys() -> None:
    body = {
        "output": "..console-message.children...console-version.data..",
        "outputs": [
            {"id": "console-message", "property": "children"},
            {"id": "console-version", "property": "data"},
        ],
        "inputs": [{"id": "console-tour-start", "property": "n_clicks", "value": 1}],
    }
    assert set(_output_ids(body)) == {"console-message", "console-version"}


@pytest.fixture
def guarded() -> Iterator[Flask]:
    """A bare Flask app: the test's header says who is signed in, then the guard."""
    app = Flask(__name__)

    @app.before_request
    def sign_in() -> None:
        role = request.headers.get("X-Test-Role")
        if role:
            g.identity = Identity(name=role, role=role)  # type: ignore[arg-type]

    GUARD.install(app)
    app.add_url_rule(DASH_CALLBACK_PATH, "dash", lambda: "ran", methods=["POST"])
    app.add_url_rule("/console", "console", lambda: "console page")
    app.add_url_rule("/wall", "wall", lambda: "wall page")
    yield app


def status(app: Flask, method: str, path: str, role: Role | None, body: Any = None) -> int:
    headers = {"X-Test-Role": role} if role else {}
    with app.test_client() as client:
        return client.open(path, method=method, json=body, headers=headers).status_code


def test_the_guard_answers_403_to_a_viewer_running_a_console_callback(guarded: Flask) -> None:
    body = {"output": MULTI, "outputs": [{"id": "console-message", "property": "children"}]}
    assert status(guarded, "POST", DASH_CALLBACK_PATH, "viewer", body) == 403
    assert status(guarded, "POST", DASH_CALLBACK_PATH, None, body) == 403
    assert status(guarded, "POST", DASH_CALLBACK_PATH, "operator", body) == 200
    assert status(guarded, "POST", DASH_CALLBACK_PATH, "admin", body) == 200
    pattern = {"outputs": [[{"id": {"console": "pick", "id": "XY-001"}, "property": "x"}]]}
    assert status(guarded, "POST", DASH_CALLBACK_PATH, "viewer", pattern) == 403


def test_the_guard_lets_a_viewer_run_the_walls_callbacks_and_pages(guarded: Flask) -> None:
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"}}
    assert status(guarded, "POST", DASH_CALLBACK_PATH, "viewer", body) == 200
    assert status(guarded, "GET", "/wall", "viewer") == 200
    assert status(guarded, "GET", "/console", "viewer") == 403
    assert status(guarded, "GET", "/console/tours", "viewer") == 403
    assert status(guarded, "GET", "/console", "operator") == 200


def test_a_fractional_dwell_turns_on_the_same_millisecond_every_step() -> None:
    """A tour's dwell is rounded to whole milliseconds (8.19 s is 8189.999… ms in floats):
    the steps the hub pushes must not drift from the dwell an operator set."""
    tour = TourRun("t", ("A", "B", "C"), 8.19, 0)
    for step in (1, 10, 1000, 3517):  # 3517 steps of 8.19 s: eight hours
        assert tour.step(step * 8190 - 1) == step - 1
        assert tour.step(step * 8190) == step


# ── what a cell shows: one answer for every screen, the console and the server ──────
def stream_for(cells: int) -> str:
    return "main" if cells == 1 else "sub"


LETTERS = ("A", "B", "C", "D", "E", "F")
TOURING = TileState("quad", ("A", "B", "C", "D"), TourRun("six", LETTERS, 10.0, 0))


def test_showing_gives_the_tours_step_and_when_it_turns() -> None:
    shown = showing(TOURING, None, stream_for, 12_000)
    assert shown.cameras == ("E", "F", "A", "B")  # second page of six on four cells
    assert (shown.stream, shown.next_ms, shown.alarm) == ("sub", 20_000, None)
    assert shown.tour is not None and (shown.tour.step, shown.tour.pages) == (2, 2)


def test_an_alarm_with_a_camera_holds_the_tile_until_it_ends() -> None:
    alarm = Alarm("C-1", "urgent", "quad", 28.7, 112.9, 0, 25_000, camera_id="X")
    shown = showing(TOURING, alarm, stream_for, 12_000)
    assert (shown.cameras, shown.stream, shown.tour, shown.next_ms) == (
        ("X",),
        "main",
        None,
        25_000,
    )
    after = showing(TOURING, alarm, stream_for, 25_000)
    assert after.cameras == ("A", "B", "C", "D") and after.alarm is None  # the tour again


def test_an_alarm_without_a_camera_leaves_the_cells_and_keeps_its_banner() -> None:
    alarm = Alarm("C-2", "urgent", "quad", 28.7, 112.9, 0, 25_000)
    shown = showing(TOURING, alarm, stream_for, 12_000)
    assert shown.cameras == ("E", "F", "A", "B") and shown.alarm == alarm
    assert shown.next_ms == 20_000  # the tour still turns under the banner
    other = showing(TOURING, Alarm("C-3", "video", "main", 0, 0, 0, 9e12, camera_id="Y"),
                    stream_for, 12_000)  # fmt: skip
    assert other.alarm is None and other.cameras == ("E", "F", "A", "B")  # another tile's


def test_ahead_lists_the_coming_steps_and_the_alarms_end_in_order() -> None:
    alarm = Alarm("C-1", "urgent", "quad", 28.7, 112.9, 0, 25_000, camera_id="X")
    steps = ahead(TOURING, alarm, stream_for, 12_000, horizon_ms=60_000)
    assert [at for at, _ in steps] == [25_000, 30_000, 40_000, 50_000, 60_000, 70_000]
    assert [s.cameras for _, s in steps][:3] == [
        ("A", "B", "C", "D"), ("E", "F", "A", "B"), ("A", "B", "C", "D")
    ]  # fmt: skip
    assert all(s.alarm is None for _, s in steps)
    assert len(ahead(TOURING, None, stream_for, 0, horizon_ms=10**9, most=5)) == 5
    assert ahead(TileState("main", ("A",)), None, stream_for, 0) == []  # nothing changes
