"""Every camera's health, watched or not: a prober asks each camera the relay node owns
whether it would serve video (RTSP OPTIONS then DESCRIBE: cheap, no media is set up,
the camera is never held open), every ``interval_s``, at most ``concurrency`` at once.
A camera whose stream is being pulled is not probed: the pull is its probe. Findings
go through the hub (``CameraHub.report_probe``), so they reach Redis like the pulls'
(the cameras stream, the e-map, the console, ``citywall status``).

Reasons, short and the same for every camera: ``refused`` (nothing listens), ``timeout``,
``auth failed`` (401 with or without credentials), ``no video`` (no video in the SDP),
``RTSP <code>`` (another refusal), ``unreachable`` (no route, name not found).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from core.camera_status import Status
from streams.packets import StreamName
from streams.relay.hub import CameraHub, CameraUrls

log = logging.getLogger(__name__)

USER_AGENT = "citywall-prober"
TRANSCODED = "transcode:"  # streams.sources.transcode.PREFIX (not imported: no PyAV here)
MAX_RESPONSE = 64 * 1024


@dataclass(frozen=True)
class Finding:
    status: Status
    reason: str | None = None


ONLINE = Finding("online")


async def probe(url: str, timeout_s: float = 5.0) -> Finding:
    """What the camera at ``url`` says now (sim:// is always there; file:// if it exists)."""
    url = url.removeprefix(TRANSCODED)  # the camera's own URL is what is probed
    scheme = urlsplit(url).scheme
    if scheme == "rtsp":
        return await probe_rtsp(url, timeout_s)
    if scheme == "file":
        return (
            ONLINE if Path(unquote(urlsplit(url).path)).is_file() else Finding("offline", "no file")
        )
    return ONLINE  # sim://: the simulator's camera cannot fail


async def probe_rtsp(url: str, timeout_s: float = 5.0) -> Finding:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 554
    clean = parts._replace(netloc=f"{host}:{port}" if parts.port else host).geturl()
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                return await _ask(reader, writer, clean, parts.username, parts.password)
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except TimeoutError:
        return Finding("offline", "timeout")
    except ConnectionRefusedError:
        return Finding("offline", "refused")
    except OSError:
        return Finding("offline", "unreachable")


async def _ask(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    url: str,
    user: str | None,
    password: str | None,
) -> Finding:
    session = _Session(reader, writer, url, unquote(user or ""), unquote(password or ""))
    code, _, _ = await session.request("OPTIONS")
    if code == 401:
        code, _, _ = await session.request("OPTIONS", authenticate=True)
    if code == 401:
        return Finding("offline", "auth failed")
    code, _, body = await session.request("DESCRIBE", authenticate=session.challenge is not None)
    if code == 401 and session.challenge is not None and not session.tried_auth:
        code, _, body = await session.request("DESCRIBE", authenticate=True)
    if code == 401:
        return Finding("offline", "auth failed")
    if code != 200:
        return Finding("offline", f"RTSP {code}")
    if not re.search(rb"^m=video ", body, re.MULTILINE):
        return Finding("offline", "no video")
    return ONLINE


class _Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, url: str,
                 user: str, password: str) -> None:  # fmt: skip
        self.reader, self.writer, self.url = reader, writer, url
        self.user, self.password = user, password
        self.cseq = 0
        self.challenge: str | None = None
        self.tried_auth = False

    async def request(
        self, method: str, authenticate: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        self.cseq += 1
        lines = [f"{method} {self.url} RTSP/1.0", f"CSeq: {self.cseq}", f"User-Agent: {USER_AGENT}"]
        if method == "DESCRIBE":
            lines.append("Accept: application/sdp")
        if authenticate and self.challenge is not None and self.user:
            lines.append(f"Authorization: {self._authorization(method)}")
            self.tried_auth = True
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()
        code, headers, body = await _response(self.reader)
        if code == 401:
            self.challenge = headers.get("www-authenticate", self.challenge)
        return code, headers, body

    def _authorization(self, method: str) -> str:
        challenge = self.challenge or ""
        if challenge.lower().startswith("basic"):
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return f"Basic {token}"
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
        realm, nonce = fields.get("realm", ""), fields.get("nonce", "")
        ha1 = _md5(f"{self.user}:{realm}:{self.password}")
        ha2 = _md5(f"{method}:{self.url}")
        response = _md5(f"{ha1}:{nonce}:{ha2}")
        return (f'Digest username="{self.user}", realm="{realm}", nonce="{nonce}", '
                f'uri="{self.url}", response="{response}"')  # fmt: skip


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_RESPONSE:
        raise OSError("response too large")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[0].startswith("RTSP/") or not status[1].isdigit():
        raise OSError(f"not an RTSP answer: {lines[0][:40]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), value.strip())
    length = min(int(headers.get("content-length", "0") or 0), MAX_RESPONSE)
    body = await reader.readexactly(length) if length else b""
    return int(status[1]), headers, body


class CameraProber:
    """Probes the cameras this node owns, round after round, until closed."""

    def __init__(
        self,
        hub: CameraHub,
        cameras: CameraUrls,
        *,
        interval_s: float = 30.0,
        concurrency: int = 16,
        timeout_s: float = 5.0,
        owns: Callable[[str], bool] = lambda _camera_id: True,
    ) -> None:
        self._hub = hub
        self._cameras = cameras
        self._interval_s = interval_s
        self._timeout_s = min(timeout_s, max(0.5, interval_s / 2))
        self._limit = asyncio.Semaphore(max(1, concurrency))
        self._owns = owns
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    def start(self) -> None:
        if self._task is None and self._interval_s > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def probe_round(self) -> None:
        """Probe every owned camera nobody pulls, once (a round takes ≤ its slowest probe
        times the cameras over the concurrency)."""
        due = [camera_id for camera_id in self._cameras
               if self._owns(camera_id) and not self._hub.pulled(camera_id)]  # fmt: skip
        await asyncio.gather(*(self._probe_one(camera_id) for camera_id in due))
        self.rounds += 1

    async def _probe_one(self, camera_id: str) -> None:
        url = _probe_url(self._cameras[camera_id])
        if url is None:
            return
        async with self._limit:
            try:
                finding = await probe(url, self._timeout_s)
            except Exception as exc:  # a camera's odd answer must not stop the rounds
                finding = Finding("offline", f"probe failed: {type(exc).__name__}")
        self._hub.report_probe(camera_id, finding.status, finding.reason)

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.probe_round()
            except Exception:
                log.exception("camera probe round failed")
            await asyncio.sleep(max(0.0, self._interval_s - (time.monotonic() - started)))


def _probe_url(urls: Mapping[StreamName, str]) -> str | None:
    """The stream to probe: the sub stream (cheaper for the camera), else the main."""
    return urls.get("sub") or urls.get("main")
