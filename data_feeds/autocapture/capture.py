"""From Frigate's messages to cases: parse, apply the rules, claim the window, write.

``Capturer`` knows nothing of MQTT (``bridge`` feeds it): ``handle`` takes one
message, ``tick`` looks again at the detections that are waiting for their dwell or
the working hours (Frigate sends nothing while an object just stays where it is).
A malformed message is logged and kept in the dead-letter stream with source
``frigate``; the next one is read as usual.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Final, TypeVar
from zoneinfo import ZoneInfo

import redis
from pydantic import ValidationError

from core.keys import Keys
from core.outage import OUTAGE_ERRORS, Backoff, retry_forever
from data_feeds.autocapture.cases import case_event
from data_feeds.autocapture.claims import Claim, Claims
from data_feeds.autocapture.frigate import FrigateMessageError, FrigateObject, parse_message
from data_feeds.autocapture.rules import evaluate
from data_feeds.autocapture.settings import AutocaptureSettings, Rule
from data_feeds.deadletter import Refused, write_refused
from data_feeds.events import validation_reason
from data_feeds.writer import EventWriter

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_PENDING: Final = 5_000  # detections waiting at once (the oldest is let go beyond)
PENDING_MAX_AGE_S: Final = 6 * 3600  # a detection not heard of for this long has ended
MAX_DONE: Final = 20_000  # Frigate events remembered here as done (Redis remembers too)
DEADLETTER_SOURCE: Final = "frigate"


@dataclass
class CaptureStats:
    received: int = 0  # messages read from the broker and handled
    malformed: int = 0  # not a Frigate event message: logged, dead-lettered
    cases: int = 0  # cases written
    held: int = 0  # detections that matched while another case held the window
    dropped: int = 0  # messages let go because they came faster than they were handled

    def __str__(self) -> str:
        return (
            f"{self.received} message(s), {self.cases} case(s), {self.held} within a "
            f"window, {self.malformed} malformed, {self.dropped} dropped"
        )


class Capturer:
    def __init__(
        self,
        settings: AutocaptureSettings,
        client: redis.Redis,
        keys: Keys,
        *,
        clock: Callable[[], float] = time.time,
        stop: Callable[[], bool] = lambda: False,
        replicas: int = 0,
    ) -> None:
        self._settings = settings
        self._zone = ZoneInfo(settings.timezone)
        self._cameras = frozenset(rule.frigate_camera for rule in settings.rules)
        self._client = client
        self._keys = keys
        self._clock = clock
        self._stop = stop
        self._writer = EventWriter(client, keys, stop=stop, replicas=replicas)
        self._claims = Claims(client, keys, clock)
        self._backoff = Backoff()
        # Frigate event id -> (its latest state, when it was last heard of)
        self._pending: OrderedDict[str, tuple[FrigateObject, float]] = OrderedDict()
        self._held: set[str] = set()
        self._done: OrderedDict[str, None] = OrderedDict()
        self.stats = CaptureStats()

    @property
    def waiting(self) -> int:
        """Detections looked at again on each tick."""
        return len(self._pending)

    def handle(self, topic: str, payload: bytes) -> None:
        try:
            self._handle(topic, payload)
        finally:
            self.stats.received += 1  # counted once handled (tests wait on it)

    def _handle(self, topic: str, payload: bytes) -> None:
        try:
            message = parse_message(payload)
        except FrigateMessageError as exc:
            self.stats.malformed += 1
            log.warning("autocapture: %s: malformed message skipped: %s", topic, exc.reason)
            self._dead_letter(topic, exc)
            return
        detection = message.after
        if detection.camera not in self._cameras:
            return
        if detection.id in self._done:
            return
        if not self._consider(detection):
            self._forget(detection.id)
            return
        self._pending[detection.id] = (detection, self._clock())  # its latest state
        self._pending.move_to_end(detection.id)
        while len(self._pending) > MAX_PENDING:
            self._forget(next(iter(self._pending)))

    def tick(self) -> None:
        """Look again at every waiting detection, on the clock's time now."""
        now = self._clock()
        for frigate_id, (detection, heard) in list(self._pending.items()):
            if self._stop():
                return
            if now - heard > PENDING_MAX_AGE_S or not self._consider(detection):
                self._forget(frigate_id)

    # ── one detection ────────────────────────────────────────────────────
    def _consider(self, detection: FrigateObject) -> bool:
        """Make its case if a rule holds; whether to look at it again later."""
        local = datetime.fromtimestamp(self._clock(), self._zone)
        verdict = evaluate(detection, self._settings.rules, local)
        if verdict.matches:
            if self._capture(detection, verdict.matches, local):
                return False
            if detection.id not in self._held:
                self._held.add(detection.id)
                self.stats.held += 1
            # still there: the window may run out while it lasts
            return detection.end_time is None
        if verdict.final:
            log.debug("autocapture: Frigate event %s: %s", detection.id, "; ".join(verdict.reasons))
        return bool(verdict.waiting)

    def _capture(self, detection: FrigateObject, rules: tuple[Rule, ...], now: datetime) -> bool:
        """Write its case under the first rule whose window it can claim; False when every
        matching window is held by another detection's case."""
        captured = self._redis(partial(self._claims.captured, detection.id))
        if captured is None:
            return True  # stopping
        if captured:
            self._remember(detection.id)  # a case already (made before a restart)
            return True
        for rule in rules:
            claim = self._redis(
                partial(self._claims.claim, rule.frigate_camera, rule.zone, detection.id,
                        rule.window_s)
            )  # fmt: skip
            if claim is None:
                return True  # stopping
            if claim is Claim.HELD:
                continue
            try:
                event = case_event(detection, rule, now, self._settings.frigate_url, self._zone)
            except ValidationError as exc:
                log.error("autocapture: Frigate event %s makes no valid case: %s",
                          detection.id, validation_reason(exc))  # fmt: skip
                self._remember(detection.id)
                return True
            if not self._writer.write([event]):
                return True  # stopping: the claim makes it again after a restart (OURS)
            self._redis(partial(self._claims.mark_captured, detection.id, event.case_id))
            self._remember(detection.id)
            self.stats.cases += 1
            log.info(
                "autocapture: case %s (%s:%s) from Frigate %s event %s: %s in zone %s (%s)",
                event.case_id, rule.kind, rule.category, detection.camera, detection.id,
                detection.label, rule.zone, "replayed" if claim is Claim.OURS else "new",
            )  # fmt: skip
            return True
        return False

    # ── bookkeeping ──────────────────────────────────────────────────────
    def _forget(self, frigate_id: str) -> None:
        self._pending.pop(frigate_id, None)
        self._held.discard(frigate_id)

    def _remember(self, frigate_id: str) -> None:
        self._forget(frigate_id)
        self._done[frigate_id] = None
        while len(self._done) > MAX_DONE:
            self._done.popitem(last=False)

    def _redis(self, operation: Callable[[], T]) -> T | None:
        return retry_forever(operation, "autocapture", self._backoff, stop=self._stop)

    def _dead_letter(self, topic: str, error: FrigateMessageError) -> None:
        refused = Refused("", f"mqtt {topic}", error.reason, error.payload)
        try:
            write_refused(self._client, self._keys, [refused], source=DEADLETTER_SOURCE)
        except OUTAGE_ERRORS as exc:
            log.warning("autocapture: could not dead-letter the message (%s)", exc)
