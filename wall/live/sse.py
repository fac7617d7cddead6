"""``GET /live/events?tiles=a,b``: the live tiles of one page as server-sent events.

Each message is one line of JSON: ``{"seq", "full", "tiles", "status", "update_ms"}``
for a frame that changes a tile the page shows (``seq`` may then skip the frames of
other tiles), ``{"status"}`` alone after a second without a message (the screens' clock for
the stale badge and their proof that the server is alive). Tile fragments are
serialized once per frame by the hub; a message only joins the ones a page shows.

The open streams are counted (``ScreenStreams``, in ``server.extensions[LIVE_STREAMS]``)
and a frame an update caused is timed once it has left for a screen: the web tier's
metrics and the process's heartbeat read them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator

from flask import Flask, Response, request

from wall.live.hub import Frame, LiveHub, Status, merge_changes
from wall.live.observe import LiveObserver, ScreenStreams
from wall.live.values import dumps

HEARTBEAT_S = 1.0
UNCONFIGURED = Status(stale=True, reason="unconfigured", fresh_ms=0)
LIVE_STREAMS = "citywall.live_streams"  # the server.extensions key of its ScreenStreams


def install_live_routes(server: Flask, hub: LiveHub | None) -> None:
    streams = ScreenStreams()
    server.extensions[LIVE_STREAMS] = streams
    if hub is not None:
        hub.screens = streams.count

    @server.route("/live/events")
    def _live_events() -> Response:
        asked = request.args.get("tiles", "").split(",")
        known = hub.tile_ids if hub is not None else set()
        tiles = [tile_id for tile_id in asked if tile_id in known]
        body = messages(hub, tiles, streams.observer) if hub is not None else _unconfigured()
        return Response(
            counted(body, streams),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )


def screen_streams(server: Flask) -> ScreenStreams | None:
    """The server's open event streams (None before ``install_live_routes``)."""
    streams: ScreenStreams | None = server.extensions.get(LIVE_STREAMS)
    return streams


def counted(body: Iterator[str], streams: ScreenStreams) -> Iterator[str]:
    """``body``, counted as open from its first message until the server closes it (the
    screen went away: a write failed, or the server stops)."""
    streams.opened()
    try:
        yield from body
    finally:
        streams.closed()


def messages(
    hub: LiveHub, tiles: Iterable[str], observer: LiveObserver | None = None
) -> Iterator[str]:
    wanted = list(tiles)
    observer = observer or LiveObserver()
    yield "retry: 1000\n\n"  # reconnect after 1 s when the server goes away
    seq, status = -1, None
    quiet_since = time.monotonic()
    while True:
        timeout = max(0.0, quiet_since + HEARTBEAT_S - time.monotonic())
        frame, latest = hub.wait(seq, status, timeout=timeout)
        now_ms = int(time.time() * 1000)
        message, news = None, False
        if frame.seq != seq:
            message, news = _frame_message(hub, frame, seq, wanted, latest.as_json(now_ms))
            seq = frame.seq
        if message is None and (latest != status or time.monotonic() >= quiet_since + HEARTBEAT_S):
            message = _data({"status": latest.as_json(now_ms)})
        status = latest
        if message is None:
            continue  # a frame of tiles this page does not show: nothing to send
        yield message
        quiet_since = time.monotonic()
        # Asked for the next message: this one has gone to the server's socket.
        if news and frame.trigger_ms:
            observer.pushed(max(0.0, time.time() - frame.trigger_ms / 1000))


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
) -> tuple[str | None, bool]:
    """The message (None: the frame changes none of this page's tiles, so it is not
    sent: most frames concern a few tiles of one screen, and each message is a write
    the server makes for every open page), and whether it brings the page news."""
    source, delta = _fragments(hub, frame, seq)
    fragments = ",".join(
        f"{json.dumps(tile_id)}:{source[tile_id]}" for tile_id in tiles if tile_id in source
    )
    if delta and not fragments:
        return None, False
    head = json.dumps({"seq": frame.seq, "full": not delta, "update_ms": frame.update_ms,
                       "status": status})  # fmt: skip
    return f'data: {head[:-1]},"tiles":{{{fragments}}}}}\n\n', delta


def _data(message: dict[str, object]) -> str:
    return f"data: {json.dumps(message, ensure_ascii=False)}\n\n"


def _unconfigured() -> Iterator[str]:
    """No Redis configured: the tiles say so instead of waiting forever."""
    yield "retry: 5000\n\n"
    while True:
        yield _data({"status": UNCONFIGURED.as_json(0)})
        time.sleep(5.0)
