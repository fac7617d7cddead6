"""How often each catalog category turns up, who handles it and how urgent it is.

Calibrated on what the hall says its cameras and patrols see: street order
(出店经营, 乱挂乱晒, 违章停车) and city appearance dominate events; among components,
manhole covers and street lamps dominate.
"""

from __future__ import annotations

import random
from typing import Final

from data_feeds import catalog
from data_feeds.catalog import CaseKind, Priority
from data_feeds.simulator.randomness import weighted

Code = tuple[CaseKind, str]

GENERAL: Final[tuple[tuple[Code, float], ...]] = (
    # 事件 events (~75 %)
    (("event", "0501"), 16), (("event", "0502"), 5), (("event", "0503"), 10),
    (("event", "0504"), 12), (("event", "0505"), 2),
    (("event", "0101"), 8), (("event", "0102"), 4), (("event", "0103"), 2.5),
    (("event", "0104"), 3.5), (("event", "0105"), 1),
    (("event", "0201"), 4), (("event", "0202"), 1.5), (("event", "0203"), 0.8),
    (("event", "0204"), 1.5),
    (("event", "0301"), 1.5), (("event", "0302"), 1), (("event", "0303"), 0.6),
    (("event", "0304"), 1.8), (("event", "0305"), 0.8),
    (("event", "0401"), 0.3), (("event", "0402"), 0.4), (("event", "0403"), 0.1),
    (("event", "0404"), 0.5), (("event", "0405"), 0.1),
    (("event", "0601"), 0.8),
    # 部件 components (~25 %)
    (("component", "0101"), 3), (("component", "0102"), 3.5), (("component", "0103"), 3),
    (("component", "0104"), 0.5), (("component", "0105"), 5), (("component", "0106"), 1.5),
    (("component", "0201"), 0.3), (("component", "0202"), 1), (("component", "0203"), 0.6),
    (("component", "0204"), 0.8), (("component", "0205"), 0.5),
    (("component", "0301"), 0.6), (("component", "0302"), 1.2), (("component", "0303"), 0.3),
    (("component", "0304"), 0.3), (("component", "0305"), 0.2),
    (("component", "0401"), 0.8), (("component", "0402"), 0.05), (("component", "0403"), 0.5),
    (("component", "0404"), 0.3), (("component", "0405"), 0.3),
    (("component", "0501"), 0.2), (("component", "0502"), 0.05), (("component", "0503"), 0.05),
    (("component", "0601"), 0.05), (("component", "0602"), 0.1), (("component", "0603"), 0.1),
)  # fmt: skip
# What the cameras (and the capture algorithm) catch: street order in front of shops.
VIDEO: Final[tuple[tuple[Code, float], ...]] = (
    (("event", "0501"), 34), (("event", "0502"), 8), (("event", "0503"), 20),
    (("event", "0504"), 28), (("event", "0505"), 3), (("event", "0101"), 5),
    (("event", "0304"), 2),
)  # fmt: skip

# Departments (专业部门) by (kind, 大类); exceptions by full code below.
_DEPT_BY_MAJOR: Final[dict[tuple[str, str], str]] = {
    ("event", "01"): "环卫所",
    ("event", "02"): "城管执法大队",
    ("event", "03"): "住建局",
    ("event", "04"): "市政所",
    ("event", "05"): "城管执法大队",
    ("event", "06"): "城管执法大队",
    ("component", "01"): "市政所",
    ("component", "02"): "交警大队",
    ("component", "03"): "环卫所",
    ("component", "04"): "园林所",
    ("component", "05"): "住建局",
    ("component", "06"): "住建局",
}
_DEPT_BY_CODE: Final[dict[tuple[str, str], str]] = {
    ("event", "0304"): "城管执法大队",  # 渣土遗撒: the muck-truck squad
    ("event", "0403"): "住建局",  # gas: the utility regulator
    ("event", "0405"): "消防救援大队",
    ("event", "0504"): "交警大队",  # parking
    ("component", "0202"): "市政所",  # pavements
    ("component", "0204"): "市政所",  # railings
}
CANCEL_REASONS: Final[tuple[str, ...]] = (
    "非城管职责范围，已告知相关部门",
    "现场核实无此问题",
    "重复上报",
    "信息不全，无法核实",
)


def pick_category(rng: random.Random, source: str) -> Code:
    return weighted(rng, VIDEO if source == "video" else GENERAL)


def pick_priority(rng: random.Random, code: Code) -> Priority:
    """Emergencies (突发事件) are mostly urgent; anything else rarely."""
    kind, category = code
    chance = 0.8 if (kind, category[:2]) == ("event", "04") else 0.02
    return "urgent" if rng.random() < chance else "normal"


def dept_for(code: Code) -> str:
    kind, category = code
    return _DEPT_BY_CODE.get(code) or _DEPT_BY_MAJOR[(kind, category[:2])]


def _check() -> None:
    """Fail at import, not mid-simulation, if a table names a code the catalog lacks."""
    for table in (GENERAL, VIDEO):
        for (kind, category), _ in table:
            if catalog.category(kind, category) is None:
                raise ValueError(f"taxonomy: unknown {kind} category {category}")


_check()
