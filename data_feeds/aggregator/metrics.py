"""The aggregator's numbers for Prometheus (``citywall aggregate --metrics-port P``).

What this consumer did (events applied and dead letters per stream, batches, claims,
Redis errors) comes from its ``AggregatorStats``; what the whole group still has to
do (lag behind each stream's head, pending entries) and the dead-letter stream's
length are read from Redis when Prometheus asks, so every aggregator of a group
reports the same group figures (take their max, not their sum).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, Final

import redis
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from core.keys import AGGREGATOR_GROUP, STREAMS, Keys
from core.outage import OUTAGE_ERRORS
from core.redis_url import connect
from data_feeds.aggregator.consumer import Aggregator

log = logging.getLogger(__name__)
METRICS_HOST: Final = "127.0.0.1"  # this machine only: put a proxy or an agent in front


class GroupInfo:
    """The consumer group on one stream, as XINFO GROUPS (and XINFO STREAM) say."""

    def __init__(self, lag: int | None, pending: int) -> None:
        self.lag = lag  # entries not yet delivered to the group; None: Redis cannot tell
        self.pending = pending  # delivered to a consumer, not acknowledged yet


def group_info(client: redis.Redis, stream: str) -> GroupInfo | None:
    """The ``aggregator`` group's lag and pending entries on ``stream`` (None: no group).

    The lag is Redis's own (7.0+); when it cannot tell (entries deleted in the range),
    the stream's entries-added minus the group's entries-read; else unknown."""
    try:
        groups: list[dict[str, Any]] = client.xinfo_groups(stream)
    except redis.ResponseError:  # no such stream yet
        return None
    group = next((g for g in groups if _text(g.get("name")) == AGGREGATOR_GROUP), None)
    if group is None:
        return None
    lag = group.get("lag")
    if lag is None and group.get("entries-read") is not None:
        added = client.xinfo_stream(stream).get("entries-added")
        if added is not None:
            lag = max(0, int(added) - int(group["entries-read"]))
    return GroupInfo(None if lag is None else int(lag), int(group.get("pending") or 0))


def group_infos(client: redis.Redis, keys: Keys) -> dict[str, GroupInfo]:
    """Stream name -> its group's figures, for the streams that have the group."""
    found: dict[str, GroupInfo] = {}
    for name, stream in keys.streams.items():
        info = group_info(client, stream)
        if info is not None:
            found[name] = info
    return found


class AggregatorCollector(Collector):
    def __init__(self, aggregator: Aggregator, client: redis.Redis, keys: Keys) -> None:
        self._aggregator = aggregator
        self._client = client
        self._keys = keys

    def collect(self) -> Iterator[Metric]:
        stats = self._aggregator.stats
        yield _per_stream(
            "citywall_aggregator_events_applied",
            "Events this aggregator applied, per input stream.",
            stats.applied_by_stream,
        )
        yield _per_stream(
            "citywall_aggregator_dead_letters",
            "Entries this aggregator put in the dead letters (malformed or not applicable), "
            "per input stream.",
            stats.dead_by_stream,
        )
        for name, help_text, value in (
            ("batches", "Batches applied (one Lua script call each).", stats.batches),
            ("claimed", "Entries claimed from consumers that left them pending too long.",
             stats.claimed),
            ("redis_errors", "Redis outages met (each waited out with back-off).",
             stats.reconnects),
        ):  # fmt: skip
            yield CounterMetricFamily(f"citywall_aggregator_{name}", help_text, value=value)
        yield from self._from_redis()

    def _from_redis(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "citywall_aggregator_lag",
            "Entries of an input stream not yet delivered to the aggregator group (behind "
            "the stream's head; the group's, the same from every aggregator).",
            labels=["stream"],
        )
        pending = GaugeMetricFamily(
            "citywall_aggregator_pending",
            "Entries delivered to an aggregator and not yet acknowledged (applied), per stream.",
            labels=["stream"],
        )
        try:
            infos = group_infos(self._client, self._keys)
            dead_letters = int(self._client.xlen(self._keys.deadletter))
        except OUTAGE_ERRORS:
            yield GaugeMetricFamily(
                "citywall_aggregator_redis_up", "1 if Redis answered this scrape.", value=0
            )
            return
        for name, info in infos.items():
            if info.lag is not None:
                lag.add_metric([name], info.lag)
            pending.add_metric([name], info.pending)
        yield lag
        yield pending
        yield GaugeMetricFamily(
            "citywall_aggregator_deadletter_entries",
            "Entries in the dead-letter stream (all aggregators', kept up to its MAXLEN).",
            value=dead_letters,
        )
        yield GaugeMetricFamily(
            "citywall_aggregator_redis_up", "1 if Redis answered this scrape.", value=1
        )


def _per_stream(name: str, help_text: str, counts: Mapping[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, help_text, labels=["stream"])
    for stream in STREAMS:  # every stream, 0 included: a rate() needs the series from start
        family.add_metric([stream], counts.get(stream, 0))
    return family


def aggregator_registry(aggregator: Aggregator, redis_url: str, keys: Keys) -> CollectorRegistry:
    """A registry of the aggregator's own, reading Redis on its own short-timeout client."""
    client = connect(
        redis_url, socket_timeout=2, socket_connect_timeout=2, client_name="citywall-metrics"
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AggregatorCollector(aggregator, client, keys))
    ProcessCollector(registry=registry)
    return registry


def serve_metrics(registry: CollectorRegistry, port: int) -> Any:
    """``/metrics`` on 127.0.0.1:``port`` in a daemon thread; returns the server
    (``shutdown()`` it)."""
    server, _thread = start_http_server(port, addr=METRICS_HOST, registry=registry)
    log.info("aggregator metrics on http://%s:%d/metrics", METRICS_HOST, port)
    return server


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
