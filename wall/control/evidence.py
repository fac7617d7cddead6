"""Which evidence belongs to which case: when a snapshot or a clip is taken for a case,
its record is added to the case's evidence hash (``Keys.case_evidence``), so the case
panel lists it with one read instead of scanning every snapshot and clip."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis

from core.keys import Keys

EvidenceKind = Literal["snapshot", "clip"]


@dataclass(frozen=True)
class Evidence:
    kind: EvidenceKind
    id: str
    at_ms: int
    camera_id: str
    operator: str
    url: str


class EvidenceIndex:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys

    def link(self, case_id: str, kind: EvidenceKind, record: dict[str, Any], url: str) -> None:
        value = json.dumps({**record, "url": url}, ensure_ascii=False)
        self._client.hset(self._keys.case_evidence(case_id), f"{kind}:{record['id']}", value)

    def unlink(self, case_id: str, kind: EvidenceKind, evidence_id: str) -> None:
        self._client.hdel(self._keys.case_evidence(case_id), f"{kind}:{evidence_id}")

    def of_case(self, case_id: str) -> list[Evidence]:
        """The case's evidence, oldest first."""
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._keys.case_evidence(case_id)))
        found = []
        for field, value in raw.items():
            kind, _, evidence_id = field.decode().partition(":")
            record = json.loads(value)
            found.append(
                Evidence(
                    kind=cast(EvidenceKind, kind),
                    id=evidence_id,
                    at_ms=int(record.get("at_ms", 0)),
                    camera_id=str(record.get("camera_id", "")),
                    operator=str(record.get("operator", "")),
                    url=str(record.get("url", "")),
                )
            )
        return sorted(found, key=lambda e: (e.at_ms, e.id))
