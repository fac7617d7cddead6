"""Snapshots for evidence (执法取证): an operator takes a JPEG of a camera's picture.

The relay decodes the camera's current picture (``GET /snapshot/<camera>``, a snapshot
token signed with the relay key (core.secrets) for the operator and camera). Here a caption strip is
added below the picture (time in the hall's time zone, camera, operator, case id; every
pixel of the camera's picture is kept), the file is written as
``<directory>/<YYYYMMDD>/<id>.jpg``, its metadata (with the file's SHA-256) appended to
``<prefix>snapshots`` and the action audited (``snapshot.take``). The stream is never
trimmed: it is the evidence register.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
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
from core.relay_nodes import NodeView
from core.tokens import sign_snapshot_token
from data_feeds.events import IDENT_PATTERN
from wall.auth.audit import AuditLog
from wall.config.models import CAMERA_ID_PATTERN, WallConfigBase
from wall.control.evidence import EvidenceIndex
from wall.control.snapshot_caption import caption_jpeg

CASE_ID_PATTERN = re.compile(IDENT_PATTERN)  # a case id as every event carries it
SNAPSHOT_ID_PATTERN = re.compile(r"^(\d{8})-\d{6}-\d{3}-[0-9a-f]{6}$")
FETCH_TIMEOUT_S = 15.0  # the relay waits up to 5 s for a cold camera, then decodes
MAX_JPEG_BYTES = 50 * 1024 * 1024
LATEST_MAX = 1000

Fetch = Callable[[str], bytes]  # camera id -> JPEG (tests; default: the relay)


class SnapshotError(Exception):
    """The snapshot could not be taken; ``str()`` is for the operator, ``status`` is the
    HTTP status to answer with (404 unknown camera, 502 relay trouble, 503 no picture)."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Snapshot:
    id: str
    at_ms: int  # when it was taken
    captured_ms: int  # when the picture reached the relay (at_ms if unknown)
    camera_id: str
    camera_name: str
    operator: str
    case_id: str | None
    bytes: int
    sha256: str  # of the stored file
    path: str  # relative to the snapshot directory, "/"-separated

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class SnapshotStore:
    def __init__(
        self,
        client: redis.Redis,
        config: WallConfigBase,
        directory: Path,
        fetch: Fetch | None = None,
        relay_key: str | None = None,
        clock: Callable[[], float] = time.time,
        relays: NodeView | None = None,
    ) -> None:
        self._client = client
        self._config = config
        # Absolute: Flask's send_file reads a relative path against its package, not the cwd.
        self._directory = directory.resolve()
        self._fetch = fetch
        self._relay_key = relay_key  # signs the snapshot tokens the relay checks
        self._relays = relays  # the relay nodes: a camera's snapshot comes from its owner
        self._clock = clock
        keys = Keys(config.redis.prefix)
        self._stream = keys.snapshots
        self._audit = AuditLog(client, keys)
        self._evidence = EvidenceIndex(client, keys)
        self._zone = ZoneInfo(config.wall.timezone)
        self._names = config.camera_names()

    @property
    def directory(self) -> Path:
        return self._directory

    # ── taking ──────────────────────────────────────────────────────────
    def take(self, camera_id: str, by: str, case_id: str | None = None) -> Snapshot:
        """Fetch, caption, store, register and audit one snapshot.

        ``ValueError`` for a malformed camera or case id, ``SnapshotError`` otherwise."""
        if not re.fullmatch(CAMERA_ID_PATTERN, camera_id):
            raise ValueError(f"not a camera id: {camera_id!r}")
        case_id = (case_id or "").strip() or None
        if case_id is not None and not CASE_ID_PATTERN.fullmatch(case_id):
            raise ValueError(
                f"case id {case_id!r}: 1 to 64 letters, digits or . _ : - "
                "(starting with a letter or digit)"
            )
        name = self._names.get(camera_id)
        if name is None:
            raise SnapshotError(f"no camera {camera_id!r}", status=404)
        if self._fetch is not None:
            jpeg, captured = self._fetch(camera_id), None
        else:
            jpeg, captured = self._from_relay(camera_id, by)
        at_ms = int(self._clock() * 1000)
        captured_ms = captured or at_ms
        snapshot_id = self._new_id(at_ms)
        relative = f"{snapshot_id[:8]}/{snapshot_id}.jpg"
        when = self._local(captured_ms)
        comment = f"citywall snapshot {snapshot_id} camera {camera_id} operator {by}" + (
            f" case {case_id}" if case_id else ""
        )
        try:
            stored = caption_jpeg(jpeg, when, camera_id, name, by, case_id, comment)
        except OSError as exc:  # Pillow: not a JPEG it can read
            message = f"camera {camera_id}: the relay sent no usable picture: {exc}"
            raise SnapshotError(message) from None
        self.check_free_space(len(stored))
        try:
            self.write_file(self._directory / relative, stored)
        except OSError as exc:  # disk full, read-only, no permission: say so, lose nothing else
            if exc.errno == errno.ENOSPC:
                raise _disk_full(self._directory) from exc
            raise SnapshotError(f"cannot store the snapshot: {exc}", status=500) from exc
        snapshot = Snapshot(
            id=snapshot_id,
            at_ms=at_ms,
            captured_ms=captured_ms,
            camera_id=camera_id,
            camera_name=name,
            operator=by,
            case_id=case_id,
            bytes=len(stored),
            sha256=hashlib.sha256(stored).hexdigest(),
            path=relative,
        )
        fields = {
            key: "" if value is None else str(value) for key, value in asdict(snapshot).items()
        }
        self._client.xadd(self._stream, fields)  # type: ignore[arg-type]
        if case_id is not None:
            self._evidence.link(case_id, "snapshot", snapshot.as_json(), snapshot_url(snapshot.id))
        self._audit.record(by, "snapshot.take", None, snapshot.as_json())
        return snapshot

    def _new_id(self, at_ms: int) -> str:
        stamp = datetime.fromtimestamp(at_ms / 1000, self._zone)
        return f"{stamp:%Y%m%d-%H%M%S}-{at_ms % 1000:03d}-{secrets.token_hex(3)}"

    def _local(self, ms: int) -> str:
        stamp = datetime.fromtimestamp(ms / 1000, self._zone)
        return f"{stamp:%Y-%m-%d %H:%M:%S}.{ms % 1000:03d} {stamp:%z}"

    def check_free_space(self, needed: int) -> None:
        """Refuse before writing when the disk would keep less than snapshots.min_free_mb
        (Redis's append-only file and the logs live on it too)."""
        keep = self._config.snapshots.min_free_mb * 1024 * 1024
        probe = self._directory if self._directory.exists() else self._directory.parent
        if shutil.disk_usage(probe).free - needed < keep:
            raise _disk_full(self._directory)

    @staticmethod
    def write_file(path: Path, data: bytes) -> None:
        """Whole or not at all: a half-written file never takes the snapshot's name."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        try:
            with partial.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)

    def relay_url(self, camera_id: str | None = None) -> str:
        """Where this server reaches the relay of ``camera_id``: the node that owns it
        when relay nodes beat in Redis, else the configured relay (its listening
        address; any-address means this machine)."""
        owner = self._relays.owner(camera_id) if self._relays and camera_id else None
        if owner is not None:
            return owner.url
        relay = self._config.relay
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(relay.host, relay.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{relay.port}"

    def _from_relay(self, camera_id: str, user: str) -> tuple[bytes, int | None]:
        if self._relay_key is None:
            raise SnapshotError("no key shared with the video relay")
        token = sign_snapshot_token(self._relay_key, user, camera_id)
        base = self.relay_url(camera_id)
        url = f"{base}/snapshot/{urllib.parse.quote(camera_id, safe='')}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        try:
            with opener.open(request, timeout=FETCH_TIMEOUT_S) as response:
                data = cast(bytes, response.read(MAX_JPEG_BYTES + 1))
                captured = response.headers.get("X-Captured-At")
        except urllib.error.HTTPError as exc:
            raise _relay_refusal(camera_id, exc) from None
        except (OSError, TimeoutError) as exc:  # URLError is an OSError
            reason = getattr(exc, "reason", exc)
            message = f"the video relay at {base} is unreachable: {reason}"
            raise SnapshotError(message) from None
        if len(data) > MAX_JPEG_BYTES or not data.startswith(b"\xff\xd8"):
            raise SnapshotError(f"camera {camera_id}: the relay sent no JPEG")
        return data, int(captured) if captured and captured.isdigit() else None

    # ── reading ─────────────────────────────────────────────────────────
    def latest(self, n: int = 50) -> list[Snapshot]:
        """The newest ``n`` snapshots first."""
        count = max(1, min(n, LATEST_MAX))
        raw = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            self._client.xrevrange(self._stream, count=count),
        )
        return [_snapshot(fields) for _, fields in raw]

    def path_of(self, snapshot_id: str) -> Path | None:
        """The stored file of ``snapshot_id``; None for a malformed id or no such file."""
        match = SNAPSHOT_ID_PATTERN.fullmatch(snapshot_id)
        if match is None:
            return None
        path = self._directory / match.group(1) / f"{snapshot_id}.jpg"
        return path if path.is_file() else None


def snapshot_url(snapshot_id: str) -> str:
    return f"/snapshots/{snapshot_id}.jpg"


def _disk_full(directory: Path) -> SnapshotError:
    free_mb = shutil.disk_usage(directory if directory.exists() else directory.parent).free >> 20
    return SnapshotError(
        f"磁盘空间不足，截图未保存 / the disk is full ({free_mb} MB free at {directory}): "
        "snapshot not stored; free space or lower snapshots.retention_days",
        status=507,
    )


def _relay_refusal(camera_id: str, exc: urllib.error.HTTPError) -> SnapshotError:
    try:
        message = str(json.loads(exc.read())["error"])
    except (ValueError, KeyError, TypeError, OSError):
        message = f"the video relay answered {exc.code}"
    if exc.code == 404:
        return SnapshotError(f"the video relay has no camera {camera_id!r}", status=404)
    if exc.code == 401:
        return SnapshotError(
            "the video relay refused the token (do the web server and the relay share one key?)"
        )
    if exc.code == 503:
        return SnapshotError(message, status=503)
    return SnapshotError(f"camera {camera_id}: {message}")


def _snapshot(fields: dict[bytes, bytes]) -> Snapshot:
    text = {key.decode(): value.decode() for key, value in fields.items()}
    return Snapshot(
        id=text["id"],
        at_ms=int(text["at_ms"]),
        captured_ms=int(text.get("captured_ms") or text["at_ms"]),
        camera_id=text["camera_id"],
        camera_name=text.get("camera_name", ""),
        operator=text["operator"],
        case_id=text.get("case_id") or None,
        bytes=int(text["bytes"]),
        sha256=text["sha256"],
        path=text["path"],
    )
