"""Broken configs, each with the exact lines an operator must see.

Every case is the small valid BASE below with one thing broken, so each expected
line can be checked by eye against BASE's line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BASE = """\
version: 1
wall:
  title: 测试大厅
  columns: 6
  rows: 3
tiles:
  - id: clock
    type: clock
    x: 0
    y: 0
  - id: notice
    type: text
    x: 1
    y: 0
    w: 2
    body: 公告
cameras:
  items:
    - {id: XY-001, name: 文星路口, lat: 28.69, lon: 112.89, grid: "4306240010101", main: "sim://XY-001?stream=main", sub: "sim://XY-001?stream=sub"}
  groups:
    重点路口: [XY-001]
map:
  center: [28.689, 112.889]
  bounds: [[28.64, 112.83], [28.74, 112.95]]
"""

INVENTORY = """\
id,name,lat,lon,grid,main,sub,tags
XY-101,湘阴大道与左公路交叉口,28.6683,112.8642,4306240010202,sim://XY-101?stream=main,sim://XY-101?stream=sub,重点路口|主干道
XY-102,湘阴大道与仙姑路交叉口,28.6683,112.8697,4306240010203,sim://XY-102?stream=main,sim://XY-102?stream=sub,重点路口
"""


@dataclass(frozen=True)
class Case:
    name: str
    replace: tuple[tuple[str, str], ...]
    expected: tuple[str, ...]
    inventory: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        text = BASE
        for old, new in self.replace:
            assert old in text, f"{self.name}: {old!r} is not in BASE"
            text = text.replace(old, new, 1)
        return text


CAMERA = "    - {id: XY-001, name: 文星路口, lat: 28.69,"
WITH_INVENTORY = ("cameras:\n  items:", "cameras:\n  inventory: cameras.csv\n  items:")

CASES = [
    Case(
        "a published relay key is refused at its line",
        (("map:\n", "relay:\n  port: 8889\n  token: citywall-demo-token\nmap:\n"),),
        (
            "wall_config.yaml:24: relay -> token: this key is a published value (it appears in "
            "citywall's docs or tests): anyone could sign viewer tokens with it",
        ),
    ),
    Case(
        "a short relay key is refused at its line",
        (("map:\n", "relay:\n  port: 8889\n  token: only-twenty-one-bytes\nmap:\n"),),
        (
            "wall_config.yaml:24: relay -> token: this key is shorter than 32 bytes: "
            "anyone could sign viewer tokens with it",
        ),
    ),
    Case(
        "yaml syntax",
        (("    x: 1\n", "    x: [1\n"),),
        ("wall_config.yaml:14: invalid YAML: expected ',' or ']', but got ':'",),
    ),
    Case(
        "duplicate key",
        (("    x: 1\n", "    x: 1\n    x: 3\n"),),
        ("wall_config.yaml:14: tiles -> 1 -> x: duplicate key (first on line 13)",),
    ),
    Case(
        "unknown top-level key",
        (("map:\n", "colour: red\nmap:\n"),),
        (
            "wall_config.yaml:22: colour: unknown key "
            "(valid keys: alarms, auth, autocapture, cameras, ingest, map, presets, redis, relay, snapshots, tiles, tours, version, wall, web)",
        ),
    ),
    Case(
        "unknown key in a tile lists that tile type's keys",
        (("    type: clock\n", "    type: clock\n    colour: red\n"),),
        (
            "wall_config.yaml:9: tiles -> 0 -> colour: unknown key (valid keys: h, id, label, "
            "show_date, show_seconds, show_weekday, timezone, title, type, w, x, y)",
        ),
    ),
    Case(
        "unknown tile type",
        (("    type: clock\n", "    type: video\n"),),
        (
            "wall_config.yaml:8: tiles -> 0 -> type: unknown tile type 'video' (valid types: camera, cases, chart, clock, kpi, map, officers, text)",
        ),
    ),
    Case(
        "tile without a type",
        (("    type: clock\n", ""),),
        (
            "wall_config.yaml:7: tiles -> 0 -> type: required key missing (valid types: camera, cases, chart, clock, kpi, map, officers, text)",
        ),
    ),
    Case(
        "tile missing a required key",
        (("    body: 公告\n", ""),),
        ("wall_config.yaml:11: tiles -> 1 -> body: required key missing",),
    ),
    Case(
        "value of the wrong type",
        (("    w: 2\n", "    w: two\n"),),
        (
            "wall_config.yaml:15: tiles -> 1 -> w: input should be a valid integer, "
            "unable to parse string as an integer (got 'two')",
        ),
    ),
    Case(
        "tile outside the grid",
        (("    x: 1\n", "    x: 5\n"),),
        (
            "wall_config.yaml:15: tiles -> 1 -> w: tile 'notice' spans columns 5..6 but the wall has columns 0..5",
        ),
    ),
    Case(
        "tile below the wall",
        (("    y: 0\n    w: 2\n", "    y: 3\n    w: 2\n"),),
        (
            "wall_config.yaml:14: tiles -> 1 -> y: tile 'notice' spans rows 3..3 but the wall has rows 0..2",
        ),
    ),
    Case(
        "overlapping tiles",
        (("    x: 1\n", "    x: 0\n"),),
        (
            "wall_config.yaml:11: tiles -> 1: tile 'notice' overlaps tile 'clock' (tiles -> 0) on screen 1",
        ),
    ),
    Case(
        "duplicate tile ids",
        (("  - id: notice\n", "  - id: clock\n"),),
        ("wall_config.yaml:11: tiles -> 1 -> id: duplicate tile id 'clock' (first at tiles -> 0)",),
    ),
    Case(
        "unknown camera id",
        (("    重点路口: [XY-001]\n", "    重点路口: [XY-001, gate-12]\n"),),
        ("wall_config.yaml:21: cameras -> groups -> 重点路口 -> 1: unknown camera 'gate-12'",),
    ),
    Case(
        "unknown camera or tag kept warm",
        (("map:\n", "relay:\n  keep_warm: {cameras: [XY-001, XY-404], tags: [无此标签]}\nmap:\n"),),
        (
            "wall_config.yaml:23: relay -> keep_warm -> cameras -> 1: unknown camera 'XY-404'",
            "wall_config.yaml:23: relay -> keep_warm -> tags -> 0: no camera has the tag '无此标签'",
        ),
    ),
    Case(
        "duplicate camera ids across inventory and config",
        (WITH_INVENTORY, (CAMERA, CAMERA.replace("XY-001", "XY-102"))),
        (
            "wall_config.yaml:20: cameras -> items -> 2 -> id: "
            "duplicate camera id 'XY-102' (first at cameras -> items -> 1)",
            "wall_config.yaml:22: cameras -> groups -> 重点路口 -> 0: unknown camera 'XY-001'",
        ),
        inventory=INVENTORY,
    ),
    Case(
        "duplicate camera ids inside the inventory",
        (WITH_INVENTORY,),
        (
            "cameras.csv:3: cameras -> items -> 1 -> id: duplicate camera id 'XY-101' (first at cameras -> items -> 0)",
        ),
        inventory=INVENTORY.replace("XY-102,", "XY-101,"),
    ),
    Case(
        "bad value in the inventory",
        (WITH_INVENTORY,),
        (
            "cameras.csv:3: cameras -> items -> 1 -> lat: input should be a valid number, "
            "unable to parse string as a number (got 'north')",
        ),
        inventory=INVENTORY.replace("28.6683,112.8697", "north,112.8697"),
    ),
    Case(
        "inventory file missing",
        (WITH_INVENTORY,),
        (
            "wall_config.yaml:18: cameras -> inventory: cannot read inventory 'cameras.csv': No such file or directory",
        ),
    ),
    Case(
        "camera outside the map",
        (("lat: 28.69, lon: 112.89", "lat: 29.5, lon: 112.89"),),
        (
            "wall_config.yaml:19: cameras -> items -> 0 -> lat: camera 'XY-001' at (29.5, 112.89) "
            "lies outside the map bounds [[28.64, 112.83], [28.74, 112.95]]",
        ),
    ),
    Case(
        "camera URL with an unsupported scheme",
        (('sub: "sim://XY-001?stream=sub"', 'sub: "http://10.0.0.9/live"'),),
        (
            "wall_config.yaml:19: cameras -> items -> 0 -> sub: "
            "unsupported scheme 'http' (valid: rtsp, rtsps, file, sim)",
        ),
    ),
    Case(
        "placeholder with no environment variable",
        (("map:\n", "redis:\n  url: ${CITYWALL_TEST_REDIS_URL}\nmap:\n"),),
        (
            "wall_config.yaml:23: redis -> url: environment variable CITYWALL_TEST_REDIS_URL is not set "
            "(placeholder ${CITYWALL_TEST_REDIS_URL})",
        ),
    ),
    Case(
        "unknown time zone",
        (("  rows: 3\n", "  rows: 3\n  timezone: Mars/Olympus\n"),),
        (
            "wall_config.yaml:6: wall -> timezone: unknown time zone 'Mars/Olympus' "
            "(use an IANA name such as Asia/Shanghai)",
        ),
    ),
    Case(
        "several problems at once, each on its own line",
        (("  columns: 6\n", "  columns: six\n"), ("    type: clock\n", "    type: video\n")),
        (
            "wall_config.yaml:4: wall -> columns: input should be a valid integer, "
            "unable to parse string as an integer (got 'six')",
            "wall_config.yaml:8: tiles -> 0 -> type: unknown tile type 'video' (valid types: camera, cases, chart, clock, kpi, map, officers, text)",
        ),
    ),
    Case(
        "tour dwell below 3 seconds",
        (("map:\n", "tours:\n  - name: 巡逻\n    cameras: [XY-001]\n    dwell_s: 2\nmap:\n"),),
        (
            "wall_config.yaml:25: tours -> 0 -> dwell_s: input should be greater than or equal to 3 (got 2)",
        ),
    ),
    Case(
        "tour naming an unknown camera",
        (("map:\n", "tours:\n  - name: 巡逻\n    cameras: [XY-001, gate-12]\nmap:\n"),),
        ("wall_config.yaml:24: tours -> 0 -> cameras -> 1: unknown camera 'gate-12'",),
    ),
    Case(
        "tour of an unknown group",
        (("map:\n", "tours:\n  - name: 巡逻\n    group: 背街小巷\nmap:\n"),),
        ("wall_config.yaml:24: tours -> 0 -> group: unknown group '背街小巷' (groups: 重点路口)",),
    ),
    Case(
        "tour with both cameras and a group",
        (("map:\n", "tours:\n  - name: 巡逻\n    cameras: [XY-001]\n    group: 重点路口\nmap:\n"),),
        ("wall_config.yaml:23: tours -> 0: give either cameras or group",),
    ),
    Case(
        "tour name with a slash",
        (("map:\n", "tours:\n  - name: 早/晚\n    cameras: [XY-001]\nmap:\n"),),
        (
            "wall_config.yaml:23: tours -> 0 -> name: a name is 1 to 64 characters, "
            "without / or surrounding spaces",
        ),
    ),
    Case(
        "duplicate tour names",
        (
            (
                "map:\n",
                "tours:\n  - name: 巡逻\n    cameras: [XY-001]\n  - name: 巡逻\n    group: 重点路口\nmap:\n",
            ),
        ),
        ("wall_config.yaml:25: tours -> 1 -> name: duplicate tour name '巡逻'",),
    ),
    Case(
        "preset naming a tile that is not a camera tile",
        (
            (
                "    body: 公告\n",
                "    body: 公告\n  - {id: cam, type: camera, x: 3, y: 0, cameras: [XY-001]}\n",
            ),
            (
                "map:\n",
                "presets:\n  - name: 日常\n    tiles:\n      notice: {cameras: [XY-001]}\nmap:\n",
            ),
        ),
        (
            "wall_config.yaml:26: presets -> 0 -> tiles -> notice: 'notice' is not a camera tile (camera tiles: cam)",
        ),
    ),
    Case(
        "preset with 3 cameras",
        (
            (
                "    body: 公告\n",
                "    body: 公告\n  - {id: cam, type: camera, x: 3, y: 0, cameras: [XY-001]}\n",
            ),
            (
                "map:\n",
                "presets:\n  - name: 日常\n    tiles:\n      cam:\n        cameras: [XY-001, XY-001, XY-001]\nmap:\n",
            ),
        ),
        (
            "wall_config.yaml:27: presets -> 0 -> tiles -> cam -> cameras: "
            "give 1, 4, 9 or 16 cameras, not 3",
        ),
    ),
    Case(
        "preset running an unknown tour",
        (
            (
                "    body: 公告\n",
                "    body: 公告\n  - {id: cam, type: camera, x: 3, y: 0, cameras: [XY-001]}\n",
            ),
            ("map:\n", "presets:\n  - name: 日常\n    tiles:\n      cam: {tour: 夜巡}\nmap:\n"),
        ),
        ("wall_config.yaml:26: presets -> 0 -> tiles -> cam -> tour: unknown tour '夜巡'",),
    ),
    Case(
        "alarm tile that is not a camera tile",
        (
            (
                "    body: 公告\n",
                "    body: 公告\n  - {id: cam, type: camera, x: 3, y: 0, cameras: [XY-001]}\n",
            ),
            ("map:\n", "alarms:\n  tile: notice\nmap:\n"),
        ),
        ("wall_config.yaml:24: alarms -> tile: 'notice' is not a camera tile (camera tiles: cam)",),
    ),
]
