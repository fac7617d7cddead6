"""Janus (Debian's ``janus``, its streaming plugin) as a peer in the relay benchmark:
fed the bench loop's H.264 as RTP, watched by the same counting aiortc viewers.

- ``JanusProcess``: a private janus on free ports (HTTP API, one RTP mountpoint),
  configured in a temporary directory, with a feeder process that sends the loop as RTP
  at 15 fps; same interface as ``bench.relay.RelayProcess`` (``url``, ``start``,
  ``check``, ``cpu`` of the janus process, ``close``).
- ``JanusViewer``: a ``WhepViewer`` that signals the Janus way (create a session,
  attach the streaming plugin, ``watch``: Janus offers, we answer with ``start``).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any, Final

import aiohttp
import av
from aiortc import RTCSessionDescription
from aiortc.codecs.h264 import H264Encoder
from aiortc.rtp import RtpPacket

from core.localhost import free_port
from streams.packets import CLOCK_RATE, EncodedPacket
from testkit.whep import WhepViewer

LIBS: Final = Path("/usr/lib/x86_64-linux-gnu/janus")
PAYLOAD_TYPE: Final = 96
MOUNTPOINT: Final = 1
CLK_TCK: Final = os.sysconf("SC_CLK_TCK")
_transactions = itertools.count(1)

JANUS_JCFG = """general: {{
  configs_folder = "{dir}"
  plugins_folder = "{libs}/plugins"
  transports_folder = "{libs}/transports"
  events_folder = "{libs}/events"
  loggers_folder = "{libs}/loggers"
  log_to_stdout = true
  debug_level = 3
  session_timeout = 0
  admin_secret = "bench-{secret}"
}}
media: {{ rtp_port_range = "40000-49999" }}
nat: {{ ignore_mdns = true }}
plugins: {{ disable = "{plugins}" }}
transports: {{ disable = "{transports}" }}
events: {{ broadcast = false }}
"""
HTTP_JCFG = """general: {{
  json = "compact"
  base_path = "/janus"
  http = true
  port = {port}
  ip = "127.0.0.1"
}}
admin: {{ admin_http = false }}
"""
# Only the streaming plugin and the HTTP transport: the others are not measured.
UNUSED_PLUGINS: Final = ",".join(
    f"libjanus_{name}.so"
    for name in ("audiobridge", "duktape", "echotest", "lua", "nosip", "recordplay", "sip",
                 "textroom", "videocall", "videoroom", "voicemail")
)  # fmt: skip
UNUSED_TRANSPORTS: Final = ",".join(
    f"libjanus_{name}.so" for name in ("mqtt", "nanomsg", "pfunix", "rabbitmq", "websockets")
)
STREAMING_JCFG = """general: {{ }}
bench: {{
  type = "rtp"
  id = {id}
  description = "bench loop"
  audio = false
  video = true
  videoport = {video_port}
  videopt = {pt}
  videocodec = "h264"
  videofmtp = "profile-level-id=42e01f;packetization-mode=1"
}}
"""


def installed() -> bool:
    return (
        shutil.which("janus") is not None and (LIBS / "plugins" / "libjanus_streaming.so").exists()
    )


def feed(loop: Sequence[EncodedPacket], port: int, fps: int, ready: MpEvent, stop: MpEvent) -> None:
    """Send the loop as RTP (H.264, RFC 6184) to 127.0.0.1:port, paced at ``fps``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payloads = []
    for packet in loop:  # packetized once: only headers change per round
        av_packet = av.Packet(packet.data)
        payloads.append(H264Encoder._packetize(H264Encoder._split_bitstream(bytes(av_packet))))
    ready.set()
    seq, ssrc, step = 0, 0x5EED, CLOCK_RATE // fps
    began, frame = time.monotonic(), 0
    while not stop.is_set():
        for parts in payloads:
            timestamp = (frame * step) & 0xFFFFFFFF
            for i, payload in enumerate(parts):
                rtp = RtpPacket(payload_type=PAYLOAD_TYPE, sequence_number=seq & 0xFFFF,
                                timestamp=timestamp, ssrc=ssrc, marker=int(i == len(parts) - 1),
                                payload=payload)  # fmt: skip
                sock.sendto(rtp.serialize(), ("127.0.0.1", port))
                seq += 1
            frame += 1
            delay = began + frame / fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if stop.is_set():
                break


class JanusProcess:
    mode = "janus"

    def __init__(self, loop: Sequence[EncodedPacket], fps: int) -> None:
        self.loop, self.fps = loop, fps
        self.port, self.video_port = free_port(), free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="bench-janus-"))
        self.process: subprocess.Popen[bytes] | None = None
        self._feeder: Any = None
        self._stop: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    def start(self) -> None:
        if not installed():
            raise RuntimeError("janus is not installed (apt-get install janus)")
        secret = os.urandom(8).hex()
        (self.dir / "janus.jcfg").write_text(
            JANUS_JCFG.format(
                dir=self.dir,
                libs=LIBS,
                secret=secret,
                plugins=UNUSED_PLUGINS,
                transports=UNUSED_TRANSPORTS,
            )
        )
        (self.dir / "janus.transport.http.jcfg").write_text(HTTP_JCFG.format(port=self.port))
        (self.dir / "janus.plugin.streaming.jcfg").write_text(
            STREAMING_JCFG.format(id=MOUNTPOINT, video_port=self.video_port, pt=PAYLOAD_TYPE)
        )
        log = (self.dir / "janus.log").open("wb")
        self.process = subprocess.Popen(
            ["janus", "-C", str(self.dir / "janus.jcfg"), "-F", str(self.dir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 30
        while not self._answers():
            self.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"janus did not answer within 30 s: {self.log_tail()}")
            time.sleep(0.1)
        context = mp.get_context("spawn")
        ready, self._stop = context.Event(), context.Event()
        self._feeder = context.Process(
            target=feed,
            args=(list(self.loop), self.video_port, self.fps, ready, self._stop),
            daemon=True,
        )
        self._feeder.start()
        if not ready.wait(30):
            raise RuntimeError("the RTP feeder did not start")

    def _answers(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}/info", timeout=1) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def check(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"janus died: {self.log_tail()}")

    def cpu(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def log_tail(self) -> str:
        log = self.dir / "janus.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def close(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._feeder is not None:
            self._feeder.join(5)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class JanusViewer(WhepViewer):
    """A viewer of the Janus mountpoint, signalled over Janus's HTTP API."""

    async def connect(self, camera_id: str, stream: str = "sub") -> int:
        api = self.base_url
        async with aiohttp.ClientSession() as http:
            session = await _call(http, api, {"janus": "create"})
            sid = session["data"]["id"]
            handle = await _call(
                http, f"{api}/{sid}", {"janus": "attach", "plugin": "janus.plugin.streaming"}
            )
            hid = handle["data"]["id"]
            await _call(
                http,
                f"{api}/{sid}/{hid}",
                {"janus": "message", "body": {"request": "watch", "id": MOUNTPOINT}},
            )
            offer = await _jsep(http, f"{api}/{sid}")
            self.pc.on("track", self._on_track)
            self.posted = time.monotonic()
            await self.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            answer = {"type": "answer", "sdp": self.pc.localDescription.sdp, "trickle": False}
            await _call(
                http,
                f"{api}/{sid}/{hid}",
                {"janus": "message", "body": {"request": "start"}, "jsep": answer},
            )
        self.status, self.camera_id = 201, camera_id
        return 201


async def _call(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    body = {**body, "transaction": f"t{next(_transactions)}"}
    async with http.post(url, json=body) as response:
        answer: dict[str, Any] = await response.json(content_type=None)
    if answer.get("janus") not in ("success", "ack"):
        raise RuntimeError(f"janus refused {body['janus']}: {answer}")
    return answer


async def _jsep(http: aiohttp.ClientSession, session_url: str) -> dict[str, Any]:
    """Long-poll the session's events until the one carrying Janus's offer."""
    for _ in range(20):
        async with http.get(
            f"{session_url}?maxev=1", timeout=aiohttp.ClientTimeout(total=40)
        ) as response:
            event: dict[str, Any] = await response.json(content_type=None)
        if "jsep" in event:
            return dict(event["jsep"])
    raise RuntimeError("janus sent no offer")
