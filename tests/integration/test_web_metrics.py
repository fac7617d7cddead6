"""The web tier's Prometheus metrics: ``/metrics`` answers this machine (or the
configured addresses) and 404 to anyone else, counts sign-ins and refusals, and on a
real Redis with the real aggregator follows the live hub: builds, the push of an
update to a connected screen, the screens connected, Redis outages; each web process
keeps its heartbeat in Redis for ``citywall status``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from core.keys import Keys
from core.web_heartbeat import WebBeat
from data_feeds.aggregator import Aggregator, AggregatorSettings
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.citywall import shipped_config_copy
from testkit.signin import PASSWORDS
from tests.case_story import SHANGHAI, CaseStory
from wall.app import Wall, build_wall, create_app
from wall.auth.devices import DeviceTokens
from wall.config import load_config
from wall.services import Services

HOST = "http://localhost"
ELSEWHERE = {"REMOTE_ADDR": "10.1.2.3"}


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(client: FlaskClient, **kwargs: Any) -> Samples:
    """(sample name, labels) -> value, parsed by prometheus_client's own parser."""
    answer = client.get("/metrics", **kwargs)
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["Content-Type"].startswith("text/plain")
    found: Samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def sign_in(client: FlaskClient, name: str, password: str) -> int:
    data = {"name": name, "password": password}
    return client.post("/login", data=data, headers={"Origin": HOST}).status_code


def test_metrics_count_sign_ins_and_refusals_and_answer_only_this_machine(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    config = load_config(shipped_config_copy(tmp_path / "wall_config.yaml"))
    app = create_app(config, Services(secret="test-secret", devices=DeviceTokens(redis_client)))
    client = app.server.test_client()
    before = samples(client)
    for name in (
        "citywall_web_screens_connected",
        "citywall_web_hub_build_seconds_count",
        "citywall_web_push_latency_seconds_count",
        "citywall_web_redis_errors_total",
        "citywall_web_redis_outages_total",
        "citywall_web_live_stale",
        "process_resident_memory_bytes",
    ):
        assert (name, frozenset()) in before, name
    ok = {"kind": "person", "outcome": "ok"}
    assert value(before, "citywall_web_sign_ins_total", **ok) == 0
    assert value(before, "citywall_web_live_stale") == 1  # no Redis given: no live data

    assert sign_in(client, "viewer", "guess-guess") == 401
    assert client.get("/live/events?tiles=today").status_code == 401  # no session
    assert client.get("/wall/screen/1", headers={"Accept": "text/html"}).status_code == 302
    assert client.post("/logout").status_code == 403  # no Origin: cross-site
    assert app.server.test_client().get("/login/device?token=nope").status_code == 401
    assert sign_in(client, "viewer", PASSWORDS["viewer"]) == 302
    assert client.get("/console", headers={"Accept": "text/html"}).status_code == 403  # role

    after = samples(client)
    assert value(after, "citywall_web_sign_ins_total", **ok) == 1
    assert value(after, "citywall_web_sign_ins_total", kind="person", outcome="wrong") == 1
    assert value(after, "citywall_web_sign_ins_total", kind="device", outcome="wrong") == 1
    assert value(after, "citywall_web_sign_ins_total", kind="person", outcome="rate_limited") == 0
    assert value(after, "citywall_web_refusals_total", status="401", reason="no_session") == 1
    assert value(after, "citywall_web_refusals_total", status="403", reason="cross_site") == 1
    assert value(after, "citywall_web_refusals_total", status="403", reason="role") == 1

    # Anyone else: 404, signed in or not, and nothing says a page is there.
    stranger = app.server.test_client()
    for who in (client, stranger):
        answer = who.get("/metrics", environ_base=ELSEWHERE)
        assert answer.status_code == 404
        assert b"citywall_" not in answer.get_data()
    # Through a proxy on this machine (nginx) that the server does not resolve: refused.
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert stranger.get("/metrics", headers=forwarded).status_code == 404
    assert stranger.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # Another registry per app: a second app in this process starts from zero.
    other = create_app(config, Services(secret="test-secret"))
    fresh = samples(other.server.test_client())
    assert value(fresh, "citywall_web_sign_ins_total", **ok) == 0


def test_the_configured_addresses_and_only_they_read_the_metrics(tmp_path: Path) -> None:
    path = shipped_config_copy(tmp_path / "wall_config.yaml")
    path.write_text(
        path.read_text(encoding="utf-8") + "\nweb:\n  metrics_from: [10.1.2.0/24]\n",
        encoding="utf-8",
    )
    config = load_config(path)
    client = create_app(config, Services(secret="test-secret")).server.test_client()
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.3.1"}).status_code == 404
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed


@pytest.fixture
def live_wall(tmp_path: Path, redis_server: EmbeddedRedis) -> Iterator[Wall]:
    config = load_config(shipped_config_copy(tmp_path / "wall_config.yaml"))
    wall = build_wall(config, redis_server.url, tmp_path / "snapshots")
    wall.services.start()
    yield wall
    wall.services.stop()


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_the_hub_and_a_connected_screen_show_in_the_metrics(
    live_wall: Wall, redis_server: EmbeddedRedis, redis_client: redis.Redis
) -> None:
    client = live_wall.server.test_client()
    assert sign_in(client, "viewer", PASSWORDS["viewer"]) == 302
    aggregator = Aggregator(redis_client, AggregatorSettings(consumer="t"))
    aggregator.ensure_groups()
    aggregator.step()  # its heartbeat: the live state is fresh
    wait_until(lambda: value(samples(client), "citywall_web_live_stale") == 0)
    wait_until(lambda: value(samples(client), "citywall_web_hub_build_seconds_count") > 0)

    stream = client.get("/live/events?tiles=today", buffered=False)
    assert stream.status_code == 200
    messages = iter(stream.response)
    assert next(messages).startswith(b"retry:")
    assert b'"full": true' in next(messages)  # everything first: not a push of an update
    assert value(samples(client), "citywall_web_screens_connected") == 1
    assert value(samples(client), "citywall_web_push_latency_seconds_count") == 0

    start = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=20)
    EventWriter(redis_client).write(list(CaseStory("METRICS-1", start).through_dispatch().events))
    aggregator.drain()
    deadline = time.monotonic() + 20
    seen = []
    while value(samples(client), "citywall_web_push_latency_seconds_count") == 0:
        assert time.monotonic() < deadline, f"no push observed; messages: {seen}"
        seen.append(next(messages))  # at most a second: the stream's heartbeat
    assert any(b'"today"' in message and b'"full": false' in message for message in seen)
    pushed = samples(client)
    assert value(pushed, "citywall_web_push_latency_seconds_count") == 1
    assert 0 <= value(pushed, "citywall_web_push_latency_seconds_sum") < 5
    stream.close()
    assert value(samples(client), "citywall_web_screens_connected") == 0

    (key,) = redis_client.scan_iter(match=Keys().web_heartbeat_prefix + "*")
    beat = WebBeat.from_json(redis_client.get(key) or b"")
    assert beat is not None and beat.pid == os.getpid()
    assert time.time() * 1000 - beat.t < 10_000  # written every 5 s
    assert 0 < redis_client.ttl(key) <= 15  # gone with the process

    redis_server.stop()
    try:
        wait_until(lambda: value(samples(client), "citywall_web_redis_errors_total") > 0)
        down = samples(client)
        assert value(down, "citywall_web_redis_outages_total") == 1
        assert value(down, "citywall_web_live_stale") == 1
    finally:
        redis_server.start()
    aggregator.close()


def test_a_page_is_sent_only_the_frames_of_its_tiles_and_still_a_heartbeat(
    live_wall: Wall, redis_client: redis.Redis
) -> None:
    """A case dispatched changes the KPI, chart, case and map tiles; a page showing only
    the officers' roster is sent none of those frames (each would be a write for every
    open page), only its heartbeat: it does not turn stale."""
    client = live_wall.server.test_client()
    assert sign_in(client, "viewer", PASSWORDS["viewer"]) == 302
    aggregator = Aggregator(redis_client, AggregatorSettings(consumer="t"))
    aggregator.ensure_groups()
    aggregator.step()
    wait_until(lambda: value(samples(client), "citywall_web_live_stale") == 0)
    today = client.get("/live/events?tiles=today", buffered=False)
    roster = client.get("/live/events?tiles=roster", buffered=False)
    today_messages, roster_messages = iter(today.response), iter(roster.response)
    for messages in (today_messages, roster_messages):
        assert next(messages).startswith(b"retry:")
        assert b'"full": true' in next(messages)

    start = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=20)
    EventWriter(redis_client).write(list(CaseStory("ONLY-1", start).through_dispatch().events))
    aggregator.drain()
    deadline = time.monotonic() + 20
    while b'"today"' not in (message := next(today_messages)):
        assert time.monotonic() < deadline, "the KPI page got no delta"
    assert b'"full": false' in message
    after = [next(roster_messages) for _ in range(3)]  # ~3 s: the heartbeats, once a second
    assert all(json.loads(m.removeprefix(b"data: ")).keys() == {"status"} for m in after), after
    assert not json.loads(after[-1].removeprefix(b"data: "))["status"]["stale"]
    today.close()
    roster.close()
    aggregator.close()
