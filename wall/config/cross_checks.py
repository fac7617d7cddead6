"""Checks that span several parts of the config. Each problem carries its own path."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from data_feeds.events import GridCode
from wall.config.control_checks import control_checks
from wall.config.issues import Loc
from wall.config.shape import ConfigShape

Problem = tuple[Loc, str]


def cross_check(config: ConfigShape) -> list[Problem]:
    return [
        *_tile_ids_unique(config),
        *_tiles_inside_wall(config),
        *_tiles_do_not_overlap(config),
        *_camera_ids_unique(config),
        *_cameras_inside_map(config),
        *_camera_refs_known(config),
        *_autocapture_rules(config),
        *_keep_warm_known(config),
        *control_checks(config),
    ]


def _duplicates(ids: list[str], prefix: Loc, what: str) -> list[Problem]:
    """One problem per repeated id, pointing back at its first use."""
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for index, item_id in enumerate(ids):
        if item_id in first:
            where = " -> ".join(str(p) for p in (*prefix, first[item_id]))
            problems.append(
                ((*prefix, index, "id"), f"duplicate {what} {item_id!r} (first at {where})")
            )
        else:
            first[item_id] = index
    return problems


def _tile_ids_unique(config: ConfigShape) -> list[Problem]:
    return _duplicates([tile.id for tile in config.tiles], ("tiles",), "tile id")


def _tiles_inside_wall(config: ConfigShape) -> list[Problem]:
    columns, rows = config.wall.columns, config.wall.rows
    problems: list[Problem] = []
    for index, tile in enumerate(config.tiles):
        if tile.x + tile.w > columns:
            problems.append(
                (
                    ("tiles", index, "x" if tile.x >= columns else "w"),
                    f"tile {tile.id!r} spans columns {tile.x}..{tile.x + tile.w - 1} "
                    f"but the wall has columns 0..{columns - 1}",
                )
            )
        if tile.y + tile.h > rows:
            problems.append(
                (
                    ("tiles", index, "y" if tile.y >= rows else "h"),
                    f"tile {tile.id!r} spans rows {tile.y}..{tile.y + tile.h - 1} "
                    f"but the wall has rows 0..{rows - 1}",
                )
            )
    return problems


def _tiles_do_not_overlap(config: ConfigShape) -> list[Problem]:
    owner: dict[tuple[int, int], int] = {}
    problems: list[Problem] = []
    columns = config.wall.columns
    for index, tile in enumerate(config.tiles):
        clashes: dict[int, list[int]] = {}
        for cx in range(tile.x, tile.x + tile.w):
            for cy in range(tile.y, tile.y + tile.h):
                if (cx, cy) in owner:
                    clashes.setdefault(owner[(cx, cy)], []).append(cy * columns + cx + 1)
                else:
                    owner[(cx, cy)] = index
        for other, screens in clashes.items():
            other_id = config.tiles[other].id
            listed = ", ".join(str(s) for s in sorted(screens))
            problems.append(
                (
                    ("tiles", index),
                    f"tile {tile.id!r} overlaps tile {other_id!r} (tiles -> {other}) "
                    f"on screen {listed}",
                )
            )
    return problems


def _camera_ids_unique(config: ConfigShape) -> list[Problem]:
    ids = [camera.id for camera in config.cameras.items]
    return _duplicates(ids, ("cameras", "items"), "camera id")


def _cameras_inside_map(config: ConfigShape) -> list[Problem]:
    (south, west), (north, east) = config.map.bounds
    return [
        (
            ("cameras", "items", index, "lat"),
            f"camera {camera.id!r} at ({camera.lat}, {camera.lon}) lies outside the map bounds "
            f"[[{south}, {west}], [{north}, {east}]]",
        )
        for index, camera in enumerate(config.cameras.items)
        if not config.map.contains(camera.lat, camera.lon)
    ]


def _camera_refs_known(config: ConfigShape) -> list[Problem]:
    known = config.camera_ids()
    problems: list[Problem] = []
    for name, members in config.cameras.groups.items():
        for position, camera_id in enumerate(members):
            if camera_id not in known:
                problems.append(
                    (("cameras", "groups", name, position), f"unknown camera {camera_id!r}")
                )
    for index, tile in enumerate(config.tiles):
        for loc, camera_id in tile.camera_refs():
            if camera_id not in known:
                problems.append((("tiles", index, *loc), f"unknown camera {camera_id!r}"))
    return problems


def _keep_warm_known(config: ConfigShape) -> list[Problem]:
    """relay.keep_warm names known cameras, and its tags each choose at least one."""
    spec = config.relay.keep_warm
    if spec is None:
        return []
    known = config.camera_ids()
    tags = {tag for camera in config.cameras.items for tag in camera.tags}
    loc: Loc = ("relay", "keep_warm")
    problems: list[Problem] = [
        ((*loc, "cameras", i), f"unknown camera {camera_id!r}")
        for i, camera_id in enumerate(spec.cameras)
        if camera_id not in known
    ]
    problems += [
        ((*loc, "tags", i), f"no camera has the tag {tag!r}")
        for i, tag in enumerate(spec.tags)
        if tag not in tags
    ]
    return problems


def _autocapture_rules(config: ConfigShape) -> list[Problem]:
    """Each rule's citywall camera is known and has a grid a case can carry; one rule per
    Frigate camera and zone; a Frigate camera is one citywall camera in every rule."""
    if config.autocapture is None:
        return []
    cameras = {camera.id: camera for camera in config.cameras.items}
    grid_code: TypeAdapter[str] = TypeAdapter(GridCode)
    first: dict[tuple[str, str], int] = {}
    mapped: dict[str, tuple[str, int]] = {}
    problems: list[Problem] = []
    for index, rule in enumerate(config.autocapture.rules):
        at: Loc = ("autocapture", "rules", index, "citywall_camera")
        camera = cameras.get(rule.citywall_camera)
        if camera is None:
            problems.append((at, f"unknown camera {rule.citywall_camera!r}"))
        else:
            try:
                grid_code.validate_python(camera.grid)
            except ValidationError:
                reason = "a case cannot carry it (letters, digits and -, at most 32)"
                problems.append((at, f"camera {camera.id!r} has grid {camera.grid!r}: {reason}"))
        pair = (rule.camera, rule.zone)
        if pair in first:
            where = f"first at autocapture -> rules -> {first[pair]}"
            message = f"a second rule for camera {rule.camera!r} zone {rule.zone!r} ({where})"
            problems.append((("autocapture", "rules", index, "zone"), message))
        first.setdefault(pair, index)
        earlier, earlier_index = mapped.setdefault(rule.camera, (rule.citywall_camera, index))
        if earlier != rule.citywall_camera:
            where = f"autocapture -> rules -> {earlier_index}"
            problems.append((at, f"Frigate camera {rule.camera!r} is {earlier!r} in {where}"))
    return problems
