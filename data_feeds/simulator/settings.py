"""What the simulator needs to know about the city; everything else is derived from the seed."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Bounds = tuple[tuple[float, float], tuple[float, float]]
Place = tuple[str, float, float]  # (name, lat, lon): a camera of the inventory, say


@dataclass(frozen=True)
class CitySettings:
    """The county seat to simulate.

    ``bounds`` is ``((south, west), (north, east))``; ``camera_ids`` are the wall's
    camera inventory; ``grid_rows`` × ``grid_cols`` responsibility grids (责任网格)
    split the bounds, and the ``officers`` are spread evenly over them. ``places``
    are named points of the town, (name, lat, lon), from which cases get their
    street addresses: the camera inventory's names and positions (intersections such
    as 湘阴大道与解放路交叉口); without them the simulator lays its own street grid.
    """

    bounds: Bounds
    camera_ids: tuple[str, ...]
    timezone: str = "Asia/Shanghai"
    seed: int = 0
    officers: int = 312
    grid_rows: int = 5
    grid_cols: int = 6
    places: tuple[Place, ...] = ()

    def __post_init__(self) -> None:
        # Plans are cached by settings: lists (say, bounds from JSON) would be unhashable.
        (south, west), (north, east) = self.bounds
        bounds = ((float(south), float(west)), (float(north), float(east)))
        object.__setattr__(self, "bounds", bounds)
        object.__setattr__(self, "camera_ids", tuple(self.camera_ids))
        places = tuple((str(name), float(lat), float(lon)) for name, lat, lon in self.places)
        object.__setattr__(self, "places", places)
        if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
            raise ValueError(f"bounds: need south < north and west < east, got {self.bounds}")
        if not 1 <= self.grid_rows <= 99 or not 1 <= self.grid_cols <= 99:
            raise ValueError("grid_rows, grid_cols: each must be 1..99")
        if not 0 <= self.officers <= 999:
            raise ValueError(f"officers: must be 0..999, got {self.officers}")
        for name, lat, lon in places:
            if not name.strip() or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"places: need a name and a position, got {(name, lat, lon)}")
        if len(set(self.camera_ids)) != len(self.camera_ids):
            raise ValueError("camera_ids: duplicates")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown {self.timezone!r}") from None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
