"""Evidence clips (执法取证 · 录像): an operator records a camera, the last seconds the
relay keeps (up to 60) plus what follows until they stop (up to 5 minutes).

The relay records and remuxes (streams/relay/clips.py: H.264 as the camera sent it,
into MP4, no re-encoding); here a recording under way is kept in Redis
(``Keys.clips_recording``: any web process, any operator can stop it), and a stopped
one is fetched from the relay, written as ``<snapshot directory>/clips/<YYYYMMDD>/<id>.mp4``
(whole or not at all), registered with its SHA-256 in ``Keys.clips`` (never trimmed:
the retention sweep deletes entries, like snapshots'), linked to its case, audited.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import redis

from core.keys import Keys
from core.tokens import sign_clip_token
from wall.auth.audit import AuditLog
from wall.config.models import CAMERA_ID_PATTERN, WallConfigBase
from wall.control.evidence import EvidenceIndex
from wall.control.retention import CLIPS_SUBDIRECTORY
from wall.control.snapshots import CASE_ID_PATTERN, SnapshotError, SnapshotStore

CLIP_ID_PATTERN = re.compile(r"^(\d{8})-\d{6}-\d{3}-[0-9a-f]{6}$")
MAX_BEFORE_S = 60.0
MAX_SECONDS = 300.0
STOP_TIMEOUT_S = 60.0  # remuxing five minutes of a main stream takes a few seconds
MAX_MP4_BYTES = 512 * 1024 * 1024


class ClipError(SnapshotError):
    """The clip could not be started or saved (``status``: the HTTP status to answer)."""


@dataclass(frozen=True)
class Recording:
    id: str
    camera_id: str
    operator: str
    case_id: str | None
    started_ms: int
    before_s: float  # the pre-roll the relay had
    stream: str
    relay_url: str
    relay_id: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Clip:
    id: str
    at_ms: int  # when it was saved
    started_ms: int  # the first picture's time
    seconds: float
    camera_id: str
    camera_name: str
    stream: str
    operator: str  # who started it
    saved_by: str
    case_id: str | None
    bytes: int
    sha256: str
    path: str  # relative to the clips directory, "/"-separated

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def clip_url(clip_id: str) -> str:
    return f"/clips/{clip_id}.mp4"


class ClipStore:
    def __init__(
        self,
        client: redis.Redis,
        config: WallConfigBase,
        snapshots: SnapshotStore,
        relay_key: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        keys = Keys(config.redis.prefix)
        self._client = client
        self._config = config
        self._snapshots = snapshots  # where the relay is, the directory, free space
        self._relay_key = relay_key
        self._clock = clock
        self._stream = keys.clips
        self._recording = keys.clips_recording
        self._audit = AuditLog(client, keys)
        self._evidence = EvidenceIndex(client, keys)
        self._zone = ZoneInfo(config.wall.timezone)
        self._names = config.camera_names()
        self.directory = snapshots.directory / CLIPS_SUBDIRECTORY

    # ── recording ───────────────────────────────────────────────────────
    def start(
        self, camera_id: str, by: str, case_id: str | None = None, before_s: float = 10.0
    ) -> Recording:
        """Ask the camera's relay to record. ``ValueError`` for bad input."""
        if not re.fullmatch(CAMERA_ID_PATTERN, camera_id):
            raise ValueError(f"not a camera id: {camera_id!r}")
        case_id = (case_id or "").strip() or None
        if case_id is not None and not CASE_ID_PATTERN.fullmatch(case_id):
            raise ValueError(f"case id {case_id!r}: 1 to 64 letters, digits or . _ : -")
        if not 0 <= before_s <= MAX_BEFORE_S:
            raise ValueError(f"before_s: 0 to {MAX_BEFORE_S:.0f} seconds")
        if camera_id not in self._names:
            raise ClipError(f"no camera {camera_id!r}", status=404)
        base = self._snapshots.relay_url(camera_id)
        body = {"before_s": before_s, "max_s": MAX_SECONDS}
        answer = json.loads(self._relay(base, camera_id, by, "", body, 15.0)[0])
        at_ms = int(self._clock() * 1000)
        recording = Recording(
            id=self._new_id(at_ms), camera_id=camera_id, operator=by, case_id=case_id,
            started_ms=int(answer.get("started_ms") or at_ms),
            before_s=float(answer.get("before_s") or 0.0), stream=str(answer.get("stream", "")),
            relay_url=base, relay_id=str(answer["id"]),
        )  # fmt: skip
        self._client.hset(self._recording, recording.id, json.dumps(recording.as_json()))
        self._audit.record(by, "clip.start", None, recording.as_json())
        return recording

    def recordings(self) -> list[Recording]:
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._recording))
        found = [Recording(**json.loads(value)) for value in raw.values()]
        return sorted(found, key=lambda r: r.started_ms)

    def stop(self, clip_id: str, by: str) -> Clip:
        """Stop the recording, fetch its MP4 from the relay, store and register it."""
        raw = cast(bytes | None, self._client.hget(self._recording, clip_id))
        if raw is None:
            raise ClipError(f"no recording {clip_id!r} under way", status=404)
        recording = Recording(**json.loads(raw))
        path = f"{recording.relay_id}/stop"
        try:
            mp4, headers = self._relay(
                recording.relay_url, recording.camera_id, by, path, None, STOP_TIMEOUT_S
            )
        except ClipError as exc:
            if exc.status == 404:  # the relay restarted or dropped it: nothing to save
                self._client.hdel(self._recording, clip_id)
            raise
        if not mp4.startswith(b"\x00\x00\x00") or b"ftyp" not in mp4[:16]:
            raise ClipError(f"camera {recording.camera_id}: the relay sent no MP4")
        relative = f"{clip_id[:8]}/{clip_id}.mp4"
        self._snapshots.check_free_space(len(mp4))
        try:
            self._snapshots.write_file(self.directory / relative, mp4)
        except OSError as exc:
            raise ClipError(f"cannot store the clip: {exc}", status=500) from exc
        clip = Clip(
            id=clip_id, at_ms=int(self._clock() * 1000), started_ms=recording.started_ms,
            seconds=float(headers.get("X-Clip-Seconds") or 0.0),
            camera_id=recording.camera_id, camera_name=self._names.get(recording.camera_id, ""),
            stream=headers.get("X-Clip-Stream") or recording.stream, operator=recording.operator,
            saved_by=by, case_id=recording.case_id, bytes=len(mp4),
            sha256=hashlib.sha256(mp4).hexdigest(), path=relative,
        )  # fmt: skip
        fields = {key: "" if value is None else str(value) for key, value in asdict(clip).items()}
        pipe = self._client.pipeline(transaction=True)
        pipe.xadd(self._stream, fields)  # type: ignore[arg-type]
        pipe.hdel(self._recording, clip_id)
        pipe.execute()
        if clip.case_id is not None:
            self._evidence.link(clip.case_id, "clip", clip.as_json(), clip_url(clip.id))
        self._audit.record(by, "clip.save", None, clip.as_json())
        return clip

    # ── reading ─────────────────────────────────────────────────────────
    def latest(self, n: int = 50) -> list[Clip]:
        raw = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            self._client.xrevrange(self._stream, count=max(1, min(n, 1000))),
        )
        return [_clip(fields) for _, fields in raw]

    def path_of(self, clip_id: str) -> Path | None:
        match = CLIP_ID_PATTERN.fullmatch(clip_id)
        if match is None:
            return None
        path = self.directory / match.group(1) / f"{clip_id}.mp4"
        return path if path.is_file() else None

    # ── the relay ───────────────────────────────────────────────────────
    def _relay(
        self, base: str, camera_id: str, user: str, path: str, body: Any, timeout: float
    ) -> tuple[bytes, dict[str, str]]:
        token = sign_clip_token(self._relay_key, user, camera_id)
        url = f"{base}/clips/{urllib.parse.quote(camera_id, safe='')}" + (
            f"/{path}" if path else ""
        )
        data = json.dumps(body if body is not None else {}).encode()
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        try:
            with opener.open(request, timeout=timeout) as response:
                content = cast(bytes, response.read(MAX_MP4_BYTES + 1))
                headers = {key: value for key, value in response.headers.items()}
        except urllib.error.HTTPError as exc:
            raise _refusal(camera_id, exc) from None
        except (OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ClipError(f"the video relay at {base} is unreachable: {reason}") from None
        if len(content) > MAX_MP4_BYTES:
            raise ClipError(f"camera {camera_id}: the clip is larger than 512 MB")
        return content, headers

    def _new_id(self, at_ms: int) -> str:
        stamp = datetime.fromtimestamp(at_ms / 1000, self._zone)
        return f"{stamp:%Y%m%d-%H%M%S}-{at_ms % 1000:03d}-{secrets.token_hex(3)}"


def _refusal(camera_id: str, exc: urllib.error.HTTPError) -> ClipError:
    try:
        message = str(json.loads(exc.read())["error"])
    except (ValueError, KeyError, TypeError, OSError):
        message = f"the video relay answered {exc.code}"
    if exc.code == 401:
        return ClipError("the video relay refused the token (one key for web and relay?)")
    if exc.code in (404, 429, 503):
        return ClipError(f"camera {camera_id}: {message}", status=exc.code)
    return ClipError(f"camera {camera_id}: {message}")


def _clip(fields: dict[bytes, bytes]) -> Clip:
    text = {key.decode(): value.decode() for key, value in fields.items()}
    return Clip(
        id=text["id"], at_ms=int(text["at_ms"]), started_ms=int(text["started_ms"]),
        seconds=float(text["seconds"]), camera_id=text["camera_id"],
        camera_name=text.get("camera_name", ""), stream=text.get("stream", ""),
        operator=text["operator"], saved_by=text.get("saved_by", ""),
        case_id=text.get("case_id") or None, bytes=int(text["bytes"]), sha256=text["sha256"],
        path=text["path"],
    )  # fmt: skip
