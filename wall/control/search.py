"""Find cameras as an operator types: by id, name (the road or intersection), grid or tag."""

from __future__ import annotations

from collections.abc import Iterable

from wall.config.models import Camera


def search_cameras(cameras: Iterable[Camera], query: str, limit: int = 40) -> list[Camera]:
    """Cameras matching every word of ``query`` (any field), best first: an exact id,
    then a name that starts with the first word, then inventory order."""
    words = [word.casefold() for word in query.split()]
    found: list[tuple[int, int, Camera]] = []
    for order, camera in enumerate(cameras):
        text = " ".join([camera.id, camera.name, camera.grid, *camera.tags]).casefold()
        if all(word in text for word in words):
            found.append((_rank(camera, words), order, camera))
    found.sort(key=lambda item: (item[0], item[1]))
    return [camera for _rank_, _order, camera in found[:limit]]


def _rank(camera: Camera, words: list[str]) -> int:
    if not words:
        return 2
    if camera.id.casefold() == words[0]:
        return 0
    if camera.name.casefold().startswith(words[0]):
        return 1
    return 2
