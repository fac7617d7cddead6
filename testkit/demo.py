"""``citywall demo`` as a user starts it, on free ports, for tests and benchmarks: its
log read for what it prints (the logins, the Redis URL, each child's PID as the
supervisor starts it)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from core.localhost import free_port, stop_process
from testkit.citywall import ROOT, citywall_command

START_S = 120.0  # a loaded machine imports Dash slowly


def wait_for(probe: Callable[[], str | None], what: str, timeout: float) -> str:
    """``probe()``'s first non-empty answer within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise TimeoutError(f"no {what} within {timeout:.0f} s")


class Demo:
    def __init__(self, logs: Path, timeout: float = START_S) -> None:
        self.port = free_port()
        self.relay_port = free_port()
        self.log = logs / "demo.log"
        self.timeout = timeout
        env = {**os.environ, "RELAY_PORT": str(self.relay_port)}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [citywall_command(), "demo", "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                start_new_session=True,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = self.wait(r"admin / (\S+),", "the demo's logins")
        self.redis_url = self.wait(r"Redis (redis://[^\s,]+)", "the demo's Redis")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def match(self, pattern: str) -> str | None:
        found = re.findall(pattern, self.output())
        return str(found[-1]) if found else None

    def wait(self, pattern: str, what: str) -> str:
        def probe() -> str | None:
            if self.process.poll() is not None:
                raise RuntimeError(f"citywall demo exited:\n{self.output()[-3000:]}")
            return self.match(pattern)

        return wait_for(probe, what, self.timeout)

    def pid(self, part: str) -> int:
        return int(self.wait(rf"started {part} \(pid (\d+)\)", part))

    def restarted(self, part: str, old: int) -> int:
        """The PID of ``part`` once the supervisor has started a new one."""
        pattern = rf"started {part} \(pid (\d+)\)"
        found = wait_for(
            lambda: (pid := self.match(pattern)) and (pid if int(pid) != old else None),
            f"{part} restarted",
            self.timeout,
        )
        return int(found)

    def stop(self) -> None:
        stop_process(self.process, timeout=30, group=True)
