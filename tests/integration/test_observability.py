"""Observability with the real parts: the relay's /metrics as Prometheus parses it, the
aggregator's metrics port (``citywall aggregate --metrics-port``, a real process, its
logs in JSON), and ``citywall status`` on a live stack (a real Redis, aggregator, relay
and web server): 0 when every part is up, 1 naming the part that is down."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from core.keys import Keys
from core.localhost import free_port, stop_process
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.citywall import ROOT, citywall_command, shipped_config_copy, start_wall
from testkit.whep import WhepViewer
from tests.case_story import SHANGHAI, CaseStory
from tests.integration.test_config_is_pure_data import WEB_TIER, imported
from tests.integration.test_relay import TOKEN, FlakySource, relay, run
from tests.live_stack import LiveStack
from wall.config import load_config

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> tuple[set[str], Samples]:
    """Family names and (sample, labels) -> value, by prometheus_client's own parser."""
    names, found = set(), {}
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return names, found


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def wait_until(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not in {timeout} s: {what}"
        time.sleep(0.1)


# ── the relay ───────────────────────────────────────────────────────────────────
RELAY_FAMILIES = {
    "citywall_relay_sessions", "citywall_relay_upstreams", "citywall_relay_cameras",
    "citywall_relay_viewers", "citywall_relay_upstream_online",
    "citywall_relay_upstream_failures", "citywall_relay_reconnects",
    "citywall_relay_upstream_opens", "citywall_relay_bytes_received",
    "citywall_relay_packets_received", "citywall_relay_bytes_sent",
    "citywall_relay_packets_dropped", "citywall_relay_viewer_camera",
    "citywall_relay_viewer_packets_sent", "citywall_relay_viewer_packets_dropped",
    "citywall_relay_viewer_fell_behind", "citywall_relay_viewer_queued_packets",
}  # fmt: skip


def test_relay_metrics_parse_with_viewers_drops_and_reconnects() -> None:
    async def scenario() -> None:
        FlakySource.opened = 0

        def factory(url: str) -> FlakySource:
            return FlakySource(url, failures=2)

        async with relay(factory, schedule=lambda attempt: 0.2) as r:
            viewer = WhepViewer(r.url, TOKEN)
            assert await viewer.connect("cam-2", "sub") == 201
            assert viewer.location is not None
            assert await viewer.wait_frames(10, timeout=10.0), f"{viewer.frames} frames"
            status, headers, text = await r.get("/metrics")
            assert status == 200 and headers["Content-Type"].startswith("text/plain")
            names, found = parse(text)
            assert names >= RELAY_FAMILIES, sorted(RELAY_FAMILIES - names)
            cam = {"camera": "cam-2", "stream": "sub"}
            assert value(found, "citywall_relay_sessions") == 1
            assert value(found, "citywall_relay_cameras") == 2
            assert value(found, "citywall_relay_reconnects_total", **cam) == 2
            assert value(found, "citywall_relay_upstream_opens_total", **cam) == 3
            assert value(found, "citywall_relay_upstream_failures", **cam) == 0  # delivers now
            assert value(found, "citywall_relay_upstream_online", **cam) == 1
            assert value(found, "citywall_relay_viewer_camera", viewer="1", **cam) == 1
            assert value(found, "citywall_relay_viewer_packets_sent_total", viewer="1") >= 10
            for reason in ("before_keyframe", "too_slow", "switch"):
                dropped = value(found, "citywall_relay_viewer_packets_dropped_total",
                                viewer="1", reason=reason)  # fmt: skip
                assert dropped >= 0
                assert value(found, "citywall_relay_packets_dropped_total", reason=reason) >= 0
            assert value(found, "citywall_relay_viewer_fell_behind_total", viewer="1") == 0
            session_id = viewer.location.rsplit("/", 1)[1]
            assert session_id not in text  # a session's id lets one steer it: never shown
            assert await viewer.delete() == 200
            _, _, after = await r.get("/metrics")
            names, found = parse(after)
            assert value(found, "citywall_relay_sessions") == 0
            assert not any(name.startswith("citywall_relay_viewer_") for name, _ in found)
            assert ("citywall_relay_packets_dropped_total",
                    frozenset({("reason", "too_slow")})) in found  # fmt: skip

    run(scenario)


# ── the aggregator ──────────────────────────────────────────────────────────────
def test_aggregator_metrics_port_reports_applied_events_lag_and_dead_letters(
    tmp_path: Path, redis_server: EmbeddedRedis, redis_client: redis.Redis
) -> None:
    config = shipped_config_copy(tmp_path / "wall_config.yaml")
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_server.url, "CITYWALL_LOG_FORMAT": "json"}
    log = tmp_path / "aggregate.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [citywall_command(), "aggregate", "--config", str(config), "--metrics-port",
             str(port)],
            stdout=subprocess.DEVNULL, stderr=out, cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/metrics"
    try:

        def scrape() -> Samples | None:
            try:
                return parse(requests.get(url, timeout=2).text)[1]
            except requests.RequestException:
                assert process.poll() is None, log.read_text()
                return None

        wait_until(lambda: scrape() is not None, what="the metrics port answers")
        start = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=30)
        events = list(CaseStory("AGG-1", start).through_dispatch().events)
        EventWriter(redis_client).write(events)
        redis_client.xadd(Keys().cases_stream, {"v": "1", "case_id": "broken"})  # malformed

        def applied() -> bool:
            found = scrape() or {}
            return found.get(("citywall_aggregator_events_applied_total",
                              frozenset({("stream", "cases")}))) == len(events)  # fmt: skip

        wait_until(applied, what="the batch applied")
        found = scrape()
        assert found is not None
        for stream in ("cases", "officers", "hotline", "approvals", "cameras"):
            labels = {"stream": stream}
            assert value(found, "citywall_aggregator_lag", **labels) == 0
            assert value(found, "citywall_aggregator_pending", **labels) == 0
        assert value(found, "citywall_aggregator_events_applied_total", stream="officers") == 0
        assert value(found, "citywall_aggregator_dead_letters_total", stream="cases") == 1
        assert value(found, "citywall_aggregator_deadletter_entries") == 1
        assert value(found, "citywall_aggregator_batches_total") >= 1
        assert value(found, "citywall_aggregator_redis_up") == 1
        elsewhere = _other_address()
        if elsewhere is not None:  # bound to loopback: not on the machine's other addresses
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://{elsewhere}:{port}/metrics", timeout=2)
    finally:
        stop_process(process, group=True)
    assert process.returncode == 0
    # CITYWALL_LOG_FORMAT=json: every log line is one JSON object.
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any(r["logger"] == "data_feeds.aggregator.metrics" and r["level"] == "INFO"
               and f":{port}/metrics" in r["message"] for r in records), lines  # fmt: skip
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)


def _other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1, and UDP: nothing is sent
        except OSError:
            return None
        address: str = sock.getsockname()[0]
    return None if address.startswith("127.") else address


# ── citywall status ─────────────────────────────────────────────────────────────
class StatusStack(LiveStack):
    """The live stack, each of whose parts a test can stop and start again."""

    @property
    def relay_port(self) -> int:
        assert self._relay is not None
        return int(self._relay.url.rsplit(":", 1)[1])

    def stop_relay(self) -> None:
        assert self._relay is not None
        self._relay.stop()

    def start_relay(self) -> None:
        env = {**self.env(), "RELAY_PORT": str(self.relay_port)}
        self._relay = start_wall(["relay"], self.logs / "relay.log", self.relay_port, env=env)

    def stop_aggregator(self) -> None:
        assert self._aggregator is not None
        stop_process(self._aggregator, group=True)

    def status(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env(), "RELAY_PORT": str(self.relay_port)}
        command = [citywall_command(), "status", "--config", str(self.config), *args]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False
        )

    def report(self, *args: str) -> tuple[int, dict[str, dict[str, object]], list[str]]:
        done = self.status("--json", *args)
        report = json.loads(done.stdout)
        parts = {part["name"]: part for part in report["parts"]}
        assert report["ok"] is (done.returncode == 0)
        return done.returncode, parts, report["down"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatusStack]:
    logs = tmp_path_factory.mktemp("status")
    config = shipped_config_copy(logs / "wall_config.yaml")
    stack = StatusStack(config, logs, relay=True).start()
    try:
        wait_until(lambda: stack.report()[0] == 0, timeout=30, what="every part up")
        yield stack
    finally:
        stack.stop()


def test_status_of_a_healthy_stack_says_each_part_is_up(stack: StatusStack) -> None:
    done = stack.status()
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[1:-1]}
    for name in ("redis", "aggregator", "relay", "web"):
        assert lines[name].split()[1] == "up", done.stdout
    assert done.stdout.rstrip().endswith("every part is up")
    code, parts, down = stack.report()
    assert (code, down) == (0, [])
    assert parts["redis"]["details"]["appendonly"] == "yes"
    web = parts["web"]["details"]["workers"]
    assert len(web) == 1 and web[0]["pid"] == stack.wall.process.pid
    cameras = parts["cameras"]["details"]
    assert cameras["inventory"] == 347
    assert parts["aggregator"]["details"]["pending"]["cases"] == 0
    assert parts["secrets"]["summary"].startswith("CITYWALL_SECRET: ")
    client = redis.Redis.from_url(stack.redis.url)
    key = client.get(Keys(load_config(stack.config).redis.prefix).relay_key)
    client.close()
    assert key is not None and key.decode() not in done.stdout  # never a secret
    assert "CITYWALL_RELAY_KEY: generated, shared in Redis" in done.stdout


def test_status_names_the_relay_when_it_is_stopped(stack: StatusStack) -> None:
    stack.stop_relay()
    try:
        done = stack.status()
        assert done.returncode == 1
        assert done.stdout.rstrip().splitlines()[-1] == "down: relay", done.stdout
        code, parts, down = stack.report()
        assert (code, down) == (1, ["relay"])
        assert parts["aggregator"]["state"] == parts["web"]["state"] == "up"
    finally:
        stack.start_relay()


def test_status_names_the_aggregator_when_it_is_stopped(stack: StatusStack) -> None:
    stack.stop_aggregator()
    try:
        # Its heartbeat ages out (the web tier calls the data stale after 10 s; here 2 s).
        wait_until(lambda: stack.report("--stale-after", "2")[2] == ["aggregator"],
                   what="the aggregator down")  # fmt: skip
        done = stack.status("--stale-after", "2")
        assert done.returncode == 1
        assert done.stdout.rstrip().splitlines()[-1] == "down: aggregator", done.stdout
    finally:
        stack.start_aggregator()
    wait_until(lambda: stack.report("--stale-after", "2")[0] == 0, what="the aggregator back")


def test_status_names_redis_when_it_is_stopped(stack: StatusStack) -> None:
    stack.redis.stop()
    try:
        done = stack.status("--timeout", "1")
        assert done.returncode == 1
        assert done.stdout.rstrip().splitlines()[-1] == "down: redis", done.stdout
        code, parts, down = stack.report("--timeout", "1")
        assert (code, down) == (1, ["redis"])
        assert parts["relay"]["state"] == "up"  # it does not need Redis to be reached
        assert {parts[name]["state"] for name in ("aggregator", "cameras", "web")} == {"unknown"}
    finally:
        stack.redis.start()
    wait_until(lambda: stack.report()[0] == 0, what="every part back")


def test_status_imports_no_web_tier(tmp_path: Path) -> None:
    config = shipped_config_copy(tmp_path / "wall_config.yaml")
    command = [sys.executable, "-X", "importtime", "-m", "wall.cli", "status", "--config",
               str(config), "--timeout", "0.5"]  # fmt: skip
    env = {**os.environ, "RELAY_PORT": str(free_port()), "REDIS_URL": ""}
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert done.returncode == 1 and "down: redis, relay" in done.stdout, done.stdout
    modules = imported(done.stderr)
    assert "wall" in modules and "redis" in modules  # the status ran
    assert not modules & (WEB_TIER | {"flask"}), sorted(modules & (WEB_TIER | {"flask"}))
