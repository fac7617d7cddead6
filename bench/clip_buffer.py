"""The relay's clip buffer (issue 16): what keeping the last ``history_s`` seconds of a
pulled stream costs in memory, beside the baseline that predicts it (the stream's
measured bitrate × the seconds kept), and how long remuxing the whole buffer into an
MP4 takes (no decoding: the clip a "保存录像" of a minute asks for).

Real parts: the relay's ``CameraHub`` pulling simulated cameras (the same H.264 the
demo's cameras send: main 1280×720, sub 640×360, 15 fps, 2 s GOP) through
``streams.relay.clips.remux_mp4``.

``python -m bench.clip_buffer [--seconds 70] [--history 60] [--markdown]``
Exits 1 when a measurement could not be made.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from typing import get_args

from bench.report import markdown_table, run_reporting
from streams.packets import EncodedPacket, StreamName
from streams.relay.clips import clip_seconds, remux_mp4
from streams.relay.hub import CameraHub
from streams.sources.registry import open_source


class _Keep:
    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        return None


async def measure(seconds: float, history_s: float) -> list[list[str]]:
    streams: tuple[StreamName, ...] = get_args(StreamName)
    cameras = {"BENCH-1": {name: f"sim://BENCH-1?stream={name}" for name in streams}}
    hub = CameraHub(cameras, open_source, history_s=history_s)
    viewer = _Keep()
    for name in streams:
        hub.subscribe("BENCH-1", name, viewer)
    started = time.monotonic()
    try:
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - started
        kept = f"{history_s:.0f} s"
        rows = [["stream", "bitrate kbit/s", f"baseline: bitrate × {kept} MB", "buffer MB",
                 "ratio", "span s", f"remux {kept} ms (median of 3)"]]  # fmt: skip
        for stats in hub.stats():
            bitrate = stats.bytes_received * 8 / elapsed
            predicted = bitrate / 8 * history_s
            packets = hub.history(stats.camera_id, stats.stream, history_s)
            if not packets:
                raise RuntimeError(f"{stats.stream}: nothing kept")
            timings = []
            for _ in range(3):
                began = time.perf_counter()
                mp4 = await asyncio.to_thread(remux_mp4, packets)
                timings.append((time.perf_counter() - began) * 1000)
            if not mp4:
                raise RuntimeError(f"{stats.stream}: empty MP4")
            rows.append([
                stats.stream, f"{bitrate / 1000:.0f}", f"{predicted / 1e6:.2f}",
                f"{stats.history_bytes / 1e6:.2f}", f"{stats.history_bytes / predicted:.2f}",
                f"{clip_seconds(packets):.1f}", f"{statistics.median(timings):.0f}",
            ])  # fmt: skip
        return rows
    finally:
        await hub.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=70.0, help="how long to pull")
    parser.add_argument("--history", type=float, default=60.0, help="seconds kept")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    def run() -> list[str]:
        rows = asyncio.run(measure(args.seconds, args.history))
        if args.markdown:
            print(markdown_table(rows))
        else:
            for row in rows:
                print("  ".join(f"{cell:>14}" for cell in row))
        return [] if len(rows) > 1 else ["no stream measured"]

    return run_reporting(run)


if __name__ == "__main__":
    sys.exit(main())
