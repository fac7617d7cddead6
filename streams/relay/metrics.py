"""The relay's numbers in Prometheus' text format (version 0.0.4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from streams.relay.hub import UpstreamStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(
    upstreams: Iterable[UpstreamStats], sessions: int, bytes_sent: Mapping[str, int]
) -> str:
    """Gauges for what runs now, counters since start; a camera appears once it was used."""
    stats = list(upstreams)
    lines = [
        "# HELP citywall_relay_sessions WHEP sessions (peer connections) open.",
        "# TYPE citywall_relay_sessions gauge",
        f"citywall_relay_sessions {sessions}",
        "# HELP citywall_relay_upstreams Camera streams being pulled.",
        "# TYPE citywall_relay_upstreams gauge",
        f"citywall_relay_upstreams {sum(s.running for s in stats)}",
        "# HELP citywall_relay_viewers Viewers per camera stream being pulled.",
        "# TYPE citywall_relay_viewers gauge",
    ]
    for s in stats:
        if s.running or s.viewers:
            labels = f'camera="{_label(s.camera_id)}",stream="{s.stream}"'
            lines.append(f"citywall_relay_viewers{{{labels}}} {s.viewers}")
    lines += [
        "# HELP citywall_relay_upstream_online Whether a pulled camera stream delivers video.",
        "# TYPE citywall_relay_upstream_online gauge",
    ]
    for s in stats:
        if s.running:
            labels = f'camera="{_label(s.camera_id)}",stream="{s.stream}"'
            lines.append(f"citywall_relay_upstream_online{{{labels}}} {int(s.state == 'online')}")
    counters = (
        ("reconnects_total", "Reconnects to a camera stream after a failure.", "reconnects"),
        ("bytes_received_total", "H.264 bytes received from cameras.", "bytes_received"),
    )
    for name, help_text, field in counters:
        lines += [
            f"# HELP citywall_relay_{name} {help_text}",
            f"# TYPE citywall_relay_{name} counter",
        ]
        for s in stats:
            if s.opens:
                labels = f'camera="{_label(s.camera_id)}",stream="{s.stream}"'
                lines.append(f"citywall_relay_{name}{{{labels}}} {getattr(s, field)}")
    lines += [
        "# HELP citywall_relay_bytes_sent_total H.264 bytes handed to viewers' connections.",
        "# TYPE citywall_relay_bytes_sent_total counter",
    ]
    for camera_id, sent in sorted(bytes_sent.items()):
        lines.append(f'citywall_relay_bytes_sent_total{{camera="{_label(camera_id)}"}} {sent}')
    return "\n".join(lines) + "\n"
