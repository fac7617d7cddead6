"""Keep child processes running, the way systemd's ``Restart=always`` does for the
production units: a child that dies is logged (name, PID, exit status or signal) and
started again after a back-off that grows while it keeps dying and resets once it has
run a while. Stopping stops every child by PID, in the reverse order of starting.

``citywall demo`` uses it for its web server, relay, aggregator and simulator.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.localhost import stop_process

log = logging.getLogger("citywall.supervisor")

FIRST_DELAY_S = 0.2  # a crash is rare: come back at once, and slower if it repeats
MAX_DELAY_S = 30.0
HEALTHY_AFTER_S = 60.0  # a child that ran this long starts the back-off over


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay_s: float = FIRST_DELAY_S
    due_at: float | None = None  # when a dead child is started again

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid


@dataclass
class Supervisor:
    poll_s: float = 0.1
    children: list[Child] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def add(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> Child:
        child = Child(name, argv, env)
        with self._lock:
            self._start(child)
            self.children.append(child)
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
            self._thread.start()
        return child

    def pids(self) -> dict[str, int | None]:
        with self._lock:
            return {child.name: child.pid for child in self.children}

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching, then every child by PID, the last started first."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            for child in reversed(self.children):
                if child.process is not None:
                    stop_process(child.process, timeout=timeout, group=True)
                    log.info("stopped %s (pid %d)", child.name, child.process.pid)

    def _start(self, child: Child) -> None:
        # Its own session: a Ctrl+C in the terminal reaches the demo only, which then
        # stops the children in order (and the supervisor does not restart them).
        child.process = subprocess.Popen(list(child.argv), env=child.env, start_new_session=True)
        child.started_at = time.monotonic()
        child.due_at = None
        log.info("started %s (pid %d)", child.name, child.process.pid)

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_s):
            with self._lock:
                for child in self.children:
                    self._check(child, time.monotonic())

    def _check(self, child: Child, now: float) -> None:
        if child.due_at is not None:
            if now >= child.due_at and not self._stopping.is_set():
                child.restarts += 1
                self._start(child)
            return
        if child.process is None or child.process.poll() is None:
            return
        if now - child.started_at >= HEALTHY_AFTER_S:
            child.delay_s = FIRST_DELAY_S
        log.warning(
            "%s (pid %d) %s; restarting in %.1f s (restart %d)",
            child.name, child.process.pid, describe_exit(child.process.returncode),
            child.delay_s, child.restarts + 1,
        )  # fmt: skip
        child.due_at = now + child.delay_s
        child.delay_s = min(child.delay_s * 2, MAX_DELAY_S)


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"
