"""A simulated county seat for the wall: cases, 12319 calls, approvals, officers, cameras.

``events_between`` is the whole simulation as a pure function of the settings and a
time window; ``Simulator`` plays it into Redis (through ``EventWriter.write``) in
real or accelerated time, after an optional backfill. See docs/simulator.md.
"""

from data_feeds.simulator.entries import order_key
from data_feeds.simulator.runner import SimulationStats, Simulator, position_interval
from data_feeds.simulator.settings import CitySettings
from data_feeds.simulator.timeline import events_between

__all__ = [
    "CitySettings",
    "SimulationStats",
    "Simulator",
    "events_between",
    "order_key",
    "position_interval",
]
