"""Every Redis key and stream citywall uses, in one place, under one prefix
(``DEFAULT_PREFIX``, ``citywall:``, unless the config's ``redis.prefix`` says
otherwise). Nothing else builds a key: the aggregator's Lua script receives its keys
from here, the web tier, the relay and the CLI read them from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeGuard, get_args

DEFAULT_PREFIX: Final = "citywall:"
# The input streams, one per kind of event (data_feeds.events has a model for each).
StreamName = Literal["cases", "officers", "hotline", "approvals", "cameras"]
STREAMS: Final[tuple[StreamName, ...]] = get_args(StreamName)
CASES_STREAM: Final[StreamName] = "cases"  # the one the web tier reads too (alarms)

AGGREGATOR_GROUP: Final = "aggregator"  # the consumer group that applies the input streams
ALARM_GROUP: Final = "alarms"  # the web tier's alarm watchers, on the cases stream
UPDATES_MAXLEN: Final = 10_000  # entries kept in the updates stream (approximately)
DEADLETTER_MAXLEN: Final = 100_000


def is_stream(name: str) -> TypeGuard[StreamName]:
    """``name`` is one of the input streams (for names that come from outside)."""
    return name in STREAMS


@dataclass(frozen=True)
class Keys:
    prefix: str = DEFAULT_PREFIX

    def stream(self, name: StreamName) -> str:
        """An input stream: cases, officers, hotline, approvals, cameras."""
        if not is_stream(name):  # a caller that was not type-checked
            raise KeyError(f"unknown stream {name!r} (streams: {', '.join(STREAMS)})")
        return self.prefix + name

    @property
    def streams(self) -> dict[StreamName, str]:
        return {name: self.prefix + name for name in STREAMS}

    @property
    def cases_stream(self) -> str:
        """The cases stream: the aggregator applies it, the web tier's alarm watchers
        read it too."""
        return self.stream(CASES_STREAM)

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

    @property
    def web_heartbeat_prefix(self) -> str:
        """Each web process's heartbeat is ``<this><worker>`` (core.web_heartbeat)."""
        return self.prefix + "heartbeat:web:"

    def web_heartbeat(self, worker: str) -> str:
        """Set by a web process's live hub every few seconds, expiring: ``citywall
        status`` lists the web workers that are alive from these."""
        return self.web_heartbeat_prefix + worker

    @property
    def case_prefix(self) -> str:
        """A case's hash is ``<this><case id>``."""
        return self.prefix + "case:"

    def case(self, case_id: str) -> str:
        return self.case_prefix + case_id

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
    def approvals_published(self) -> str:
        """Approvals published (审批公示), scored by time: "<service>|<application id>"
        (data_feeds.approvals_published), the last 31 days."""
        return self.prefix + "approvals:published"

    @property
    def officers(self) -> str:
        return self.prefix + "state:officers"

    @property
    def positions(self) -> str:
        """officer -> "lat,lon,ms,grid": the last fix."""
        return self.prefix + "state:positions"

    @property
    def trail_prefix(self) -> str:
        return self.prefix + "trail:"

    def trail(self, officer_id: str) -> str:
        """The officer's last fixes, newest first ("lat,lon,ms"), a capped list."""
        return self.trail_prefix + officer_id

    @property
    def checkins_prefix(self) -> str:
        return self.prefix + "checkins:"

    def checkins(self, day: str) -> str:
        """The officers who checked in on a local day, ``YYYYMMDD`` (a set)."""
        return self.checkins_prefix + day

    @property
    def cameras(self) -> str:
        return self.prefix + "state:cameras"

    @property
    def kpi_prefix(self) -> str:
        return self.prefix + "kpi:"

    def kpi_bucket(self, hour: str) -> str:
        """Counters of one local hour, ``YYYYMMDDHH``."""
        return self.kpi_prefix + hour

    # ── counters the aggregator keeps beside the state ─────────────────────
    @property
    def officers_online(self) -> str:
        """How many officers are not offline (a gauge kept by the apply script)."""
        return self.prefix + "officers:online"

    @property
    def cameras_offline(self) -> str:
        return self.prefix + "cameras:offline"

    def seen_prefix(self, stream: StreamName) -> str:
        """Event ids of ``stream`` already counted (hotline, approvals): ``<this><event id>``."""
        return self.prefix + "seen:" + stream + ":"

    @property
    def maintenance_lock(self) -> str:
        """Held by the one aggregator trimming streams and expiring old state."""
        return self.prefix + "lock:maintenance"

    # ── the web tier's shared build (wall.live.shared), per build group ──────
    def live_builder(self, group: str) -> str:
        """The lease of the one web worker that builds the live parts."""
        return f"{self.prefix}live:{group}:builder"

    def live_frames(self, group: str) -> str:
        """The builder's frames (keyed deltas), followed by every other web worker."""
        return f"{self.prefix}live:{group}:frames"

    def live_full(self, group: str) -> str:
        """tile id -> every part of it as the builder last published (for joiners)."""
        return f"{self.prefix}live:{group}:full"

    # ── the video relay ───────────────────────────────────────────────────
    @property
    def relay_cameras(self) -> str:
        """camera -> the relay's own view of it (connecting included, last error)."""
        return self.prefix + "relay:cameras"

    @property
    def relay_nodes(self) -> str:
        """node id -> the relay node's heartbeat (core.relay_nodes.RelayNode as JSON)."""
        return self.prefix + "relay:nodes"

    # ── the web tier: sign-in, audit, evidence ─────────────────────────────
    @property
    def session_secret(self) -> str:
        """The generated session key shared by the web processes (core.secrets)."""
        return self.prefix + "auth:secret"

    @property
    def relay_key(self) -> str:
        """The generated key the web tier signs viewer/snapshot tokens with, the relay checks."""
        return self.prefix + "auth:relay-key"

    @property
    def devices(self) -> str:
        """The wall PCs' device tokens (hashes only)."""
        return self.prefix + "auth:devices"

    @property
    def api_keys(self) -> str:
        """Other systems' API keys for ``POST /api/v1/events`` (hashes only)."""
        return self.prefix + "auth:api-keys"

    @property
    def terminals(self) -> str:
        """Officers' handheld terminals (OsmAnd): device, officer, token hash."""
        return self.prefix + "auth:terminals"

    def ingest_seen(self, stream: StreamName, event_id: str) -> str:
        """Set when the HTTP API accepted an event id on a stream: a repeat is told apart."""
        return f"{self.prefix}ingest:seen:{stream}:{event_id}"

    @property
    def audit(self) -> str:
        """Every operator and admin action: who, what, before, after."""
        return self.prefix + "audit"

    @property
    def snapshots(self) -> str:
        """Evidence snapshots taken (never trimmed: the retention sweep deletes entries)."""
        return self.prefix + "snapshots"

    def case_evidence(self, case_id: str) -> str:
        """A case's evidence: "<kind>:<id>" (snapshot, clip) -> its record as JSON."""
        return self.prefix + "evidence:case:" + case_id

    @property
    def clips(self) -> str:
        """Evidence clips saved (never trimmed: the retention sweep deletes entries)."""
        return self.prefix + "clips"

    @property
    def clips_recording(self) -> str:
        """clip id -> the recording under way on a relay (JSON), until it is saved."""
        return self.prefix + "clips:recording"

    @property
    def snapshot_sweep_lock(self) -> str:
        """Held by the one web process sweeping expired snapshots this hour."""
        return self.prefix + "lock:snapshot-sweep"

    # ── the wall state operators change ────────────────────────────────────
    @property
    def wall_views(self) -> str:
        """camera tile id -> what it shows (cameras, a running tour)."""
        return self.prefix + "wall:views"

    @property
    def wall_tours(self) -> str:
        return self.prefix + "wall:tours"

    @property
    def wall_presets(self) -> str:
        return self.prefix + "wall:presets"

    @property
    def wall_alarm(self) -> str:
        return self.prefix + "wall:alarm"

    @property
    def wall_highlight(self) -> str:
        """The case an operator shows on the wall's e-maps (expiring)."""
        return self.prefix + "wall:highlight"

    def alarm_seen(self, case_id: str) -> str:
        """Claimed by the first watcher to pop a case up, so a repeat does not."""
        return self.prefix + "wall:alarm:case:" + case_id

    # ── smart auto-capture from Frigate (data_feeds.autocapture) ────────────
    def autocapture_claim(self, camera: str, zone: str) -> str:
        """Claimed (SET NX EX, the rule's window) by the detection in a Frigate camera's
        zone that became a case: no other case from there until it expires."""
        return f"{self.prefix}autocapture:claim:{camera}:{zone}"

    def autocapture_captured(self, frigate_event: str) -> str:
        """Set once a Frigate event became a case: its later messages make no other."""
        return f"{self.prefix}autocapture:event:{frigate_event}"
