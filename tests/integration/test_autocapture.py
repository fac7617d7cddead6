"""Smart auto-capture, end to end: Frigate-format messages published to a real mosquitto
broker, the real bridge subscribed to it, cases written to a real Redis and read back
from the cases stream. The bridge's clock is injected for the working hours, the dwell
and the window; everything else runs as in the hall. No fixed sleeps: every wait is a
condition with a deadline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
import redis
from paho.mqtt.enums import CallbackAPIVersion

from core.keys import Keys
from data_feeds.autocapture import AutocaptureBridge, AutocaptureSettings, MqttSettings, Rule
from data_feeds.autocapture.settings import CameraPlace
from data_feeds.events import CaseEvent, parse_entry
from data_feeds.redis_server import EmbeddedRedis
from testkit.citywall import citywall_command
from testkit.mosquitto import EmbeddedMosquitto
from tests.unit.config_cases import BASE

HALL = ZoneInfo("Asia/Shanghai")
FRIGATE = "http://10.20.0.30:5000"
TOPIC = "frigate/events"
PLACE = CameraPlace("XY-001", "文星路口", 28.69, 112.89, "4306240010101")
PARKING = Rule(
    frigate_camera="wenxing", zone="no_parking", kind="event", category="0504",
    labels=frozenset({"car"}), camera=PLACE, min_score=0.6, min_dwell_s=120,
    hours=(7 * 60, 22 * 60), window_s=600,
)  # fmt: skip
STOREFRONT = Rule(
    frigate_camera="wenxing", zone="storefront", kind="event", category="0501",
    labels=frozenset({"person"}), camera=PLACE, min_dwell_s=60, window_s=600,
)  # fmt: skip
DEADLINE_S = 20.0


class Clock:
    """The bridge's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()


def entries(client: redis.Redis, stream: str) -> list[dict[str, str]]:
    """A stream's entries, oldest first, as text."""
    raw = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(stream))
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in raw]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def frigate(kind: str, event_id: str, *, start: float, camera: str = "wenxing",
            label: str = "car", zones: tuple[str, ...] = ("no_parking",), score: float = 0.85,
            end: float | None = None, **extra: Any) -> bytes:  # fmt: skip
    """A frigate/events message as Frigate publishes it (the fields citywall ignores too)."""
    after = {
        "id": event_id, "camera": camera, "frame_time": start + 1, "label": label,
        "sub_label": None, "top_score": score, "score": score, "false_positive": False,
        "start_time": start, "end_time": end, "box": [424, 500, 536, 712], "area": 23744,
        "region": [264, 450, 667, 853], "current_zones": list(zones),
        "entered_zones": list(zones), "thumbnail": None, "has_snapshot": True,
        "has_clip": True, "stationary": False, "motionless_count": 0, "position_changes": 0,
        **extra,
    }  # fmt: skip
    return json.dumps({"type": kind, "before": dict(after), "after": after}).encode()


class Publisher:
    """Frigate's side: a real MQTT client publishing with QoS 1."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                                  client_id=f"frigate-test-{os.getpid()}")  # fmt: skip
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, *payloads: bytes) -> None:
        for payload in payloads:
            self.client.publish(TOPIC, payload, qos=1).wait_for_publish(timeout=DEADLINE_S)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Running:
    """The bridge in a thread, and what the test reads of it."""

    def __init__(self, bridge: AutocaptureBridge, client: redis.Redis) -> None:
        self.bridge = bridge
        self.client = client
        self.thread = threading.Thread(target=bridge.run, name="autocapture", daemon=True)
        self.thread.start()
        wait_for(bridge.subscribed.is_set, "the bridge to subscribe")

    def cases(self) -> list[CaseEvent]:
        events = [parse_entry("cases", e) for e in entries(self.client, Keys().cases_stream)]
        return [event for event in events if isinstance(event, CaseEvent)]

    def wait_cases(self, count: int) -> list[CaseEvent]:
        wait_for(lambda: len(self.cases()) >= count, f"{count} case(s)")
        return self.cases()

    def wait_handled(self, count: int) -> None:
        wait_for(lambda: self.bridge.stats.received >= count, f"{count} message(s) handled")

    def wait_ticks(self, more: int = 2) -> None:
        """Until the waiting detections were looked at again on the clock's time now."""
        target = self.bridge.ticks + more
        wait_for(lambda: self.bridge.ticks >= target, "the bridge's ticks")

    def stop(self) -> None:
        self.bridge.stop()
        self.thread.join(timeout=DEADLINE_S)
        assert not self.thread.is_alive(), "the bridge did not stop"


@pytest.fixture
def broker() -> Iterator[EmbeddedMosquitto]:
    with EmbeddedMosquitto() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 10, 0, tzinfo=HALL))


@pytest.fixture
def publisher(broker: EmbeddedMosquitto) -> Iterator[Publisher]:
    publisher = Publisher(broker.port)
    yield publisher
    publisher.close()


@pytest.fixture
def start_bridge(
    broker: EmbeddedMosquitto, redis_client: redis.Redis, clock: Clock
) -> Iterator[Callable[[], Running]]:
    started: list[Running] = []

    def start() -> Running:
        settings = AutocaptureSettings(
            frigate_url=FRIGATE, rules=(PARKING, STOREFRONT), timezone="Asia/Shanghai",
            mqtt=MqttSettings(port=broker.port, topic=TOPIC, client_id=f"bridge-{len(started)}"),
        )  # fmt: skip
        running = Running(AutocaptureBridge(settings, redis_client, clock=clock, tick_s=0.05),
                          redis_client)  # fmt: skip
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def test_one_detection_in_its_zone_long_enough_makes_exactly_one_case(
    start_bridge: Callable[[], Running], publisher: Publisher, clock: Clock
) -> None:
    running = start_bridge()
    began = clock.now - 10
    car = "1772416790.5-car001"
    publisher.send(frigate("new", car, start=began),
                   frigate("update", car, start=began, stationary=True))  # fmt: skip
    running.wait_handled(2)
    running.wait_ticks()
    assert running.cases() == []  # 10 s of 120: waiting

    clock.advance(115)  # tracked 125 s now: Frigate sent nothing, the bridge looks again
    (case,) = running.wait_cases(1)
    assert (case.event_id, case.status, case.kind, case.category) == (
        "frigate:1772416790.5-car001", "reported", "event", "0504",
    )  # fmt: skip
    assert (case.source, case.channel, case.v) == ("video", "camera", "2")
    assert (case.lat, case.lon, case.grid, case.address) == (
        28.69,
        112.89,
        PLACE.grid,
        "文星路口附近",
    )
    assert case.photos_before == [f"{FRIGATE}/api/events/1772416790.5-car001/snapshot.jpg"]
    assert case.description is not None
    assert all(said in case.description for said in ("car", "no_parking", "85%"))
    assert case.time == datetime.fromtimestamp(clock.now, HALL)

    updates = [frigate("update", "1772416790.5-car001", start=began, score=0.9)] * 3
    publisher.send(*updates, frigate("end", "1772416790.5-car001", start=began, end=clock.now))
    running.wait_handled(6)
    running.wait_ticks()
    assert len(running.cases()) == 1
    claim = cast(
        bytes | None, running.client.get(Keys().autocapture_claim("wenxing", "no_parking"))
    )
    assert claim is not None and claim.decode().endswith("|1772416790.5-car001")
    assert 0 < running.client.ttl(Keys().autocapture_claim("wenxing", "no_parking")) <= 600


def test_one_case_per_camera_and_zone_per_window(
    start_bridge: Callable[[], Running], publisher: Publisher, clock: Clock
) -> None:
    running = start_bridge()
    publisher.send(frigate("new", "a", start=clock.now - 200))
    running.wait_cases(1)
    publisher.send(frigate("new", "b", start=clock.now - 300),  # same zone, within the window
                   frigate("update", "b", start=clock.now - 300, score=0.95),
                   frigate("new", "p", start=clock.now - 90, label="person",
                           zones=("storefront",)))  # fmt: skip
    cases = running.wait_cases(2)  # the storefront is a window of its own
    assert [case.event_id for case in cases] == ["frigate:a", "frigate:p"]
    assert cases[1].category == "0501"
    publisher.send(frigate("end", "b", start=clock.now - 300, end=clock.now))
    running.wait_handled(5)
    running.wait_ticks()
    assert len(running.cases()) == 2
    assert running.bridge.stats.held == 1

    clock.advance(601)  # the window has passed
    publisher.send(frigate("new", "c", start=clock.now - 150))
    cases = running.wait_cases(3)
    assert cases[2].event_id == "frigate:c"
    running.wait_ticks()
    assert len(running.cases()) == 3


def test_detections_that_make_no_case(
    start_bridge: Callable[[], Running], publisher: Publisher, clock: Clock
) -> None:
    clock.set(datetime(2026, 3, 1, 23, 0, tzinfo=HALL))  # after the working hours (07-22)
    running = start_bridge()
    publisher.send(frigate("new", "night", start=clock.now - 600))
    running.wait_handled(1)
    running.wait_ticks()
    publisher.send(frigate("end", "night", start=clock.now - 600, end=clock.now))
    running.wait_handled(2)

    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=HALL))
    now = clock.now
    publisher.send(
        frigate("new", "short", start=now - 30),
        frigate("end", "short", start=now - 30, end=now - 5),  # left after 25 s of 120
        frigate("new", "nowhere", start=now - 600, zones=()),
        frigate("new", "elsewhere", start=now - 600, zones=("road",)),
        frigate("new", "left", start=now - 600, zones=("road",), entered_zones=["no_parking"]),
        frigate("new", "ghost", start=now - 600, false_positive=True),
        frigate("new", "bike", start=now - 600, label="bicycle"),
        frigate("new", "unsure", start=now - 600, score=0.4),
        frigate("new", "other-camera", start=now - 600, camera="gate"),
    )
    running.wait_handled(11)
    running.wait_ticks()
    assert running.cases() == []
    publisher.send(frigate("new", "parked", start=now - 600))  # and the bridge reads on
    (case,) = running.wait_cases(1)
    assert case.event_id == "frigate:parked"


def test_malformed_messages_are_dead_lettered_and_the_bridge_reads_on(
    start_bridge: Callable[[], Running], publisher: Publisher, clock: Clock
) -> None:
    running = start_bridge()
    publisher.send(b"{not json", json.dumps({"type": "update"}).encode(), b"\xff\xfe",
                   frigate("new", "good", start=clock.now - 600))  # fmt: skip
    (case,) = running.wait_cases(1)
    assert case.event_id == "frigate:good"
    assert running.bridge.stats.malformed == 3
    dead = entries(running.client, Keys().deadletter)
    assert [entry["source"] for entry in dead] == ["frigate"] * 3
    assert [entry["entry_id"] for entry in dead] == [f"mqtt {TOPIC}"] * 3
    assert dead[0]["reason"].startswith("not JSON")
    assert dead[1]["reason"] == "after: Field required (got {'type': 'update'})"
    assert dead[1]["payload.type"] == "update"  # the message, field by field


def test_a_replay_after_a_restart_makes_nothing_new(
    start_bridge: Callable[[], Running], publisher: Publisher, clock: Clock
) -> None:
    first = start_bridge()
    publisher.send(frigate("new", "kept", start=clock.now - 600))
    first.wait_cases(1)
    first.stop()

    # A bridge that claimed the window for "crashed" and died before writing its case:
    keys = Keys()
    first.client.set(keys.autocapture_claim("wenxing", "storefront"),
                     f"{int(clock.now * 1000)}|crashed", ex=600)  # fmt: skip
    second = start_bridge()  # nothing in memory: Redis remembers
    publisher.send(frigate("update", "kept", start=clock.now - 600, score=0.99),
                   frigate("update", "crashed", start=clock.now - 90, label="person",
                           zones=("storefront",)))  # fmt: skip
    cases = second.wait_cases(2)
    assert [case.event_id for case in cases] == ["frigate:kept", "frigate:crashed"]
    second.wait_handled(2)
    second.wait_ticks()
    assert len(second.cases()) == 2


def test_the_bridge_reconnects_after_the_broker_restarts(
    start_bridge: Callable[[], Running], broker: EmbeddedMosquitto, clock: Clock
) -> None:
    running = start_bridge()
    broker.stop()
    wait_for(lambda: not running.bridge.subscribed.is_set(), "the bridge to notice")
    broker.start()  # same port
    wait_for(running.bridge.subscribed.is_set, "the bridge to subscribe again", timeout=40)
    publisher = Publisher(broker.port)
    try:
        publisher.send(frigate("new", "after-restart", start=clock.now - 600))
        (case,) = running.wait_cases(1)
    finally:
        publisher.close()
    assert case.event_id == "frigate:after-restart"


def test_citywall_autocapture_runs_from_the_config_until_sigterm(
    broker: EmbeddedMosquitto, redis_server: EmbeddedRedis, redis_client: redis.Redis,
    publisher: Publisher, tmp_path: Path,
) -> None:  # fmt: skip
    config = tmp_path / "wall_config.yaml"
    config.write_text(BASE + f"""\
autocapture:
  frigate_url: {FRIGATE}
  mqtt: {{port: {broker.port}}}
  rules:
    - {{camera: wenxing, citywall_camera: XY-001, zone: no_parking, category: "event:0504",
        labels: [car], min_dwell_s: 60}}
""", encoding="utf-8")  # fmt: skip
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [citywall_command(), "autocapture", "--config", str(config),
             "--redis-url", redis_server.url],
            stdout=stdout, stderr=stderr, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(lambda: "autocapture: following" in err.read_text(), "the command to subscribe")
        assert "1 rule(s)" in out.read_text()
        assert f"warning: {FRIGATE} is not in web.photo_origins" in err.read_text()
        publisher.send(frigate("new", "real-clock", start=time.time() - 300))
        wait_for(lambda: redis_client.xlen(Keys().cases_stream) == 1, "the case")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=DEADLINE_S) == 0, err.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert out.read_text().splitlines()[-1].startswith("autocapture: 1 message(s), 1 case(s)")
    (fields,) = entries(redis_client, Keys().cases_stream)
    event = parse_entry("cases", fields)
    assert isinstance(event, CaseEvent) and event.event_id == "frigate:real-clock"
