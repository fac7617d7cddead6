"""Every Redis key citywall uses, in one place, under one prefix (``citywall:`` by default)."""

from __future__ import annotations

from dataclasses import dataclass

from data_feeds.events import STREAMS

AGGREGATOR_GROUP = "aggregator"


@dataclass(frozen=True)
class Keys:
    prefix: str = "citywall:"

    def stream(self, name: str) -> str:
        """An input stream: cases, officers, hotline, approvals, cameras."""
        if name not in STREAMS:
            raise KeyError(f"unknown stream {name!r} (streams: {', '.join(STREAMS)})")
        return self.prefix + name

    @property
    def streams(self) -> dict[str, str]:
        return {name: self.prefix + name for name in STREAMS}

    @property
    def deadletter(self) -> str:
        return self.prefix + "deadletter"

    @property
    def updates(self) -> str:
        """One entry per applied batch: what changed, for the web tier to push."""
        return self.prefix + "updates"

    @property
    def clock(self) -> str:
        """The data clock: the latest event time applied, in ms since the epoch."""
        return self.prefix + "clock"

    @property
    def heartbeat(self) -> str:
        """Set by every running aggregator each second (ms since the epoch, expiring):
        the web tier calls the live state stale when it is missing or old."""
        return self.prefix + "heartbeat:aggregator"

    def case(self, case_id: str) -> str:
        return self.prefix + "case:" + case_id

    @property
    def open_cases(self) -> str:
        return self.prefix + "cases:open"

    @property
    def closed_cases(self) -> str:
        return self.prefix + "cases:closed"

    @property
    def deadlines(self) -> str:
        return self.prefix + "cases:deadline"

    @property
    def officers(self) -> str:
        return self.prefix + "state:officers"

    @property
    def positions(self) -> str:
        """officer -> "lat,lon,ms,grid": the last fix."""
        return self.prefix + "state:positions"

    def trail(self, officer_id: str) -> str:
        """The officer's last fixes, newest first ("lat,lon,ms"), a capped list."""
        return self.prefix + "trail:" + officer_id

    def checkins(self, day: str) -> str:
        return self.prefix + "checkins:" + day

    @property
    def cameras(self) -> str:
        return self.prefix + "state:cameras"

    def kpi_bucket(self, hour: str) -> str:
        """Counters of one local hour, ``YYYYMMDDHH``."""
        return self.prefix + "kpi:" + hour
