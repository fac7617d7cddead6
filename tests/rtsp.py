"""A real RTSP server (tests/rtsp_server.py, GStreamer) as a child process, for tests.

with RtspServer(paths=["/cam1"]) as server:
    url = server.url("/cam1")
    ...
    server.kill()   # the camera dies
    server.start()  # and comes back on the same port

A path may say what its camera sends, ``"/cam2=h265"`` or ``"/cam3=high-bframes"``
(tests/rtsp_server.py); ``user`` and ``password`` make every path ask for them.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import NoReturn
from urllib.parse import quote

from core.localhost import stop_process

SCRIPT = Path(__file__).with_name("rtsp_server.py")
# The GObject bindings (python3-gi) live in Debian's Python, not in the venv.
SYSTEM_PYTHON = os.environ.get("CITYWALL_GST_PYTHON", "/usr/bin/python3")
PACKAGES = (
    "python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base "
    "gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-x "
    "gstreamer1.0-plugins-bad"  # x265enc, for the H.265 camera
)


class RtspServer:
    """``port=None``: the OS picks a free one at the first start; later starts reuse it."""

    def __init__(
        self,
        port: int | None = None,
        paths: tuple[str, ...] | list[str] = ("/cam1",),
        size: str = "640x360",
        fps: int = 15,
        log: Path | None = None,
        gop: int = 30,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.port = port
        self.paths = list(paths)
        self.size = size
        self.fps = fps
        self.gop = gop  # frames between keyframes
        self.user = user
        self.password = password
        self.log = log  # server stderr goes here (a temp file if None)
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr_path: Path | None = None

    def url(self, path: str = "/cam1", user: str | None = None, password: str | None = None) -> str:
        """The path's URL (``=KIND`` dropped), with ``user:password@`` when given."""
        if self.port is None:
            raise RuntimeError("RtspServer.url(): start() the server first")
        login = f"{quote(user, safe='')}:{quote(password or '', safe='')}@" if user else ""
        mount = path.partition("=")[0].lstrip("/")
        return f"rtsp://{login}127.0.0.1:{self.port}/{mount}"

    def start(self, timeout: float = 10.0) -> None:
        """Start and wait for READY; ``RuntimeError`` with the server's stderr otherwise."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("RtspServer.start(): already running")
        args = [SYSTEM_PYTHON, str(SCRIPT), "--port", str(self.port or 0)]
        for path in self.paths:
            args += ["--path", path]
        args += ["--size", self.size, "--fps", str(self.fps), "--gop", str(self.gop)]
        if self.user is not None:
            args += ["--user", self.user, "--password", self.password or ""]
        if self.log is not None:
            self._stderr_path = self.log
        elif self._stderr_path is None:
            fd, name = tempfile.mkstemp(prefix="rtsp-server-", suffix=".log")
            os.close(fd)
            self._stderr_path = Path(name)
        with self._stderr_path.open("ab") as stderr:
            # A file, not a pipe: GStreamer warnings must never fill a pipe and block it.
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr)
        port = self._wait_ready(self.process, timeout)
        self.port = port

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout: float) -> int:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.kill()
                    self._fail(f"no READY within {timeout:.0f} s")
                chunk = os.read(process.stdout.fileno(), 1)
                if not chunk:  # exited before READY
                    process.wait(timeout=5)
                    self._fail(f"exited with code {process.returncode} before READY")
                line += chunk
        text = line.decode().strip()
        if not text.startswith("READY port="):
            self.kill()
            self._fail(f"unexpected first line {text!r}")
        return int(text.removeprefix("READY port="))

    def _fail(self, why: str) -> NoReturn:
        stderr = self._stderr_path.read_text(errors="replace")[-3000:] if self._stderr_path else ""
        hint = ""
        if "No module named 'gi'" in stderr or "Namespace" in stderr or "no element" in stderr:
            hint = f"\nInstall the Debian packages: apt-get install -y {PACKAGES}"
        raise RuntimeError(f"RTSP test server {why}; stderr:\n{stderr}{hint}")

    def stop(self) -> None:
        """SIGTERM by PID (SIGKILL after 5 s): a clean shutdown, sockets closed."""
        if self.process is not None:
            stop_process(self.process, timeout=5.0)
            self._close()

    def kill(self) -> None:
        """SIGKILL by PID: the camera vanishes without a goodbye."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=5)
            self._close()

    def _close(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
        if self.log is None and self._stderr_path is not None:
            self._stderr_path.unlink(missing_ok=True)


def one_camera_inventory(path: Path, server: RtspServer, camera_id: str = "RT-001") -> Path:
    """A camera inventory (cameras.csv) of one camera whose streams are ``server``'s."""
    path.write_text(
        "id,name,lat,lon,grid,main,sub,tags\n"
        f"{camera_id},文星路口,28.69,112.89,4306240010101,{server.url()},{server.url()},\n",
        encoding="utf-8",
    )
    return path
