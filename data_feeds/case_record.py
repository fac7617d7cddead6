"""One case as the aggregator keeps it, read whole: its descriptors, details, current
status, deadline and timeline (data_feeds.case_timeline). The console's case panel and
the public case page read it; each shows only what its readers may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import redis

from core.keys import Keys
from data_feeds import case_details, case_timeline
from data_feeds.case_timeline import Stage

FINISHED = ("closed", "cancelled")


@dataclass(frozen=True)
class CaseRecord:
    case_id: str
    fields: dict[str, str]  # the case's hash, decoded (timeline fields left out)
    stages: list[Stage]  # oldest first

    def text(self, name: str) -> str:
        return self.fields.get(name, "")

    def ms(self, name: str) -> int | None:
        value = self.fields.get(name, "")
        return int(float(value)) if value else None

    @property
    def status(self) -> str:
        return self.text("status")

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def position(self) -> tuple[float, float] | None:
        try:
            return float(self.fields["lat"]), float(self.fields["lon"])
        except (KeyError, ValueError):
            return None

    def photos(self, name: str) -> list[str]:
        return case_details.decode_photos(self.fields.get(name))


def read_case(client: redis.Redis, keys: Keys, case_id: str) -> CaseRecord | None:
    """The case, or None when no event of it was applied (or retention removed it)."""
    raw = cast(dict[bytes, bytes], client.hgetall(keys.case(case_id)))
    if not raw:
        return None
    decoded = {key.decode(): value.decode(errors="replace") for key, value in raw.items()}
    stages = case_timeline.decode(decoded)
    fields = {
        key: value
        for key, value in decoded.items()
        if not key.startswith(case_timeline.EVENT_PREFIX)
    }
    if "case_id" not in fields:
        return None
    return CaseRecord(case_id, fields, stages)
