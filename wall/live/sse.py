"""``GET /live/events?tiles=a,b``: the live tiles of one page as server-sent events.

Each message is one line of JSON: ``{"seq", "full", "tiles", "status", "update_ms"}``
for a frame, ``{"status"}`` alone once a second in between (the screens' clock for
the stale badge and their proof that the server is alive). Tile fragments are
serialized once per frame by the hub; a message only joins the ones a page shows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator

from flask import Flask, Response, request

from wall.live.hub import Frame, LiveHub, Status, merge_changes
from wall.live.values import dumps

HEARTBEAT_S = 1.0
UNCONFIGURED = Status(stale=True, reason="unconfigured", fresh_ms=0)


def install_live_routes(server: Flask, hub: LiveHub | None) -> None:
    @server.route("/live/events")
    def _live_events() -> Response:
        asked = request.args.get("tiles", "").split(",")
        known = hub.tile_ids if hub is not None else set()
        tiles = [tile_id for tile_id in asked if tile_id in known]
        stream = messages(hub, tiles) if hub is not None else _unconfigured()
        return Response(
            stream,
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )


def messages(hub: LiveHub, tiles: Iterable[str]) -> Iterator[str]:
    wanted = list(tiles)
    yield "retry: 1000\n\n"  # reconnect after 1 s when the server goes away
    seq, status = -1, None
    while True:
        frame, latest = hub.wait(seq, status, timeout=HEARTBEAT_S)
        now_ms = int(time.time() * 1000)
        if frame.seq != seq:
            yield _frame_message(hub, frame, seq, wanted, latest.as_json(now_ms))
            seq = frame.seq
        else:
            yield _data({"status": latest.as_json(now_ms)})
        status = latest


def _fragments(hub: LiveHub, frame: Frame, seq: int) -> tuple[dict[str, str], bool]:
    """Tile id -> JSON to send, and whether it is a delta: the frame's own delta when
    the screen is one frame behind (the usual case, serialized once for all), the
    merged deltas when it is a few behind, else everything."""
    if seq < 0:
        return frame.full, False
    if frame.seq == seq + 1:
        return frame.delta, True
    frames = hub.frames_after(seq, frame)
    if frames is None:
        return frame.full, False
    return {tile_id: dumps(parts) for tile_id, parts in merge_changes(frames).items()}, True


def _frame_message(
    hub: LiveHub, frame: Frame, seq: int, tiles: list[str], status: dict[str, object]
) -> str:
    source, delta = _fragments(hub, frame, seq)
    fragments = ",".join(
        f"{json.dumps(tile_id)}:{source[tile_id]}" for tile_id in tiles if tile_id in source
    )
    if delta and not fragments:
        return _data({"seq": frame.seq, "full": False, "tiles": {}, "status": status})
    head = json.dumps({"seq": frame.seq, "full": not delta, "update_ms": frame.update_ms,
                       "status": status})  # fmt: skip
    return f'data: {head[:-1]},"tiles":{{{fragments}}}}}\n\n'


def _data(message: dict[str, object]) -> str:
    return f"data: {json.dumps(message, ensure_ascii=False)}\n\n"


def _unconfigured() -> Iterator[str]:
    """No Redis configured: the tiles say so instead of waiting forever."""
    yield "retry: 5000\n\n"
    while True:
        yield _data({"status": UNCONFIGURED.as_json(0)})
        time.sleep(5.0)
