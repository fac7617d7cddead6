"""Today's KPIs on /tablet, portrait and landscape, from 768 to 1366 px wide: every
number and its label whole, inside its cell, on screen, none over another, and no
sideways scrolling (a 100.0% once spilled out of its cell into the next one's and
off the left edge on a portrait iPad)."""

from __future__ import annotations

from typing import Any

import pytest

from testkit.citywall import RunningWall
from tests.browser.conftest import Browser
from tests.browser.test_tablet import open_tablet, read

SLACK = 0.5  # px: layout rounds to quarter pixels

# Per KPI cell: the cell, its label and value boxes, what each would need to scroll,
# and the box that clips them (the tile body: overflow hidden).
MEASURE = """
const box = (e) => { const r = e.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
const part = (e) => ({box: box(e), scroll: e.scrollWidth, client: e.clientWidth,
  text: e.textContent});
return {
  viewport: innerWidth,
  scroll: document.documentElement.scrollWidth,
  body: box(document.querySelector('#tile-today .cw-tile__body')),
  cells: [...document.querySelectorAll('#tile-today .cw-kpi__cell')].map((cell) => ({
    kpi: cell.dataset.kpi,
    cell: part(cell),
    label: part(cell.querySelector('.cw-kpi__label')),
    value: part(cell.querySelector('.cw-kpi__value')),
  })),
};
"""


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] >= outer["left"] - SLACK
        and inner["right"] <= outer["right"] + SLACK
        and inner["top"] >= outer["top"] - SLACK
        and inner["bottom"] <= outer["bottom"] + SLACK
    )


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > SLACK
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > SLACK
    )


@pytest.mark.parametrize(
    ("width", "height"), [(768, 1024), (1024, 1366), (1366, 1024)], ids=lambda n: str(n)
)
def test_every_kpi_number_is_whole_and_apart(
    shipped_wall: RunningWall, browser: Browser, width: int, height: int
) -> None:
    driver = browser(width, height)
    open_tablet(driver, shipped_wall.url)
    seen: Any = read(driver, MEASURE)
    cells = seen["cells"]
    assert len(cells) == 8, [c["kpi"] for c in cells]
    # the widest kind of number is on show, or this would prove little
    assert any(c["value"]["text"].endswith("%") for c in cells), [c["value"] for c in cells]

    problems: list[str] = []
    if seen["scroll"] > seen["viewport"]:
        problems.append(f"{seen['scroll'] - seen['viewport']} px of sideways scrolling")
    screen = {"left": 0, "right": seen["viewport"], "top": -1e9, "bottom": 1e9}
    for c in cells:
        for name in ("label", "value"):
            shown, where = c[name], f"{c['kpi']} {name} {c[name]['text']!r}"
            if not inside(shown["box"], c["cell"]["box"]):
                problems.append(f"{where} spills out of its cell: {shown['box']} vs {c['cell']}")
            if not inside(shown["box"], seen["body"]):
                problems.append(f"{where} is clipped by the tile: {shown['box']}")
            if not inside(shown["box"], screen):
                problems.append(f"{where} is off screen: {shown['box']}")
            if shown["scroll"] > shown["client"]:
                problems.append(f"{where} is cut: {shown['scroll']} > {shown['client']} px")
        if c["cell"]["scroll"] > c["cell"]["client"]:
            problems.append(f"{c['kpi']} cell overflows: {c['cell']}")
    parts = [(c["kpi"], name, c[name]["box"]) for c in cells for name in ("label", "value")]
    for i, (kpi_a, name_a, a) in enumerate(parts):
        for kpi_b, name_b, b in parts[i + 1 :]:
            if overlap(a, b):
                problems.append(f"{kpi_a} {name_a} overlaps {kpi_b} {name_b}: {a} / {b}")
    assert problems == [], f"at {width}×{height}:\n" + "\n".join(problems)
