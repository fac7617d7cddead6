"""Approvals published (审批公示): the aggregator keeps each published application in a
sorted set scored by its time (``core.keys.Keys.approvals_published``), its member
``<service><SEPARATOR><application id>``, for ``KEEP_MS``; the public page lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, cast

import redis

from core.keys import Keys

SEPARATOR: Final = "|"  # in no service name nor application id (events.Ident)
KEEP_MS: Final = 31 * 24 * 3600 * 1000  # a month and a day: the page shows 30 days


@dataclass(frozen=True)
class Published:
    application_id: str
    service: str
    at_ms: int


def published_since(
    client: redis.Redis, keys: Keys, since_ms: int, limit: int = 500
) -> list[Published]:
    """The approvals published from ``since_ms`` on, newest first (at most ``limit``)."""
    raw = cast(
        list[tuple[bytes, float]],
        client.zrevrangebyscore(
            keys.approvals_published, "+inf", since_ms, start=0, num=limit, withscores=True
        ),
    )
    found = []
    for member, score in raw:
        service, _, application_id = member.decode().partition(SEPARATOR)
        found.append(Published(application_id, service, int(score)))
    return found
