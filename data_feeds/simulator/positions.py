"""Officer positions (GPS fixes of the handheld terminals) and the live-start snapshot.

Positions are not planned ahead: there can be hundreds of thousands a day, so only
those a window asks for are computed. They fall at ``duty start + k × every``,
anchored on the duty, so a window split anywhere gives the same fixes.
"""

from __future__ import annotations

from data_feeds.catalog import OfficerStatus
from data_feeds.events import OfficerEvent
from data_feeds.simulator.city import Officer, city_for
from data_feeds.simulator.entries import STREAM_RANK, Entry
from data_feeds.simulator.officers import Duty, OfficerDay, officer_day, officer_event
from data_feeds.simulator.paths import patrol_path
from data_feeds.simulator.settings import CitySettings
from data_feeds.simulator.timebase import day_of

_RANK = STREAM_RANK["officers"]


def position_entries(
    settings: CitySettings, plan: OfficerDay, lo: int, hi: int, every: int
) -> list[Entry]:
    """The fixes of every duty of the day with ``lo <= time < hi``, one per ``every`` ms."""
    entries: list[Entry] = []
    for duty in plan.duties:
        first, last = max(lo, duty.start), min(hi, duty.end)
        ms = duty.start + -(-(first - duty.start) // every) * every
        while ms < last:
            event = _fix(settings, duty, ms, f"p-{duty.officer.id}-{ms}")
            entries.append((ms, _RANK, event.event_id, event))
            ms += every
    return entries


def officer_snapshot(settings: CitySettings, ms: int) -> list[OfficerEvent]:
    """Every officer's status and position at one instant (ids ``os-``/``ps-``)."""
    plan = officer_day(settings, day_of(ms, settings.tz))
    status: dict[str, OfficerStatus] = {}
    for _, _, _, event in plan.timeline.window(plan.day.start, ms + 1):
        if isinstance(event, OfficerEvent) and event.status is not None:
            status[event.officer_id] = event.status
    on_duty = {duty.officer.id: duty for duty in plan.duties if duty.start <= ms < duty.end}
    events: list[OfficerEvent] = []
    for officer in city_for(settings).officers:
        # before the day's first shift everyone is as the last shift left them: offline
        now = status.get(officer.id, "offline")
        events.append(officer_event(f"os-{officer.id}-{ms}", ms, officer, "status", status=now))
        duty = on_duty.get(officer.id)
        if duty is not None:
            events.append(_fix(settings, duty, ms, f"ps-{officer.id}-{ms}"))
        else:
            events.append(_at_post(officer, ms))
    return events


def _fix(settings: CitySettings, duty: Duty, ms: int, event_id: str) -> OfficerEvent:
    officer = duty.officer
    path = patrol_path(
        settings.seed, officer.id, duty.key, officer.box, officer.vehicle, duty.start, duty.end
    )
    lat, lon = path.at(ms)
    return officer_event(event_id, ms, officer, "position", lat=lat, lon=lon, named=False)


def _at_post(officer: Officer, ms: int) -> OfficerEvent:
    """An off-duty terminal shows where it was left: the grid's post."""
    lat, lon = officer.base
    return officer_event(
        f"ps-{officer.id}-{ms}", ms, officer, "position", lat=lat, lon=lon, named=False
    )
