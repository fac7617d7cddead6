"""``citywall autocapture``: smart auto-capture (智能算法自动抓拍) from Frigate.

Reads the config's ``autocapture`` section, turns it into the plain settings of
``data_feeds.autocapture`` (the rules' citywall cameras resolved to their names,
positions and grids; the hall's time zone) and runs the bridge until SIGTERM or
SIGINT. Imports no web tier.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.keys import Keys
from core.redis_url import connect, redacted
from wall.cli_common import (
    add_config_arg,
    add_redis_arg,
    load_or_report,
    redis_url,
    setup_logging,
    stop_on_signals,
)
from wall.config import WallConfig
from wall.config.autocapture import parse_hours

if TYPE_CHECKING:
    from data_feeds.autocapture import AutocaptureSettings


def add_commands(commands: Any) -> None:
    autocapture = commands.add_parser(
        "autocapture", help="turn Frigate's detections (MQTT) into video cases (智能抓拍)"
    )
    add_config_arg(autocapture)
    add_redis_arg(autocapture)
    autocapture.set_defaults(handler=_autocapture_command)


def autocapture_settings(config: WallConfig) -> AutocaptureSettings | None:
    """The bridge's settings from the config's ``autocapture`` section; None without one."""
    from data_feeds.autocapture import AutocaptureSettings, CameraPlace, MqttSettings, Rule

    spec = config.autocapture
    if spec is None:
        return None
    cameras = {camera.id: camera for camera in config.cameras.items}
    rules = []
    for rule in spec.rules:
        camera = cameras[rule.citywall_camera]  # the config's cross-check made sure
        kind, _, code = rule.category.partition(":")
        rules.append(
            Rule(
                frigate_camera=rule.camera,
                zone=rule.zone,
                kind="component" if kind == "component" else "event",
                category=code,
                labels=frozenset(rule.labels),
                camera=CameraPlace(camera.id, camera.name, camera.lat, camera.lon, camera.grid),
                min_score=rule.min_score,
                min_dwell_s=rule.min_dwell_s,
                stationary_counts=rule.stationary_counts,
                hours=parse_hours(rule.hours),
                window_s=spec.window_of(rule),
            )
        )
    mqtt = spec.mqtt
    return AutocaptureSettings(
        frigate_url=spec.frigate_url,
        rules=tuple(rules),
        timezone=config.wall.timezone,
        mqtt=MqttSettings(
            host=mqtt.host,
            port=mqtt.port,
            topic=mqtt.topic,
            client_id=mqtt.client_id,
            username=mqtt.username,
            password=mqtt.password,
            keepalive_s=mqtt.keepalive_s,
        ),
    )


def photo_origin(url: str) -> str:
    """scheme://host[:port] of a URL, as web.photo_origins lists origins."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _autocapture_command(args: argparse.Namespace) -> int:
    from data_feeds.autocapture import AutocaptureBridge

    config = load_or_report(args.config)
    if config is None:
        return 1
    settings = autocapture_settings(config)
    if settings is None:
        print(
            "citywall autocapture: the config has no autocapture section: nothing to do "
            "(docs/integration.md, 'Smart auto-capture from Frigate')",
            file=sys.stderr,
        )
        return 2
    origin = photo_origin(settings.frigate_url)
    if origin not in config.web.photo_origins:
        print(
            f"citywall autocapture: warning: {origin} is not in web.photo_origins: the "
            "screens will not load Frigate's snapshots (the cases are made all the same)",
            file=sys.stderr,
        )
    setup_logging()
    stopped = stop_on_signals()
    url = redis_url(config, args.redis_url)
    client = connect(url)
    bridge = AutocaptureBridge(
        settings, client, Keys(config.redis.prefix), replicas=config.redis.replicas_to_ack
    )
    mqtt = settings.mqtt
    print(
        f"autocapture: {len(settings.rules)} rule(s); Frigate's events from "
        f"mqtt://{mqtt.host}:{mqtt.port}/{mqtt.topic}; cases to {redacted(url)}",
        flush=True,
    )
    try:
        stats = bridge.run(stop=lambda: stopped[0])
    finally:
        client.close()
    print(f"autocapture: {stats}", flush=True)
    return 0
