"""WHEP (RFC 9725) over aiohttp: one POST per viewer, answered with every candidate
gathered (no trickle: PATCH is 405), DELETE to leave; plus /healthz and /metrics.

``POST /whep/{camera_id}?stream=main|sub`` (``Authorization: Bearer``, ``application/sdp``)
-> 201, the answer, ``Location: /whep/{camera_id}/sessions/{session_id}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import get_args

from aiohttp import web
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from prometheus_client import CollectorRegistry

from streams.packets import StreamName
from streams.relay.hub import CameraHub, UpstreamStats
from streams.relay.metrics import CONTENT_TYPE, ViewerStats, relay_registry, render_metrics
from streams.relay.sdp import answers_h264, h264_preferences, strip_mdns_candidates
from streams.relay.shared_payload import share_payloads
from streams.relay.track import RelayTrack

log = logging.getLogger(__name__)

TokenCheck = Callable[[str, str, bool], bool]  # (token, camera id, allow expired)
STREAM_NAMES: tuple[str, ...] = get_args(StreamName)
SDP = "application/sdp"


@dataclass
class WhepOptions:
    check_token: TokenCheck
    cors_origins: Sequence[str] = ()  # "*" allows any origin
    ice_servers: Sequence[RTCIceServer] = ()
    burst_speed: float | None = None  # GOP burst pace (x real time); None: at once
    connect_timeout_s: float = 30.0  # a session not connected by then is closed
    # Another relay node owns this camera: its public URL (None: this node owns it).
    owner_elsewhere: Callable[[str], str | None] = lambda _camera_id: None


@dataclass
class Session:
    id: str
    camera_id: str
    stream: StreamName
    pc: RTCPeerConnection
    track: RelayTrack
    timer: asyncio.TimerHandle | None = None
    number: int = 0  # the how-manieth session of this relay: its name in the metrics


@dataclass
class Sessions:
    hub: CameraHub
    options: WhepOptions
    open: dict[str, Session] = field(default_factory=dict)
    sent: Counter[str] = field(default_factory=Counter)  # camera -> bytes sent to viewers
    dropped_closed: Counter[str] = field(default_factory=Counter)  # by closed sessions
    started: int = 0
    _tasks: set[asyncio.Task[bool]] = field(default_factory=set)

    # ── what the metrics read (streams.relay.metrics.RelayView) ──────────
    def upstreams(self) -> Sequence[UpstreamStats]:
        return self.hub.stats()

    def viewers(self) -> Sequence[ViewerStats]:
        return [_viewer_stats(session) for session in self.open.values()]

    def bytes_sent(self) -> Mapping[str, int]:
        return self.sent

    def dropped_total(self) -> Mapping[str, int]:
        total = Counter(self.dropped_closed)
        for session in self.open.values():
            total.update(session.track.dropped)
        return total

    def cameras(self) -> int:
        return len(self.hub.camera_ids)

    async def start(self, camera_id: str, stream: StreamName, offer: str) -> tuple[Session, str]:
        """A peer connection sending the camera to the offerer, and the SDP answer."""
        config = RTCConfiguration(iceServers=list(self.options.ice_servers))
        pc = RTCPeerConnection(config)
        session_id = secrets.token_urlsafe(16)

        # Both read the session's camera now: a switch changes it.
        def count(size: int) -> None:
            self.sent[session.camera_id] += size

        def leave() -> None:
            self.hub.unsubscribe(session.camera_id, session.stream, track)

        track = RelayTrack(burst_speed=self.options.burst_speed, on_sent=count, on_stop=leave)
        self.started += 1
        session = Session(session_id, camera_id, stream, pc, track, number=self.started)
        # The upstream starts now, while the answer is made and ICE runs.
        self.hub.subscribe(camera_id, stream, track)
        self.open[session_id] = session
        try:
            sender = pc.addTrack(track)  # before setRemoteDescription, or aiortc answers VP8
            share_payloads(sender)  # RTP payloads made once per packet, not once per viewer
            for transceiver in pc.getTransceivers():
                if transceiver.sender is sender:
                    transceiver.setCodecPreferences(h264_preferences())
            await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await self.close(session_id)
            raise web.HTTPBadRequest(text=f"cannot answer this offer: {exc}\n") from exc
        answer = pc.localDescription.sdp
        if not answers_h264(answer):
            await self.close(session_id)
            raise web.HTTPNotAcceptable(text="the offer has no H.264 video this relay can send\n")

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close(session_id)
            elif pc.connectionState == "connected" and session.timer is not None:
                session.timer.cancel()
                session.timer = None

        loop = asyncio.get_running_loop()
        session.timer = loop.call_later(
            self.options.connect_timeout_s, self._spawn_close, session_id
        )
        return session, answer

    def switch(self, session: Session, camera_id: str, stream: StreamName) -> None:
        """Send another camera down the same connection: no new offer, ICE or DTLS, so
        the new picture is one GOP burst away (the wall's tile switches and tours)."""
        self.hub.unsubscribe(session.camera_id, session.stream, session.track)
        session.track.restart()
        session.camera_id, session.stream = camera_id, stream
        self.hub.subscribe(camera_id, stream, session.track)
        log.info("session %s switched to %s/%s", session.id, camera_id, stream)

    def _spawn_close(self, session_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self.close(session_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, session_id: str) -> bool:
        session = self.open.pop(session_id, None)
        if session is None:
            return False
        if session.timer is not None:
            session.timer.cancel()
        await session.pc.close()
        session.track.stop()  # releases the viewer even if the sender never started
        self.dropped_closed.update(session.track.dropped)
        log.info("session %s (%s/%s) closed", session_id, session.camera_id, session.stream)
        return True

    async def close_all(self) -> None:
        for session_id in list(self.open):
            await self.close(session_id)
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _viewer_stats(session: Session) -> ViewerStats:
    track = session.track
    return ViewerStats(
        viewer=str(session.number), camera_id=session.camera_id, stream=session.stream,
        packets_sent=track.packets_sent, bytes_sent=track.bytes_sent, queued=track.queued,
        dropped=dict(track.dropped), fell_behind=track.fell_behind,
    )  # fmt: skip


SESSIONS = web.AppKey("sessions", Sessions)
METRICS = web.AppKey("metrics", CollectorRegistry)


def _bearer(
    request: web.Request,
    check: TokenCheck,
    allow_expired: bool = False,
    camera_id: str | None = None,
) -> None:
    """A token signed for this camera (the path's, unless named): fresh to start or
    switch a session; to end one, any age."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    camera_id = camera_id if camera_id is not None else request.match_info["camera_id"]
    if scheme.lower() != "bearer" or not check(token.strip(), camera_id, allow_expired):
        raise web.HTTPUnauthorized(
            headers={"WWW-Authenticate": 'Bearer realm="citywall-relay"'},
            text="a valid bearer token is required\n",
        )


def refuse_if_owned_elsewhere(owner_elsewhere: Callable[[str], str | None], camera_id: str) -> None:
    """421 naming the owner when another live node owns the camera: there is one
    upstream per camera across the relay nodes (core.relay_nodes)."""
    owner = owner_elsewhere(camera_id)
    if owner is not None:
        said = {"error": f"camera {camera_id!r} is relayed by {owner}", "owner": owner}
        raise web.HTTPMisdirectedRequest(text=json.dumps(said), content_type="application/json")


async def post_offer(request: web.Request) -> web.Response:
    sessions = request.app[SESSIONS]
    _bearer(request, sessions.options.check_token)
    camera_id = request.match_info["camera_id"]
    refuse_if_owned_elsewhere(sessions.options.owner_elsewhere, camera_id)
    streams = sessions.hub.streams_of(camera_id)
    if not streams:
        raise web.HTTPNotFound(text=f"no camera {camera_id!r}\n")
    stream = request.query.get("stream", "main")
    if stream not in STREAM_NAMES:
        raise web.HTTPBadRequest(text=f"stream must be one of {', '.join(STREAM_NAMES)}\n")
    if stream not in streams:
        raise web.HTTPNotFound(text=f"camera {camera_id!r} has no {stream} stream\n")
    if request.content_type != SDP:
        raise web.HTTPUnsupportedMediaType(text=f"the offer must be {SDP}\n")
    offer = strip_mdns_candidates(await request.text())
    session, answer = await sessions.start(camera_id, stream, offer)
    location = f"/whep/{camera_id}/sessions/{session.id}"
    return web.Response(status=201, text=answer, content_type=SDP, headers={"Location": location})


async def delete_session(request: web.Request) -> web.Response:
    sessions = request.app[SESSIONS]
    _bearer(request, sessions.options.check_token, allow_expired=True)
    session = sessions.open.get(request.match_info["session_id"])
    if session is None or session.camera_id != request.match_info["camera_id"]:
        raise web.HTTPNotFound(text="no such session\n")
    await sessions.close(session.id)
    return web.Response(status=200)


async def get_session(request: web.Request) -> web.Response:
    """Whether this relay still holds the session (200) or not (404): a player whose
    frames stopped asks, and starts over at once when the relay was restarted. With
    its camera stream's state and why it is offline: a player that never got a frame
    says why in words (a camera sending H.265) instead of 连接中 forever."""
    sessions = request.app[SESSIONS]
    _bearer(request, sessions.options.check_token, allow_expired=True)
    session = sessions.open.get(request.match_info["session_id"])
    if session is None or session.camera_id != request.match_info["camera_id"]:
        raise web.HTTPNotFound(text="no such session\n")
    state, reason = sessions.hub.upstream_state(session.camera_id, session.stream)
    return web.json_response({"camera": session.camera_id, "state": state, "reason": reason})


async def switch_session(request: web.Request) -> web.Response:
    """``POST /whep/{camera}/sessions/{id}/switch?camera=NEW&stream=main|sub`` with a
    token for NEW: the session now carries NEW; 200 with its new ``Location``."""
    sessions = request.app[SESSIONS]
    session = sessions.open.get(request.match_info["session_id"])
    if session is None or session.camera_id != request.match_info["camera_id"]:
        raise web.HTTPNotFound(text="no such session\n")
    new_camera = request.query.get("camera", "")
    stream = request.query.get("stream", session.stream)
    if stream not in STREAM_NAMES:
        raise web.HTTPBadRequest(text=f"stream must be one of {', '.join(STREAM_NAMES)}\n")
    if stream not in sessions.hub.streams_of(new_camera):
        raise web.HTTPNotFound(text=f"no {stream} stream of camera {new_camera!r}\n")
    _bearer(request, sessions.options.check_token, camera_id=new_camera)
    refuse_if_owned_elsewhere(sessions.options.owner_elsewhere, new_camera)
    sessions.switch(session, new_camera, stream)
    location = f"/whep/{new_camera}/sessions/{session.id}"
    return web.Response(status=200, text="switched\n", headers={"Location": location})


async def warm_camera(request: web.Request) -> web.Response:
    """``POST /whep/{camera}/warm?stream=main|sub`` (a viewer token for the camera): start
    pulling it now, for a viewer about to come (the next camera of a tour): 202."""
    sessions = request.app[SESSIONS]
    _bearer(request, sessions.options.check_token)
    camera_id = request.match_info["camera_id"]
    refuse_if_owned_elsewhere(sessions.options.owner_elsewhere, camera_id)
    stream = request.query.get("stream", "main")
    if stream not in STREAM_NAMES:
        raise web.HTTPBadRequest(text=f"stream must be one of {', '.join(STREAM_NAMES)}\n")
    if stream not in sessions.hub.streams_of(camera_id):
        raise web.HTTPNotFound(text=f"no {stream} stream of camera {camera_id!r}\n")
    sessions.hub.warm(camera_id, stream)
    return web.Response(status=202, text="warming\n")


async def patch_session(request: web.Request) -> web.Response:
    """No trickle ICE and no ICE restart: the answer carries every candidate."""
    raise web.HTTPMethodNotAllowed("PATCH", ["DELETE", "OPTIONS"])


async def preflight(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def healthz(request: web.Request) -> web.Response:
    sessions = request.app[SESSIONS]
    stats = sessions.hub.stats()
    return web.json_response(
        {
            "status": "ok",
            "cameras": len(sessions.hub.camera_ids),
            "upstreams": sum(s.running for s in stats),
            "viewers": len(sessions.open),
        }
    )


async def metrics(request: web.Request) -> web.Response:
    body = render_metrics(request.app[METRICS])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def _cors(
    origins: Sequence[str],
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        origin = request.headers.get("Origin")
        if origin is None or not ("*" in origins or origin in origins):
            return
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Expose-Headers"] = "Location, Link, ETag"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, PATCH, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"

    return add_headers


def create_whep_app(hub: CameraHub, options: WhepOptions) -> web.Application:
    """The WHEP endpoints; the caller closes the hub (``Sessions.close_all`` runs first)."""
    app = web.Application()
    sessions = Sessions(hub, options)
    app[SESSIONS] = sessions
    app[METRICS] = relay_registry(sessions)
    app.router.add_post("/whep/{camera_id}", post_offer)
    app.router.add_route("OPTIONS", "/whep/{camera_id}", preflight)
    app.router.add_delete("/whep/{camera_id}/sessions/{session_id}", delete_session)
    app.router.add_get("/whep/{camera_id}/sessions/{session_id}", get_session)
    app.router.add_patch("/whep/{camera_id}/sessions/{session_id}", patch_session)
    app.router.add_post("/whep/{camera_id}/sessions/{session_id}/switch", switch_session)
    app.router.add_post("/whep/{camera_id}/warm", warm_camera)
    app.router.add_route("OPTIONS", "/whep/{camera_id}/warm", preflight)
    app.router.add_route("OPTIONS", "/whep/{camera_id}/sessions/{session_id}/switch", preflight)
    app.router.add_route("OPTIONS", "/whep/{camera_id}/sessions/{session_id}", preflight)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.on_response_prepare.append(_cors(tuple(options.cors_origins)))

    async def shutdown(_: web.Application) -> None:
        await sessions.close_all()

    app.on_shutdown.append(shutdown)
    return app
