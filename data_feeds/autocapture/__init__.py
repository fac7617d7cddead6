"""Smart auto-capture (智能算法自动抓拍): Frigate's detections, over MQTT, become video
cases on the cases stream by per-camera rules (zone, labels, dwell, working hours, one
case per window). Runs as its own process, ``citywall autocapture``; knows nothing of
the web tier."""

from data_feeds.autocapture.bridge import AutocaptureBridge
from data_feeds.autocapture.capture import Capturer, CaptureStats
from data_feeds.autocapture.settings import AutocaptureSettings, CameraPlace, MqttSettings, Rule

__all__ = [
    "AutocaptureBridge",
    "AutocaptureSettings",
    "CameraPlace",
    "CaptureStats",
    "Capturer",
    "MqttSettings",
    "Rule",
]
