"""Prometheus metrics of the web tier (issue 13): ``GET /metrics``.

One registry per app (never prometheus_client's global one: a process may build
several apps, the tests do), filled by what the app runs on: the live hub (build
time, Redis errors), the event streams (screens connected, push latency) and the
sign-in gate (sign-ins and refusals, from what it notes on each request).

``/metrics`` answers only requests from the addresses of ``web.metrics_from``
(default: this machine) and 404 to anyone else, before any session is looked at
(the gate lets it through: ``wall.auth.gate.GUARDS_ITSELF``). A request that a proxy
forwarded (X-Forwarded-For, Forwarded, X-Real-IP) is refused unless the server
resolved the forwarded address (werkzeug's ProxyFix): otherwise nginx on the same
machine would make every visitor look local.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Final

from flask import Flask, Response, request
from flask.typing import ResponseReturnValue
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from wall.auth.gate import REFUSALS, SIGN_IN_OUTCOMES, refusal_noted, sign_in_noted
from wall.config.sections import IpNetwork, WebSpec
from wall.live.observe import LiveObserver, ScreenStreams
from wall.live.sse import screen_streams
from wall.services import Services
from wall.web.security import forwarded_by_stranger

METRICS_PATH: Final = "/metrics"
REGISTRY_KEY: Final = "citywall.metrics"  # server.extensions: the app's WebMetrics
FORWARDED_HEADERS: Final = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
# Hub builds: a KPI tile takes ~1 ms, a half-year chart tens; a slow build is seconds.
BUILD_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Update to screen: well under a second is the promise (docs/performance.md).
PUSH_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class WebMetrics(LiveObserver):
    """The web tier's metrics in their own registry; observes the hub and the streams."""

    def __init__(self, streams: ScreenStreams | None, services: Services) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        self.screens = Gauge(
            "citywall_web_screens_connected",
            "Event streams (/live/events: screens, consoles, tablets) open in this process.",
            registry=registry,
        )
        self.screens.set_function(streams.count if streams is not None else lambda: 0)
        self.build_seconds = Histogram(
            "citywall_web_hub_build_seconds",
            "Time the live hub took to build the parts due after an update or a refresh.",
            buckets=BUILD_BUCKETS,
            registry=registry,
        )
        self.push_seconds = Histogram(
            "citywall_web_push_latency_seconds",
            "From the aggregator's XADD of an update (Redis time) to the frame it caused "
            "leaving for a screen; one observation per screen that shows a changed tile.",
            buckets=PUSH_BUCKETS,
            registry=registry,
        )
        self.redis_errors = Counter(
            "citywall_web_redis_errors",
            "Failed attempts of the live hub to reach Redis.",
            registry=registry,
        )
        self.redis_outages = Counter(
            "citywall_web_redis_outages",
            "Redis outages the live hub saw (first failure after a success).",
            registry=registry,
        )
        hub = services.hub
        self.live_stale = Gauge(
            "citywall_web_live_stale",
            "1 while the live tiles are stale (Redis unreachable, no aggregator heartbeat), "
            "or no live data is configured.",
            registry=registry,
        )
        self.live_stale.set_function(
            (lambda: float(hub.current()[1].stale)) if hub is not None else (lambda: 1.0)
        )
        self.sign_ins = Counter(
            "citywall_web_sign_ins",
            "Sign-ins by kind (person: name and password; device: a wall PC's token) and "
            "outcome (ok, wrong, rate_limited).",
            ["kind", "outcome"],
            registry=registry,
        )
        for kind, outcomes in SIGN_IN_OUTCOMES.items():
            for outcome in outcomes:
                self.sign_ins.labels(kind=kind, outcome=outcome)
        self.refusals = Counter(
            "citywall_web_refusals",
            "Requests refused with 401 (no_session) or 403 (cross_site, role), sign-in "
            "attempts apart.",
            ["status", "reason"],
            registry=registry,
        )
        for status, reasons in REFUSALS.items():
            for reason in reasons:
                self.refusals.labels(status=str(status), reason=reason)

    # ── LiveObserver ──────────────────────────────────────────────────────
    def built(self, seconds: float) -> None:
        self.build_seconds.observe(seconds)

    def pushed(self, latency_s: float) -> None:
        self.push_seconds.observe(latency_s)

    def redis_error(self, outage_started: bool) -> None:
        self.redis_errors.inc()
        if outage_started:
            self.redis_outages.inc()

    # ── every response ────────────────────────────────────────────────────
    def count(self, response: Response) -> Response:
        noted = sign_in_noted()
        if noted is not None:
            kind, outcome = noted
            self.sign_ins.labels(kind=kind, outcome=outcome).inc()
        elif response.status_code in REFUSALS:
            default = "no_session" if response.status_code == 401 else "role"
            reason = refusal_noted() or default
            self.refusals.labels(status=str(response.status_code), reason=reason).inc()
        return response

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def install_metrics(server: Flask, services: Services, web: WebSpec | None = None) -> None:
    """``/metrics`` for the web tier, on its own registry, for the configured addresses."""
    streams = screen_streams(server)
    metrics = WebMetrics(streams, services)
    server.extensions[REGISTRY_KEY] = metrics
    if streams is not None:
        streams.observer = metrics
    if services.hub is not None:
        services.hub.observer = metrics
    server.after_request(metrics.count)
    allowed = (web or WebSpec()).metrics_networks()  # none given: this machine only

    def _metrics() -> ResponseReturnValue:
        if not allowed_to_scrape(allowed):
            return Response("Not Found\n", status=404, mimetype="text/plain")
        return Response(
            metrics.exposition(),
            headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
        )

    server.add_url_rule(METRICS_PATH, "metrics", _metrics, methods=["GET"])


def web_metrics(server: Flask) -> WebMetrics | None:
    """The app's metrics (tests, diagnostics)."""
    metrics: WebMetrics | None = server.extensions.get(REGISTRY_KEY)
    return metrics


def allowed_to_scrape(allowed: Sequence[IpNetwork]) -> bool:
    """The request comes straight from an allowed address (or through a proxy whose
    forwarded address the server resolved, and that address is allowed)."""
    if forwarded_by_stranger(request.environ):
        return False  # the socket address is some proxy's, not the scraper's
    forwarded = any(name in request.headers for name in FORWARDED_HEADERS)
    if forwarded and "werkzeug.proxy_fix.orig" not in request.environ:
        return False
    try:
        address = ipaddress.ip_address((request.remote_addr or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allowed)
