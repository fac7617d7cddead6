"""What ``transcode: h264`` costs (issue 17): CPU per watched stream of a camera the
relay decodes and re-encodes, beside the baseline measured in the same run — the same
kind of camera passed through (H.264, no decoding). Real parts: GStreamer RTSP cameras
(1280×720, 15 fps, GOP 2 s; one H.265 from x265enc, one H.264 baseline) and the
relay's own sources (``streams.sources.transcode``, ``streams.sources.rtsp``), pulled
in this process; CPU is this process's (the sources' threads), not the cameras'.

``python -m bench.transcode [--seconds 20] [--rounds 3] [--markdown]``
(also run by ``python -m bench.relay --transcode``). Exits 1 when a measurement could
not be made.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable

from bench.report import markdown_table, run_reporting
from streams.packets import PacketSource
from streams.sources.rtsp import RtspSource
from streams.sources.transcode import TranscodeSource
from tests.rtsp import RtspServer


async def pull(source: PacketSource, seconds: float) -> tuple[float, int]:
    """(CPU seconds of this process per second pulled, packets out) over ``seconds``,
    counted from the first packet (the camera's handshake left out)."""
    iterator = source.packets()
    packets = 0
    started_cpu = started = 0.0
    try:
        async for _packet in iterator:
            if packets == 0:
                started_cpu, started = time.process_time(), time.monotonic()
            packets += 1
            if time.monotonic() - started >= seconds and packets > 1:
                break
    finally:
        await iterator.aclose()  # type: ignore[attr-defined]
    elapsed = time.monotonic() - started
    return (time.process_time() - started_cpu) / elapsed, packets


def measure(seconds: float, rounds: int) -> list[list[str]]:
    with RtspServer(paths=["/h264", "/h265=h265"], size="1280x720", fps=15) as camera:
        kinds: list[tuple[str, Callable[[], PacketSource]]] = [
            ("H.264 passed through (baseline)", lambda: RtspSource(camera.url("/h264"))),
            ("H.265 → H.264 640 wide (transcode)",
             lambda: TranscodeSource("transcode:" + camera.url("/h265"))),
            ("H.264 → H.264 640 wide (transcode)",
             lambda: TranscodeSource("transcode:" + camera.url("/h264"))),
        ]  # fmt: skip
        results: dict[str, list[tuple[float, int]]] = {name: [] for name, _ in kinds}
        for _ in range(rounds):  # interleaved: a noisy moment hits every kind alike
            for name, make in kinds:
                results[name].append(asyncio.run(pull(make(), seconds)))
    baseline = statistics.median(cpu for cpu, _ in results[kinds[0][0]])
    rows = [["stream", "CPU % of a core (median)", "× baseline", "frames/s out"]]
    for name, samples in results.items():
        cpu = statistics.median(c for c, _ in samples)
        fps = statistics.median(n for _, n in samples) / seconds
        rows.append([name, f"{cpu * 100:.1f}", f"{cpu / baseline:.1f}", f"{fps:.1f}"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)

    def run() -> list[str]:
        rows = measure(args.seconds, args.rounds)
        print(markdown_table(rows) if args.markdown else "\n".join("  ".join(r) for r in rows))
        return [] if len(rows) == 4 else ["a stream was not measured"]

    return run_reporting(run)


if __name__ == "__main__":
    sys.exit(main())
