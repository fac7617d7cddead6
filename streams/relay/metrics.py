"""The relay's numbers for Prometheus (``GET /metrics``), with prometheus_client.

Every value is read from the hub and the open sessions when Prometheus asks (a
collector: no bookkeeping on the video path), into a registry of the app's own.
Gauges say what runs now, counters count since the relay started; a camera appears
once it was used, a viewer while its session is open.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from streams.relay.hub import UpstreamStats

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
# Why a viewer's packets (each one access unit: a frame) were dropped (RelayTrack).
DROP_REASONS: Final = ("before_keyframe", "too_slow", "switch")


@dataclass(frozen=True, slots=True)
class ViewerStats:
    """One open WHEP session: what it is sent and what it lost."""

    viewer: str  # the session's number at this relay (never its id: that is a capability)
    camera_id: str
    stream: str
    packets_sent: int
    bytes_sent: int
    queued: int
    dropped: Mapping[str, int]  # reason (DROP_REASONS) -> packets
    fell_behind: int  # times its queue overflowed and it skipped to the next keyframe


class RelayView(Protocol):
    """What the collector reads (``whep.Sessions``)."""

    def upstreams(self) -> Sequence[UpstreamStats]: ...

    def viewers(self) -> Sequence[ViewerStats]: ...

    def bytes_sent(self) -> Mapping[str, int]: ...

    def dropped_total(self) -> Mapping[str, int]:
        """Packets dropped by every viewer since start, closed sessions included."""
        ...

    def cameras(self) -> int: ...


class RelayCollector(Collector):
    def __init__(self, view: RelayView) -> None:
        self._view = view

    def collect(self) -> Iterator[Metric]:
        stats = list(self._view.upstreams())
        viewers = list(self._view.viewers())
        yield from _upstream_metrics(stats, len(viewers), self._view.cameras())
        yield from _viewer_metrics(viewers, self._view.dropped_total())
        sent = CounterMetricFamily(
            "citywall_relay_bytes_sent",
            "H.264 bytes handed to viewers' connections.",
            labels=["camera"],
        )
        for camera_id, count in sorted(self._view.bytes_sent().items()):
            sent.add_metric([camera_id], count)
        yield sent


def _upstream_metrics(stats: list[UpstreamStats], sessions: int, cameras: int) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "citywall_relay_sessions", "WHEP sessions (peer connections) open.", value=sessions
    )
    yield GaugeMetricFamily(
        "citywall_relay_upstreams",
        "Camera streams being pulled.",
        value=sum(s.running for s in stats),
    )
    yield GaugeMetricFamily(
        "citywall_relay_cameras", "Cameras this relay is configured with.", value=cameras
    )
    labels = ["camera", "stream"]
    viewers = GaugeMetricFamily(
        "citywall_relay_viewers", "Viewers per camera stream being pulled.", labels=labels
    )
    online = GaugeMetricFamily(
        "citywall_relay_upstream_online",
        "Whether a pulled camera stream delivers video.",
        labels=labels,
    )
    failing = GaugeMetricFamily(
        "citywall_relay_upstream_failures",
        "Failures in a row of a pulled camera stream (0 once it delivers again).",
        labels=labels,
    )
    for s in stats:
        if s.running or s.viewers:
            viewers.add_metric([s.camera_id, s.stream], s.viewers)
        if s.running:
            online.add_metric([s.camera_id, s.stream], int(s.state == "online"))
            failing.add_metric([s.camera_id, s.stream], s.failures)
    yield from (viewers, online, failing)
    counters = (
        ("reconnects", "Reconnects to a camera stream after a failure.", "reconnects"),
        ("upstream_opens", "Times a camera stream was opened (first pull and reconnects).",
         "opens"),
        ("bytes_received", "H.264 bytes received from cameras.", "bytes_received"),
        ("packets_received", "H.264 access units (frames) received from cameras.",
         "packets_received"),
    )  # fmt: skip
    for name, help_text, field in counters:
        family = CounterMetricFamily(f"citywall_relay_{name}", help_text, labels=labels)
        for s in stats:
            if s.opens:
                family.add_metric([s.camera_id, s.stream], getattr(s, field))
        yield family


def _viewer_metrics(viewers: list[ViewerStats], dropped: Mapping[str, int]) -> Iterator[Metric]:
    total = CounterMetricFamily(
        "citywall_relay_packets_dropped",
        "Packets (frames) dropped for viewers since start, closed sessions included, by "
        "reason: before_keyframe (waiting for an IDR to start on), too_slow (the viewer's "
        "queue overflowed: it skips to the next IDR), switch (queued for the camera it left).",
        labels=["reason"],
    )
    for reason in DROP_REASONS:
        total.add_metric([reason], dropped.get(reason, 0))
    yield total
    camera = GaugeMetricFamily(
        "citywall_relay_viewer_camera",
        "1 for the camera stream each open session (viewer) is sent now.",
        labels=["viewer", "camera", "stream"],
    )
    sent = CounterMetricFamily(
        "citywall_relay_viewer_packets_sent",
        "Packets (frames) sent to an open session.",
        labels=["viewer"],
    )
    lost = CounterMetricFamily(
        "citywall_relay_viewer_packets_dropped",
        "Packets (frames) dropped for an open session, by reason (as "
        "citywall_relay_packets_dropped_total).",
        labels=["viewer", "reason"],
    )
    behind = CounterMetricFamily(
        "citywall_relay_viewer_fell_behind",
        "Times an open session's queue overflowed (too slow: it skipped to the next IDR).",
        labels=["viewer"],
    )
    queued = GaugeMetricFamily(
        "citywall_relay_viewer_queued_packets",
        "Packets waiting to be sent to an open session.",
        labels=["viewer"],
    )
    for v in viewers:
        camera.add_metric([v.viewer, v.camera_id, v.stream], 1)
        sent.add_metric([v.viewer], v.packets_sent)
        for reason in DROP_REASONS:
            lost.add_metric([v.viewer, reason], v.dropped.get(reason, 0))
        behind.add_metric([v.viewer], v.fell_behind)
        queued.add_metric([v.viewer], v.queued)
    yield from (camera, sent, lost, behind, queued)


def relay_registry(view: RelayView) -> CollectorRegistry:
    """A registry of the relay's own (several relays may run in one process: the tests)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(RelayCollector(view))
    ProcessCollector(registry=registry)
    return registry


def render_metrics(registry: CollectorRegistry) -> bytes:
    """The text exposition of ``registry`` (``CONTENT_TYPE``)."""
    return generate_latest(registry)
