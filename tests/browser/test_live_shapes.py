"""Every live part's shape is declared once, in Python (a TypedDict per part, on its
``LivePart``), and the browser reads nothing else: each tile type's renderer is run in
real Chromium on a busy wall's live state (a tour turning, an alarm up, a case with
its schema v2 details and an officer on the map) wrapped in a Proxy that records every
field it reads, and each read must be a field the shape declares. The values the hub
sent are validated against the same shapes, with no field the shape does not declare."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, get_args, get_origin

import pytest
from pydantic import TypeAdapter
from selenium.webdriver.support.ui import WebDriverWait
from typing_extensions import get_type_hints, is_typeddict

from testkit.chromium import Chromium, console_errors
from testkit.citywall import shipped_config_copy
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.case_story import SHANGHAI, CaseStory
from tests.live_stack import LiveStack
from wall.config import load_config
from wall.control import Alarm, WallControl
from wall.tile_views import PartSpec, tile_views

# Runs the renderer of one live element on a recording copy of its tile's live state.
RECORD_JS = """
const [tileId, renderer] = arguments;
const el = document.querySelector(
  `[data-live][data-tile-id="${tileId}"][data-renderer="${renderer}"]`);
const state = window.citywallLive.state[tileId];
const reads = new Set();
function track(value, path) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, prop, receiver) {
      const found = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string") return found;
      if (Array.isArray(target)) {
        return /^\\d+$/.test(prop) ? track(found, path.concat("[]")) : found;
      }
      reads.add(JSON.stringify(path.concat(prop)));
      return track(found, path.concat(prop));
    },
  });
}
const copy = JSON.parse(JSON.stringify(state));
window.citywallRenderers[renderer](el, track(copy, []), new Set(Object.keys(copy)));
return {reads: Array.from(reads).map((r) => JSON.parse(r)), state: state};
"""


def fields_of(shape: Any) -> dict[str, Any] | None:
    """A TypedDict's fields (name → type), through Optional and list; None for a leaf."""
    origin = get_origin(shape)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in get_args(shape) if arg is not type(None)]
        return fields_of(inner[0]) if len(inner) == 1 else None
    if origin is list:
        return fields_of(get_args(shape)[0])
    return get_type_hints(shape) if is_typeddict(shape) else None


def undeclared(read: list[str], part: PartSpec) -> str | None:
    """The first step of a read path its part's shape does not declare, else None. A
    plain ``dict`` field is another library's JSON (plotly's figure): not ours to check."""
    steps = [step for step in read[1:] if step != "[]"]
    if part.keyed:
        steps = steps[1:]  # the first step is a key (a case id, a KPI key): data, not shape
    shape: Any = part.shape
    for step in steps:
        if get_origin(shape) is dict:
            return None
        fields = fields_of(shape)
        if fields is None or step not in fields:
            return step
        shape = fields[step]
    return None


def extra_keys(value: Any, shape: Any, path: str = "") -> list[str]:
    """Fields of ``value`` its TypedDict ``shape`` does not declare, recursively."""
    if get_origin(shape) is list and isinstance(value, list):
        inner = get_args(shape)[0]
        return [k for item in value for k in extra_keys(item, inner, path + "[]")]
    fields = fields_of(shape)
    if fields is None or not isinstance(value, dict) or get_origin(shape) is list:
        return []
    found = [f"{path}.{key}" for key in value if key not in fields]
    for key, item in value.items():
        if key in fields:
            found += extra_keys(item, _unwrapped(fields[key]), f"{path}.{key}")
    return found


def _unwrapped(shape: Any) -> Any:
    if get_origin(shape) in (typing.Union, types.UnionType):
        inner = [arg for arg in get_args(shape) if arg is not type(None)]
        return inner[0] if len(inner) == 1 else shape
    return shape


@pytest.fixture(scope="module")
def busy_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """The shipped wall with everything a renderer can be sent: a tour turning on the
    quad tile, an alarm holding the main one, a case and an officer on the map."""
    logs = tmp_path_factory.mktemp("shapes")
    stack = LiveStack(shipped_config_copy(logs / "wall_config.yaml"), logs, relay=True).start()
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    # A schema v2 case: its details (address, photos…) are in the parts too.
    story = CaseStory("SHAPE-1", now - timedelta(minutes=20))
    story.at(0, "reported", address="长安路12号", description="井盖缺失", channel="app",
             photos_before=["https://szcg.example.gov.cn/p/SHAPE-1.jpg"])  # fmt: skip
    stack.write(list(story.at(5, "filed").dispatch(10, 130).events))
    client = stack.client()
    control = WallControl(client, load_config(stack.config))
    control.start_tour("junctions", "重点路口巡逻", by="operator")
    now_ms = control.now_ms()
    control.raise_alarm(Alarm("SHAPE-1", "urgent", "main-junction", 28.6729, 112.91375,
                              now_ms, now_ms + 600_000, camera_id="XY-020", distance_m=35.0,
                              category="暴露垃圾", grid="4306240010621"))  # fmt: skip
    client.close()
    yield stack
    stack.stop()


def live_parts(stack: LiveStack) -> dict[str, dict[str, PartSpec]]:
    """tile id → part name → its declared spec, for the wall's own config."""
    config = load_config(stack.config)
    views = tile_views()
    return {
        tile.id: {part.name: part for part in views[tile.type].part_specs(tile)}
        for tile in config.tiles
        if views[tile.type].part_specs(tile)
    }


def record(driver: Chromium, tile_id: str, renderer: str) -> dict[str, Any]:
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return !!(window.citywallLive.state[arguments[0]])", tile_id),
        f"no live state for {tile_id}",
    )
    result: dict[str, Any] = driver.execute_script(RECORD_JS, tile_id, renderer)
    return result


def check_tile(
    driver: Chromium, tile_id: str, renderer: str, parts: Mapping[str, PartSpec]
) -> None:
    recorded = record(driver, tile_id, renderer)
    for name, values in recorded["state"].items():
        part = parts[name]
        expected = dict[str, part.shape] if part.keyed else part.shape  # type: ignore[name-defined]
        TypeAdapter(expected).validate_python(values, strict=False)
        items = values.values() if part.keyed else [values]
        extra = [k for item in items for k in extra_keys(item, part.shape, f"{tile_id}.{name}")]
        assert not extra, f"sent but not declared: {extra}"
    read_parts = {read[0] for read in recorded["reads"]}
    assert read_parts <= set(parts), f"{renderer} reads parts {read_parts - set(parts)}"
    for read in recorded["reads"]:
        if len(read) > 1:
            step = undeclared(read, parts[read[0]])
            assert step is None, f"{renderer} reads {'.'.join(read)}: {step!r} is not declared"


def test_every_renderer_reads_only_what_its_parts_declare(
    busy_stack: LiveStack, browser: Browser
) -> None:
    parts = live_parts(busy_stack)
    driver = browser(1920, 540)
    sign_in(driver, busy_stack.url, then="/wall")
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return window.citywallLive.seq"))
    views = tile_views()
    config = load_config(busy_stack.config)
    checked = set()
    for tile in config.tiles:
        if tile.id in parts:
            check_tile(driver, tile.id, views[tile.type].name, parts[tile.id])
            checked.add(views[tile.type].name)
    assert checked == {name for name, view in views.items() if view.live is not None}
    assert console_errors(driver) == []


def test_the_consoles_miniature_reads_only_the_camera_view(
    busy_stack: LiveStack, browser: Browser
) -> None:
    parts = live_parts(busy_stack)
    driver = browser(1600, 1000)
    sign_in(driver, busy_stack.url, role="operator", then="/console")
    holders = [tile for tile in load_config(busy_stack.config).tiles if tile.camera_cells()]
    assert holders
    for tile in holders:
        check_tile(driver, tile.id, "console-mini", parts[tile.id])
    assert console_errors(driver) == []


@pytest.mark.parametrize("renderer", ["camera"])
def test_a_read_of_an_undeclared_field_is_caught(renderer: str) -> None:
    """The checker itself: the old camera view's ``names`` is not in its shape."""
    from wall.tiles.camera import VIEW_PART

    assert undeclared(["view", "names"], VIEW_PART) == "names"
    assert undeclared(["view", "cells", "[]", "camera"], VIEW_PART) is None
    assert undeclared(["view", "alarm", "case_id"], VIEW_PART) is None
    assert undeclared(["view", "alarm", "case"], VIEW_PART) == "case"
