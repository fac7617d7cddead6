"""The ``ingest`` section: other systems pushing events to the wall over HTTP (the
business system's cases, the hotline, approvals: ``POST /api/v1/events``) and the
officers' handheld terminals (OsmAnd protocol: ``/api/osmand/<token>``)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from wall.config.base import StrictModel

# flask-limiter's notation: "20 per second", "600/minute", "20/second;600/minute".
RATE = re.compile(r"^\s*\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?\s*$")


class IngestSpec(StrictModel):
    """Limits of the ingest API and where the terminals' reports are taken."""

    max_body_kb: int = Field(
        default=1024, ge=1, le=65536,
        description="Largest request body the ingest API reads, in KiB; a larger one gets "
        "413 and nothing of it is written.",
    )  # fmt: skip
    max_items: int = Field(
        default=1000, ge=1, le=10000,
        description="Most events in one POST /api/v1/events batch; more gets 413.",
    )  # fmt: skip
    rate_limit: str = Field(
        default="20/second;600/minute",
        description="Requests allowed per API key (and per terminal), per web worker, in "
        "flask-limiter's notation ('20/second;600/minute'); more gets 429 with Retry-After.",
    )
    osmand_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="Also take the terminals' OsmAnd reports (and only those) on this port "
        "of every address the web server listens on, as Traccar's own server does on 5055. "
        "Default: none, /api/osmand/<token> on the web server's port only.",
    )  # fmt: skip

    @field_validator("rate_limit")
    @classmethod
    def _rates(cls, value: str) -> str:
        for part in value.split(";"):
            if not RATE.match(part):
                raise ValueError(
                    f"{part.strip()!r} is not a rate like '20/second' or '600 per minute'"
                )
        return value
