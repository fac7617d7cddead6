"""Write cameras.csv: the 347 street cameras of the Xiangyin county seat (simulated).

Deterministic: the same file every run. Names are roads and intersections of a
county-seat street grid; positions lie around 28.689 N, 112.889 E; every camera
has a main (1280×720) and a sub (640×360) stream on the sim:// scheme until real
RTSP addresses are filled in.

    python scripts/make_camera_inventory.py > cameras.csv
"""

from __future__ import annotations

import csv
import random
import sys

CENTER_LAT, CENTER_LON = 28.689, 112.889
EAST_WEST = [
    "湘阴大道",
    "文星路",
    "太傅路",
    "洞庭大道",
    "凤凰路",
    "鹤龙湖路",
    "建设路",
    "城东路",
    "南湖路",
    "白泥湖路",
]
NORTH_SOUTH = [
    "左公路",
    "仙姑路",
    "青山路",
    "金龙路",
    "工业大道",
    "解放路",
    "东湖路",
    "文庙路",
    "湘江路",
    "长康路",
]
SPOTS = [
    "农贸市场",
    "汽车站",
    "人民医院",
    "第一中学",
    "步行街",
    "文化广场",
    "体育中心",
    "县政府",
    "火车站",
    "滨江风光带",
]
COUNT = 347


def cameras(rng: random.Random) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    sites: list[tuple[str, float, float, list[str]]] = []
    for i, ew in enumerate(EAST_WEST):
        for j, ns in enumerate(NORTH_SOUTH):
            lat = CENTER_LAT + (i - 4.5) * 0.0046
            lon = CENTER_LON + (j - 4.5) * 0.0055
            major = i < 4 and j < 5
            tags = ["重点路口", "主干道"] if major else ["路口"]
            sites.append((f"{ew}与{ns}交叉口", lat, lon, tags))
    for spot in SPOTS:
        for k, direction in enumerate(["东门", "西门", "南门", "北门", "广场"]):
            lat = CENTER_LAT + rng.uniform(-0.02, 0.02)
            lon = CENTER_LON + rng.uniform(-0.025, 0.025)
            sites.append(
                (
                    # "文化广场" + "广场" would read 文化广场广场: its square is its 中心.
                    f"{spot}{'中心' if spot.endswith(direction) else direction}",
                    lat,
                    lon,
                    ["重点区域", "人员密集"] if k < 2 else ["重点区域"],
                )
            )
    while len(sites) < COUNT:
        road = rng.choice(EAST_WEST + NORTH_SOUTH)
        a, b = rng.sample(NORTH_SOUTH if road in EAST_WEST else EAST_WEST, 2)
        name = f"{road}（{a}至{b}段）"
        if any(s[0] == name for s in sites):
            continue
        lat = CENTER_LAT + rng.uniform(-0.022, 0.022)
        lon = CENTER_LON + rng.uniform(-0.027, 0.027)
        sites.append((name, lat, lon, ["次干道", rng.choice(["出店经营", "违章停车", "乱挂乱晒"])]))
    for n, (name, lat, lon, tags) in enumerate(sites[:COUNT], start=1):
        camera_id = f"XY-{n:03d}"
        street = 1 + int((lat - CENTER_LAT + 0.03) / 0.02)
        community = 1 + int((lon - CENTER_LON + 0.035) / 0.01)
        cell = 1 + (n % 40)
        rows.append(
            {
                "id": camera_id,
                "name": name,
                "lat": f"{lat:.6f}",
                "lon": f"{lon:.6f}",
                "grid": f"430624{street:03d}{community:02d}{cell:02d}",
                "main": f"sim://{camera_id}?stream=main",
                "sub": f"sim://{camera_id}?stream=sub",
                "tags": "|".join(tags),
            }
        )
    return rows


def main() -> None:
    writer = csv.DictWriter(
        sys.stdout,
        fieldnames=["id", "name", "lat", "lon", "grid", "main", "sub", "tags"],
        lineterminator="\n",
    )
    writer.writeheader()
    writer.writerows(cameras(random.Random(20180905)))


if __name__ == "__main__":
    main()
