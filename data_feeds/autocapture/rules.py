"""Which rules a Frigate detection satisfies, now: pure functions, no I/O.

A rule holds when the detection is on its Frigate camera, in its zone now
(``current_zones``), with a listed label, not a false positive, scored at least
``min_score``, and — the conditions that time alone can change — has dwelt long
enough (``now - start_time``, up to ``end_time`` once it ended; or stationary, when the
rule counts that) within the working hours of the hall's local day. A detection that
fails only those is *waiting*: the bridge looks at it again as time passes, because
Frigate sends nothing while an object just stays where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data_feeds.autocapture.frigate import FrigateObject
from data_feeds.autocapture.settings import DAY_MINUTES, Rule


@dataclass(frozen=True)
class Verdict:
    matches: tuple[Rule, ...] = ()  # every condition holds now, in the rules' order
    waiting: tuple[Rule, ...] = ()  # all but dwell or working hours: may hold later
    reasons: tuple[str, ...] = ()  # why each rule of the camera does not hold

    @property
    def final(self) -> bool:
        """Nothing can change by waiting: no rule holds or may hold later."""
        return not self.matches and not self.waiting


def in_hours(hours: tuple[int, int], local: datetime) -> bool:
    """``local`` (the hall's wall-clock time) is within [start, end) minutes of the day;
    a span whose start is after its end runs over midnight (22:00-06:00)."""
    start, end = hours
    minute = local.hour * 60 + local.minute
    if start == 0 and end >= DAY_MINUTES:
        return True
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


def dwell_s(detection: FrigateObject, now: float) -> float:
    """Seconds the object has been tracked: until now, or until it ended."""
    until = now if detection.end_time is None else min(now, detection.end_time)
    return until - detection.start_time


def check(rule: Rule, detection: FrigateObject, now: datetime) -> tuple[str | None, bool]:
    """(why the rule does not hold, or None; whether waiting may make it hold)."""
    if detection.camera != rule.frigate_camera:
        return f"camera {detection.camera!r} is not {rule.frigate_camera!r}", False
    if detection.false_positive:
        return "a false positive", False
    if rule.zone not in detection.current_zones:
        zones = ", ".join(detection.current_zones) or "none"
        return f"not in zone {rule.zone!r} (in: {zones})", False
    if detection.label not in rule.labels:
        return f"label {detection.label!r} is not one of {', '.join(sorted(rule.labels))}", False
    if detection.best_score < rule.min_score:
        return f"score {detection.best_score:.2f} is below {rule.min_score:.2f}", False
    ended = detection.end_time is not None
    dwelt = dwell_s(detection, now.timestamp())
    if dwelt < rule.min_dwell_s and not (rule.stationary_counts and detection.stationary):
        return f"dwelt {dwelt:.0f} s of {rule.min_dwell_s:.0f} s", not ended
    if not in_hours(rule.hours, now):
        return f"{now:%H:%M} is outside the working hours", not ended
    return None, False


def evaluate(detection: FrigateObject, rules: tuple[Rule, ...], now: datetime) -> Verdict:
    """The verdict of every rule on ``detection`` at ``now`` (aware, in the hall's time
    zone: working hours are read on its clock)."""
    matches: list[Rule] = []
    waiting: list[Rule] = []
    reasons: list[str] = []
    for rule in rules:
        if rule.frigate_camera != detection.camera:
            continue
        reason, may_hold = check(rule, detection, now)
        if reason is None:
            matches.append(rule)
        else:
            reasons.append(f"{rule.zone}: {reason}")
            if may_hold:
                waiting.append(rule)
    if not matches and not reasons:
        reasons.append(f"no rule for Frigate camera {detection.camera!r}")
    return Verdict(tuple(matches), tuple(waiting), tuple(reasons))
