"""A private, real redis-server for the demo and the tests: started in a temporary
directory on a free loopback port, stopped by its PID.

Persistence is on (append-only file) so a restart keeps what was acknowledged:
fsync every second by default (a clean stop loses nothing, a crash at most a
second), ``fsync="always"`` to lose nothing acknowledged even to a crash. See
docs/events.md, "Durability".
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from core.localhost import free_port, stop_process

DEFAULT_START_TIMEOUT = 10.0


class RedisServerError(RuntimeError):
    """redis-server is missing, or did not start, or did not stop."""


def find_redis_server() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise RedisServerError(
            "redis-server not found: install Debian's redis-server (make demo does it as root) "
            "or set REDIS_URL to a running server"
        )
    return found


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedis:
    """``with EmbeddedRedis() as redis: redis.url`` — a real server, gone on exit.

    ``stop()`` and ``start()`` may be called again to simulate an outage; the data
    directory (and so the append-only file) survives until ``close()``.
    """

    def __init__(
        self,
        port: int | None = None,
        data_dir: Path | None = None,
        fsync: str = "everysec",
        appendonly: bool = True,  # False: load dump.rdb (restoring a backup, docs/backup.md)
        extra_args: Sequence[str] = (),  # more settings, e.g. ("--replicaof", "127.0.0.1 6379")
    ) -> None:
        self.port = port or free_port()
        self.fsync = fsync
        self.appendonly = appendonly
        self.extra_args = tuple(extra_args)
        self._own_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="citywall-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = DEFAULT_START_TIMEOUT) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        command = [
            find_redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.fsync,
            "--save", "",
            "--daemonize", "no",
            "--protected-mode", "yes",
            *self.extra_args,
        ]  # fmt: skip
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "redis.log").open("ab")
        # Its own session: a Ctrl+C in the terminal reaches the demo, which stops its
        # readers first and Redis last, instead of Redis dying under them.
        self._process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RedisServerError(f"redis-server exited: {self._log_tail()}")
            if _answers_ping(self.port):
                return
            time.sleep(0.02)
        self.stop()
        raise RedisServerError(
            f"redis-server did not answer within {timeout} s: {self._log_tail()}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server by its PID (SIGTERM: it flushes the append-only file first)."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, timeout)

    def kill(self) -> None:
        """Kill the server without warning (SIGKILL), as a crash would."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _log_tail(self) -> str:
        log = self.data_dir / "redis.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
