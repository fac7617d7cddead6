"""Cross-checks of tours, presets and the alarm pop-up against the tiles and cameras."""

from __future__ import annotations

from wall.config.issues import Loc
from wall.config.shape import ConfigShape

Problem = tuple[Loc, str]


def control_checks(config: ConfigShape) -> list[Problem]:
    return [*_tours(config), *_presets(config), *_alarms(config)]


def _camera_tiles(config: ConfigShape) -> set[str]:
    return {tile.id for tile in config.camera_tiles()}


def _names_unique(names: list[str], where: str) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    for index, name in enumerate(names):
        if name in seen:
            problems.append(((where, index, "name"), f"duplicate {where[:-1]} name {name!r}"))
        seen.add(name)
    return problems


def _tours(config: ConfigShape) -> list[Problem]:
    known = config.camera_ids()
    problems = _names_unique([tour.name for tour in config.tours], "tours")
    for index, tour in enumerate(config.tours):
        if tour.group is not None and tour.group not in config.cameras.groups:
            groups = ", ".join(sorted(config.cameras.groups)) or "none defined"
            problems.append(
                (("tours", index, "group"), f"unknown group {tour.group!r} (groups: {groups})")
            )
        for position, camera_id in enumerate(tour.cameras):
            if camera_id not in known:
                problems.append(
                    (("tours", index, "cameras", position), f"unknown camera {camera_id!r}")
                )
    return problems


def _presets(config: ConfigShape) -> list[Problem]:
    known = config.camera_ids()
    tiles = _camera_tiles(config)
    tours = {tour.name for tour in config.tours}
    problems = _names_unique([preset.name for preset in config.presets], "presets")
    for index, preset in enumerate(config.presets):
        for tile_id, view in preset.tiles.items():
            where: Loc = ("presets", index, "tiles", tile_id)
            if tile_id not in tiles:
                valid = ", ".join(sorted(tiles)) or "none"
                problems.append(
                    (where, f"{tile_id!r} is not a camera tile (camera tiles: {valid})")
                )
            if view.tour is not None and view.tour not in tours:
                problems.append(((*where, "tour"), f"unknown tour {view.tour!r}"))
            for position, camera_id in enumerate(view.cameras):
                if camera_id not in known:
                    problems.append(
                        ((*where, "cameras", position), f"unknown camera {camera_id!r}")
                    )
    return problems


def _alarms(config: ConfigShape) -> list[Problem]:
    if config.alarms is None:
        return []
    tiles = _camera_tiles(config)
    if config.alarms.tile in tiles:
        return []
    valid = ", ".join(sorted(tiles)) or "none"
    return [
        (
            ("alarms", "tile"),
            f"{config.alarms.tile!r} is not a camera tile (camera tiles: {valid})",
        )
    ]
