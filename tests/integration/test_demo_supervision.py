"""`citywall demo` keeps its parts running: kill -9 any child and the supervisor logs it
and starts it again, and the part works again; SIGTERM stops every child by PID,
Redis last, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from testkit.citywall import ROOT, citywall_command
from testkit.demo import Demo, wait_for

TIMEOUT_S = 90.0


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: only its parent has not read its status yet.
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return state != "Z"


def _answers(url: str) -> str | None:
    try:
        return "yes" if requests.get(url, timeout=2).ok else None
    except requests.RequestException:
        return None


def _aggregator_up(demo: Demo) -> str | None:
    done = subprocess.run(
        [citywall_command(), "status", "--json"], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "REDIS_URL": demo.redis_url, "RELAY_PORT": str(demo.relay_port)},
        timeout=60, check=False,
    )  # fmt: skip
    parts = {part["name"]: part for part in json.loads(done.stdout)["parts"]}
    return "yes" if parts["aggregator"]["state"] == "up" else None


def test_each_killed_child_is_logged_restarted_and_works_again(demo: Demo) -> None:
    relay_health = f"http://127.0.0.1:{demo.relay_port}/healthz"
    works = {
        "relay": lambda: _answers(relay_health),
        "web": lambda: _answers(f"{demo.url}/healthz"),
        "aggregator": lambda: _aggregator_up(demo),
        "simulator": lambda: "yes",  # its own log line says it is live again
    }
    for part, check in works.items():
        old = demo.pid(part)
        wait_for(check, f"{part} working", TIMEOUT_S)
        os.kill(old, signal.SIGKILL)
        new = demo.restarted(part, old)
        assert new != old and _alive(new) and not _alive(old)
        assert f"{part} (pid {old}) was killed by SIGKILL; restarting" in demo.output()
        wait_for(check, f"{part} working again", TIMEOUT_S)
    wait_for(
        lambda: "yes" if demo.output().count("simulator: live from") >= 2 else None,
        "the restarted simulator live again",
        TIMEOUT_S,
    )


def test_sigterm_stops_every_child_by_pid_and_redis_last(demo: Demo) -> None:
    pids = {part: demo.pid(part) for part in ("relay", "aggregator", "simulator", "web")}
    redis_pid = int(demo.wait(r"redis-server pid (\d+)", "the PID of Redis"))
    demo.process.send_signal(signal.SIGTERM)  # the demo only, as systemd or `kill` would
    assert demo.process.wait(timeout=TIMEOUT_S) == 0
    left = {part: pid for part, pid in pids.items() if _alive(pid)}
    assert left == {} and not _alive(redis_pid)
    log = demo.output()
    assert log.index("stopped web") < log.index("stopped relay") < log.index("stopped Redis")
