"""What the console's case panel shows of one case: the case as the aggregator keeps
it (descriptors, details, timeline), its evidence, and the cameras nearest to it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
import redis

from core.camera_status import camera_statuses
from core.keys import Keys
from data_feeds.case_record import CaseRecord, read_case
from data_feeds.kpis import KpiReader
from wall.config.models import WallConfigBase
from wall.config.sections import Camera
from wall.control.alarms import distance_m
from wall.control.evidence import Evidence, EvidenceIndex

NEAREST = 3


@dataclass(frozen=True)
class NearbyCamera:
    camera_id: str
    name: str
    distance_m: float
    status: str  # online, connecting, or unknown (offline cameras are left out)


@dataclass(frozen=True)
class CaseFile:
    record: CaseRecord
    evidence: list[Evidence]
    cameras: list[NearbyCamera]


def nearest_cameras(
    lat: float,
    lon: float,
    cameras: Iterable[Camera],
    statuses: Mapping[str, str],
    count: int = NEAREST,
) -> list[NearbyCamera]:
    """The ``count`` nearest cameras that are not offline, nearest first (ties: the
    smaller id). A camera nobody has pulled yet has no known status: it is listed with
    "unknown" rather than hidden, since most cameras of a hall are unwatched."""
    found = [
        NearbyCamera(
            camera.id,
            camera.name,
            distance_m(lat, lon, camera.lat, camera.lon),
            statuses.get(camera.id, "unknown"),
        )
        for camera in cameras
        if statuses.get(camera.id) != "offline"
    ]
    found.sort(key=lambda c: (c.distance_m, c.camera_id))
    return found[:count]


def open_case_file(
    client: redis.Redis,
    keys: Keys,
    case_id: str,
    cameras: Iterable[Camera],
    statuses: Mapping[str, str],
) -> CaseFile | None:
    record = read_case(client, keys, case_id)
    if record is None:
        return None
    evidence = EvidenceIndex(client, keys).of_case(case_id)
    where = record.position
    nearby = nearest_cameras(where[0], where[1], cameras, statuses) if where else []
    return CaseFile(record, evidence, nearby)


class CaseFiles:
    """Opens case files on one Redis, with the cameras' statuses as the relay wrote them."""

    def __init__(self, client: redis.Redis, config: WallConfigBase) -> None:
        self._client = client
        self._keys = Keys(config.redis.prefix)
        self._cameras = list(config.cameras.items)
        self._zone = config.wall.timezone

    def open(self, case_id: str) -> CaseFile | None:
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._keys.cameras))
        statuses = camera_statuses(raw)
        return open_case_file(self._client, self._keys, case_id, self._cameras, statuses)

    def recent(self, limit: int) -> pd.DataFrame:
        """The latest reported cases, newest first (the console's case list)."""
        return KpiReader(self._client, self._keys, self._zone).recent_cases(limit)

    @staticmethod
    def points(cases: pd.DataFrame) -> dict[str, Any]:
        """The cases as GeoJSON points for the console map (a click opens one)."""
        features = [
            {
                "type": "Feature",
                "properties": {
                    "id": str(case_id),
                    "status": str(case["status"]),
                    "urgent": case["priority"] == "urgent",
                },
                "geometry": {"type": "Point", "coordinates": [case["lon"], case["lat"]]},
            }
            for case_id, case in cases.iterrows()
            if pd.notna(case["lat"]) and pd.notna(case["lon"])
        ]
        return {"type": "FeatureCollection", "features": features}
