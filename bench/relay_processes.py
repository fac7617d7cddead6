"""One relay process against two at the same load (issue 14): the relay is one asyncio
loop, so one process is capped at one core; two processes (two relay nodes, as
``citywall relay --workers 2`` runs them) should cost the same per viewer, and so
carry twice the viewers on two cores.

The same pre-encoded loop camera and counting viewers as ``bench/relay.py`` (its
fan-out step): N viewers on one relay process, then N/2 on each of two, each round
measuring the relay processes' CPU from /proc, the viewers' frame rates and packets lost.

``python -m bench.relay_processes [--viewers 40,80] [--rounds 3] [--window 8] [--quick]``
Exits 1 when a measurement could not be made.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

import bench.relay as relay_bench
from bench.relay import RelayProcess, encode_loop, own_cpu, wait_for, watch
from bench.report import markdown_table, run_reporting
from testkit.whep import WhepViewer


@dataclass(frozen=True)
class Round:
    processes: int
    viewers: int
    relay_cpu: float  # cores, all relay processes together
    busiest: float  # cores, the busiest relay process
    fps_min: float
    lost: int
    packets: int

    @property
    def per_core(self) -> float:
        return self.viewers / self.relay_cpu if self.relay_cpu > 0 else float("inf")


async def measure(processes: int, n: int, rounds: int, window: float) -> list[Round]:
    relays = [RelayProcess("citywall") for _ in range(processes)]
    for relay in relays:
        relay.start()
    viewers: list[WhepViewer] = []
    out: list[Round] = []
    relay_bench.COUNT_ONLY = True
    try:
        async with aiohttp.ClientSession() as http:
            for i in range(n):
                viewers.append(await watch(relays[i % processes].url, http))
            if not await wait_for(lambda: all(v.frames > 0 for v in viewers), 60):
                raise RuntimeError(f"{processes} process(es), N={n}: a viewer got no frame")
            await asyncio.sleep(6.0)  # handshakes done, GOP bursts drained
            for _ in range(rounds):
                frames0 = [v.frames for v in viewers]
                stats0 = [await v.packets() for v in viewers]
                t0, cpu0 = time.monotonic(), [r.cpu() for r in relays]
                await asyncio.sleep(window)
                t1, cpu1 = time.monotonic(), [r.cpu() for r in relays]
                frames1 = [v.frames for v in viewers]
                stats1 = [await v.packets() for v in viewers]
                for relay in relays:
                    relay.check()
                seconds = t1 - t0
                each = [(b - a) / seconds for a, b in zip(cpu0, cpu1, strict=True)]
                rates = [(b - a) / seconds for a, b in zip(frames0, frames1, strict=True)]
                out.append(Round(
                    processes, n, sum(each), max(each), min(rates),
                    sum(b[1] - a[1] for a, b in zip(stats0, stats1, strict=True)),
                    sum(b[0] - a[0] for a, b in zip(stats0, stats1, strict=True)),
                ))  # fmt: skip
                last = out[-1]
                print(f"  {processes} process(es) N={n}: relay {last.relay_cpu:.2f} cores "
                      f"(busiest {last.busiest:.2f}), fps min {last.fps_min:.1f}, "
                      f"lost {last.lost}/{last.packets}, bench cpu {own_cpu():.1f} s",
                      flush=True)  # fmt: skip
            await asyncio.gather(*(v.close() for v in viewers), return_exceptions=True)
    finally:
        relay_bench.COUNT_ONLY = False
        for relay in relays:
            relay.close()
    return out


async def run(args: argparse.Namespace) -> list[str]:
    relay_bench.SHARED_LOOP = encode_loop()
    counts = [int(n) for n in args.viewers.split(",")]
    results: list[Round] = []
    for n in counts:
        for processes in (1, 2):
            results += await measure(processes, n, args.rounds, args.window)
    rows = [["N viewers", "relay processes", "relay CPU (cores, median)", "busiest process",
             "viewers per core", "÷ 1 process", "slowest viewer fps",
             "lost / received"]]  # fmt: skip
    gaps = []
    for n in counts:
        base = None
        for processes in (1, 2):
            got = [r for r in results if r.processes == processes and r.viewers == n]
            if len(got) < args.rounds:
                gaps.append(f"N={n}, {processes} process(es): {len(got)} of {args.rounds} rounds")
                continue
            cpu = statistics.median(r.relay_cpu for r in got)
            per_core = n / cpu
            base = base or per_core
            rows.append([str(n), str(processes), f"{cpu:.2f}",
                         f"{statistics.median(r.busiest for r in got):.2f}",
                         f"{per_core:.0f}", f"{per_core / base:.2f}×",
                         f"{min(r.fps_min for r in got):.1f}",
                         f"{sum(r.lost for r in got)} / "
                         f"{sum(r.packets for r in got)}"])  # fmt: skip
    print("\n" + markdown_table(rows), flush=True)
    return gaps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--viewers", default="40,80")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 5 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.window = 2, 5.0
    return run_reporting(lambda: asyncio.run(run(args)))


if __name__ == "__main__":
    sys.exit(main())
