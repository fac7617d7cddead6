"""What the auto-capture bridge runs on, as plain data: the broker, Frigate's address,
the hall's time zone and the rules. ``citywall autocapture`` builds it from the wall
config's ``autocapture`` section; nothing here reads a config file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from data_feeds.catalog import CaseKind

DAY_MINUTES: Final = 24 * 60
ALL_DAY: Final = (0, DAY_MINUTES)


@dataclass(frozen=True)
class CameraPlace:
    """The citywall camera a Frigate camera is: where its cases are put."""

    id: str
    name: str  # the road or intersection: the case's address is "<name>附近"
    lat: float
    lon: float
    grid: str


@dataclass(frozen=True)
class Rule:
    """A detection in ``zone`` of Frigate camera ``frigate_camera`` becomes a case of
    ``kind``/``category`` when its label is listed, its top score reaches
    ``min_score``, it has been tracked ``min_dwell_s`` (or is stationary, when
    ``stationary_counts``) and the hall's local time is within ``hours``; then no
    other case comes from that camera and zone for ``window_s`` seconds."""

    frigate_camera: str
    zone: str
    kind: CaseKind  # "event" or "component"
    category: str  # 4 digits, data_feeds.catalog
    labels: frozenset[str]
    camera: CameraPlace
    min_score: float = 0.0
    min_dwell_s: float = 0.0
    stationary_counts: bool = False
    hours: tuple[int, int] = ALL_DAY  # minutes of the local day, [start, end); wraps if start > end
    window_s: int = 600


@dataclass(frozen=True)
class MqttSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    topic: str = "frigate/events"
    client_id: str | None = None  # None: citywall-autocapture-<host>-<pid>
    username: str | None = None
    password: str | None = None
    keepalive_s: int = 30


@dataclass(frozen=True)
class AutocaptureSettings:
    frigate_url: str  # e.g. http://10.20.0.30:5000, no trailing slash
    rules: tuple[Rule, ...]
    timezone: str = "Asia/Shanghai"
    mqtt: MqttSettings = MqttSettings()
