"""The MQTT side: subscribe to Frigate's ``frigate/events`` (paho-mqtt 2.x) and hand
each message to the ``Capturer``, in this thread, one at a time.

paho's network thread connects, and reconnects after a broker restart or a network
fault with an exponential backoff (``RECONNECT_MIN_S`` doubling up to
``RECONNECT_MAX_S``), subscribing again each time; its callbacks only queue messages,
so a slow Redis never stalls the MQTT keep-alive. ``run`` returns once ``stop()`` turns
true (``citywall autocapture`` sets it on SIGTERM or SIGINT): it finishes the message
in hand, disconnects cleanly and stops the network thread.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Final

import paho.mqtt.client as mqtt
import redis
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from core.keys import Keys
from data_feeds.autocapture.capture import Capturer, CaptureStats
from data_feeds.autocapture.settings import AutocaptureSettings

log = logging.getLogger(__name__)

RECONNECT_MIN_S: Final = 1
RECONNECT_MAX_S: Final = 30
TICK_S: Final = 0.5  # how often waiting detections are looked at again
QUEUE_MAX: Final = 10_000  # messages received and not yet handled
SUBSCRIBE_QOS: Final = 1


def default_client_id() -> str:
    return f"citywall-autocapture-{socket.gethostname()}-{os.getpid()}"[:64]


class AutocaptureBridge:
    def __init__(
        self,
        settings: AutocaptureSettings,
        client: redis.Redis,
        keys: Keys | None = None,
        *,
        clock: Callable[[], float] = time.time,
        replicas: int = 0,
        tick_s: float = TICK_S,
    ) -> None:
        self.settings = settings
        self.subscribed = threading.Event()  # connected, and subscribed to the topic
        self._tick_s = tick_s
        self._queue: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize=QUEUE_MAX)
        self._stop_requested = threading.Event()
        self._external_stop: Callable[[], bool] = lambda: False
        self._failed_connects = 0
        self.ticks = 0  # times the waiting detections were looked at again
        self._capturer = Capturer(settings, client, keys or Keys(), clock=clock,
                                  stop=self._stopping, replicas=replicas)  # fmt: skip

    @property
    def stats(self) -> CaptureStats:
        return self._capturer.stats

    def stop(self) -> None:
        """Ask ``run`` to return (from another thread)."""
        self._stop_requested.set()

    def run(self, stop: Callable[[], bool] = lambda: False) -> CaptureStats:
        """Follow the topic until ``stop()`` (or ``self.stop()``); the counts of what came."""
        self._external_stop = stop
        settings = self.settings.mqtt
        client = self._mqtt_client()
        client.connect_async(settings.host, settings.port, keepalive=settings.keepalive_s)
        client.loop_start()
        next_tick = time.monotonic() + self._tick_s
        try:
            while not self._stopping():
                try:
                    topic, payload = self._queue.get(timeout=max(0.0, next_tick - time.monotonic()))
                except queue.Empty:
                    pass
                else:
                    self._capturer.handle(topic, payload)
                if time.monotonic() >= next_tick:
                    self._capturer.tick()
                    self.ticks += 1
                    next_tick = time.monotonic() + self._tick_s
        finally:
            self._stop_requested.set()
            client.disconnect()
            client.loop_stop()
            self.subscribed.clear()
        log.info("autocapture: stopped: %s", self.stats)
        return self.stats

    def _stopping(self) -> bool:
        return self._stop_requested.is_set() or self._external_stop()

    # ── paho-mqtt ────────────────────────────────────────────────────────
    def _mqtt_client(self) -> mqtt.Client:
        settings = self.settings.mqtt
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=settings.client_id or default_client_id(),
            clean_session=True,
        )
        if settings.username is not None:
            client.username_pw_set(settings.username, settings.password)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        return client

    def _where(self) -> str:
        settings = self.settings.mqtt
        return f"mqtt://{settings.host}:{settings.port}/{settings.topic}"

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.warning("autocapture: %s refused the connection: %s", self._where(), reason)
            return
        if self._failed_connects:
            log.warning("autocapture: %s is back after %d failed attempt(s)",
                        self._where(), self._failed_connects)  # fmt: skip
        self._failed_connects = 0
        client.subscribe(self.settings.mqtt.topic, qos=SUBSCRIBE_QOS)

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._failed_connects += 1
        if self._failed_connects == 1 or self._failed_connects % 10 == 0:
            log.warning("autocapture: cannot reach %s (attempt %d); retrying with backoff",
                        self._where(), self._failed_connects)  # fmt: skip

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [reason for reason in reasons if reason.is_failure]
        if refused:
            log.error("autocapture: %s: subscription refused: %s", self._where(), refused[0])
            return
        log.info("autocapture: following %s", self._where())
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self._queue.put_nowait((message.topic, bytes(message.payload)))
        except queue.Full:
            self.stats.dropped += 1
            if self.stats.dropped == 1 or self.stats.dropped % 1000 == 0:
                log.warning("autocapture: %d message(s) dropped: they come faster than "
                            "cases are written", self.stats.dropped)  # fmt: skip

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.subscribed.clear()
        if not self._stopping():
            log.warning("autocapture: lost %s (%s); reconnecting with backoff",
                        self._where(), reason)  # fmt: skip
