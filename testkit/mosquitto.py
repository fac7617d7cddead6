"""A private, real mosquitto MQTT broker for the tests: its own config file (no
persistence, loopback only, anonymous clients), on a free port, stopped by its PID."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from core.localhost import free_port, stop_process

SBIN_MOSQUITTO = Path("/usr/sbin/mosquitto")  # Debian's, not on a user's PATH


class MosquittoError(RuntimeError):
    """mosquitto is missing, or did not start."""


def find_mosquitto() -> str:
    found = shutil.which("mosquitto")
    if found is None and SBIN_MOSQUITTO.exists():
        found = str(SBIN_MOSQUITTO)
    if found is None:
        raise MosquittoError(
            "mosquitto not found: install Debian's mosquitto (scripts/bootstrap.sh test does "
            "it as root)"
        )
    return found


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class EmbeddedMosquitto:
    """``with EmbeddedMosquitto() as broker: broker.port`` — a real broker, gone on exit.
    ``stop()`` then ``start()`` again is a broker restart on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="citywall-mosquitto-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def config_file(self) -> Path:
        return self.directory / "mosquitto.conf"

    @property
    def log_file(self) -> Path:
        return self.directory / "mosquitto.log"

    def start(self, timeout: float = 10.0) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self.config_file.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "log_dest stderr\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n",
            encoding="utf-8",
        )
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [find_mosquitto(), "-c", str(self.config_file)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise MosquittoError(f"mosquitto exited: {self.log_tail()}")
            if _accepts(self.port):
                return
            time.sleep(0.02)
        self.stop()
        raise MosquittoError(f"mosquitto did not accept within {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self) -> str:
        if not self.log_file.exists():
            return "(no log)"
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-2000:]

    def __enter__(self) -> EmbeddedMosquitto:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
