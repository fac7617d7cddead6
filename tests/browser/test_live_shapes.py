"""Every live part's shape is declared once, in Python (a TypedDict per part, on its
``LivePart``), and the browser reads nothing else: each tile type's renderer is run in
real Chromium on the shipped wall's live state wrapped in a Proxy that records every
field it reads, and each read must be a field the shape declares. The values the hub
sent are validated against the same shapes."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, get_args, get_origin

import pytest
from pydantic import TypeAdapter
from selenium.webdriver.support.ui import WebDriverWait
from typing_extensions import get_type_hints, is_typeddict

from testkit.chromium import Chromium, console_errors
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.live_stack import LiveStack
from wall.config import load_config
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
    read_parts = {read[0] for read in recorded["reads"]}
    assert read_parts <= set(parts), f"{renderer} reads parts {read_parts - set(parts)}"
    for read in recorded["reads"]:
        if len(read) > 1:
            step = undeclared(read, parts[read[0]])
            assert step is None, f"{renderer} reads {'.'.join(read)}: {step!r} is not declared"


def test_every_renderer_reads_only_what_its_parts_declare(
    shipped_stack: LiveStack, browser: Browser
) -> None:
    parts = live_parts(shipped_stack)
    driver = browser(1920, 540)
    sign_in(driver, shipped_stack.url, then="/wall")
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return window.citywallLive.seq"))
    views = tile_views()
    config = load_config(shipped_stack.config)
    checked = set()
    for tile in config.tiles:
        if tile.id in parts:
            check_tile(driver, tile.id, views[tile.type].name, parts[tile.id])
            checked.add(views[tile.type].name)
    assert checked == {name for name, view in views.items() if view.live is not None}
    assert console_errors(driver) == []


def test_the_consoles_miniature_reads_only_the_camera_view(
    shipped_stack: LiveStack, browser: Browser
) -> None:
    parts = live_parts(shipped_stack)
    driver = browser(1600, 1000)
    sign_in(driver, shipped_stack.url, role="operator", then="/console")
    holders = [tile for tile in load_config(shipped_stack.config).tiles if tile.camera_cells()]
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
