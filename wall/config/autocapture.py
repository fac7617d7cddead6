"""The ``autocapture`` section: smart auto-capture (智能算法自动抓拍) from Frigate's
detections. Pure data: ``citywall autocapture`` turns it into the plain settings of
``data_feeds.autocapture``. Absent (the default): no auto-capture. The rules' citywall
cameras are checked against the inventory in ``cross_checks``."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from data_feeds import catalog
from wall.config.base import StrictModel
from wall.config.sections import CAMERA_ID_PATTERN

# Frigate's camera and zone names: URL safe, as Frigate itself requires.
FRIGATE_NAME: Final = r"^[A-Za-z0-9_-]{1,64}$"
HOURS: Final = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$")


def parse_hours(value: str) -> tuple[int, int]:
    """'07:00-22:00' → (420, 1320), minutes of the day; '24:00' ends the day."""
    match = HOURS.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not HH:MM-HH:MM (e.g. 07:00-22:00, 00:00-24:00)")
    start, end = value.split("-")
    minutes = [int(part[:2]) * 60 + int(part[3:]) for part in (start, end)]
    if minutes[0] == minutes[1]:
        raise ValueError(f"{value!r} is empty: start and end are the same")
    return minutes[0], minutes[1]


class MqttSpec(StrictModel):
    """The MQTT broker Frigate publishes to."""

    host: str = Field(
        default="127.0.0.1", min_length=1, description="Host name or address of the broker."
    )
    port: int = Field(default=1883, ge=1, le=65535, description="The broker's port.")
    topic: str = Field(
        default="frigate/events",
        min_length=1,
        description="Frigate's events topic: <Frigate's mqtt.topic_prefix>/events.",
    )
    username: str | None = Field(
        default=None, min_length=1, description="User name, if the broker wants one."
    )
    password: str | None = Field(
        default=None,
        min_length=1,
        description="Its password; write ${FRIGATE_MQTT_PASSWORD} and keep it in the "
        "environment file rather than here.",
    )
    client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="MQTT client id. Default: citywall-autocapture-<host>-<pid> (two "
        "clients with one id put each other off the broker).",
    )
    keepalive_s: int = Field(
        default=30, ge=5, le=600, description="Seconds between keep-alive pings."
    )


class AutocaptureRule(StrictModel):
    """A zone of a Frigate camera → a case category: which detections there make a case."""

    camera: str = Field(pattern=FRIGATE_NAME, description="Frigate's name of the camera.")
    citywall_camera: str = Field(
        pattern=CAMERA_ID_PATTERN,
        description="The citywall camera (cameras.items) it is: the case is put at its "
        "position and grid, its address is '<camera name>附近'.",
    )
    zone: str = Field(
        pattern=FRIGATE_NAME,
        description="The Frigate zone of that camera; an object counts while it is in it "
        "(current_zones). One rule per camera and zone.",
    )
    category: str = Field(
        description="The case's category as kind:code (data_feeds/catalog.py), e.g. "
        "event:0501 出店经营, event:0502 无照经营游商, event:0503 乱挂乱晒, event:0504 "
        "违章停车, event:0101 暴露垃圾.",
    )
    labels: list[str] = Field(
        min_length=1,
        description="Frigate labels that count, e.g. [car] for 违章停车, [person] for 出店经营.",
    )
    min_score: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Lowest top score (0-1) that counts; Frigate's own thresholds apply first.",
    )
    min_dwell_s: float = Field(
        default=60,
        ge=0,
        le=86400,
        description="Seconds the object must have been tracked (now - Frigate's start_time) "
        "before it makes a case; a detection short of it is looked at again every half "
        "second while it lasts.",
    )
    stationary_counts: bool = Field(
        default=False,
        description="Also count an object Frigate calls stationary as having dwelt long "
        "enough, whatever its time so far (a parked car).",
    )
    hours: str = Field(
        default="00:00-24:00",
        description="Working hours in the hall's time zone (wall.timezone), HH:MM-HH:MM, "
        "e.g. 07:00-22:00; 22:00-06:00 runs over midnight. Outside them: no case.",
    )
    window_s: int | None = Field(
        default=None,
        ge=1,
        le=86400,
        description="One case per camera and zone within this many seconds; default the "
        "section's window_s.",
    )

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        kind, _, code = value.partition(":")
        if catalog.category(kind, code) is None:
            raise ValueError(
                f"unknown category {value!r} (kind:code as in data_feeds/catalog.py, "
                "e.g. event:0504 违章停车)"
            )
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"[A-Za-z0-9_ -]{1,64}", value):
                raise ValueError(f"{value!r} is not a Frigate label (e.g. car, person)")
        return values


class AutocaptureSpec(StrictModel):
    """Smart auto-capture (智能算法自动抓拍) from Frigate's detections (citywall autocapture).

    Frigate's detections over MQTT become video cases by per-camera rules."""

    frigate_url: str = Field(
        description="Frigate's HTTP address as the wall's screens reach it, e.g. "
        "http://10.20.0.30:5000: a case's photo is <frigate_url>/api/events/<id>/snapshot.jpg "
        "(list its origin in web.photo_origins so the screens may load it).",
    )
    mqtt: MqttSpec = Field(default_factory=MqttSpec, description="The broker Frigate uses.")
    window_s: int = Field(
        default=600,
        ge=1,
        le=86400,
        description="One case per camera and zone within this many seconds (each rule "
        "may set its own).",
    )
    rules: list[AutocaptureRule] = Field(
        min_length=1, description="Which detections become cases, per camera and zone."
    )

    @field_validator("frigate_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL (e.g. http://10.20.0.30:5000)")
        if parts.query or parts.fragment or any(char.isspace() for char in value):
            raise ValueError(f"{value!r}: no query, fragment or spaces")
        return value.rstrip("/")

    def window_of(self, rule: AutocaptureRule) -> int:
        return rule.window_s if rule.window_s is not None else self.window_s
