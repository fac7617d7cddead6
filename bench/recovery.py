"""Recovery benchmark (issue 13): ``kill -9`` of each part of ``citywall demo`` and the
time until a wall screen in a real Chromium is whole again, the supervisor having
restarted the part.

- relay: kill → every camera cell of the screen plays again (data-state "playing" and
  data-frames rising). Baseline, same run: the first play after the page loads.
- aggregator: SIGSTOP until the screen shows its stale badges, then kill → the badges
  clear (#wall data-live-state "live"); timed from the kill and from the new process.
- web: kill → the screen's event stream has connected again (#wall data-live-connects
  counts the page's connections) and its data is live.

``python -m bench.recovery [--rounds 3] [--quick] [--markdown]``; --quick: 1 round.
Exits 0 only when every part came back in every round (else 1, saying which did not).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from bench.report import markdown_table, run_reporting
from testkit.chromium import Chromium
from testkit.demo import Demo, wait_for
from testkit.signin import sign_in

GOAL_S: Final = 5.0
TIMEOUT_S: Final = 60.0
SCREEN: Final = 10  # the shipped wall's screen with the four-camera tile
CELLS: Final = "#wall [data-camera-id]"
PLAYING_JS: Final = f"""
return Array.from(document.querySelectorAll('{CELLS}'))
  .map(c => [c.dataset.state, Number(c.dataset.frames || 0)]);
"""


def _until(condition: Callable[[], bool], what: str) -> float:
    """Seconds until ``condition`` holds."""
    began = time.monotonic()
    wait_for(lambda: "yes" if condition() else None, what, TIMEOUT_S)
    return time.monotonic() - began


def cells_playing(driver: Chromium) -> Callable[[], bool]:
    """A probe: every camera cell is playing and presented new frames since last asked."""
    last: dict[int, int] = {}

    def probe() -> bool:
        cells: list[list[object]] = driver.execute_script(PLAYING_JS)
        counts = {i: int(str(frames)) for i, (_state, frames) in enumerate(cells)}
        rising = all(
            state == "playing" and i in last and counts[i] > last[i]
            for i, (state, _frames) in enumerate(cells)
        )
        last.clear()
        last.update(counts)
        return bool(cells) and rising

    return probe


def live_state(driver: Chromium) -> str:
    return str(driver.execute_script("return document.getElementById('wall').dataset.liveState"))


def relay_round(demo: Demo, driver: Chromium) -> float:
    pid = demo.pid("relay")
    _until(cells_playing(driver), "cameras playing before the kill")
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    _until(lambda: any(state != "playing" for state, _ in driver.execute_script(PLAYING_JS)),
           "cameras noticing the relay is gone")  # fmt: skip
    demo.restarted("relay", pid)
    _until(cells_playing(driver), "cameras playing again")
    return time.monotonic() - killed


def aggregator_round(demo: Demo, driver: Chromium) -> tuple[float, float]:
    pid = demo.pid("aggregator")
    _until(lambda: live_state(driver) == "live", "live data before the stop")
    os.kill(pid, signal.SIGSTOP)  # frozen: no heartbeat, the screen goes stale
    try:
        _until(lambda: live_state(driver) == "stale", "stale badges")
    finally:
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    demo.restarted("aggregator", pid)
    returned = time.monotonic()
    _until(lambda: live_state(driver) == "live", "stale badges cleared")
    return time.monotonic() - killed, time.monotonic() - returned


def web_round(demo: Demo, driver: Chromium) -> float:
    pid = demo.pid("web")
    _until(lambda: live_state(driver) == "live", "live data before the kill")
    before = connects(driver)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    demo.restarted("web", pid)
    _until(lambda: connects(driver) > before and live_state(driver) == "live",
           "the screen reconnected")  # fmt: skip
    return time.monotonic() - killed


def connects(driver: Chromium) -> int:
    return int(driver.execute_script(
        "return Number(document.getElementById('wall').dataset.liveConnects || 0)"))  # fmt: skip


def run(rounds: int, markdown: bool) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="citywall-recovery-") as directory:
        demo = Demo(Path(directory))
        driver = Chromium(1920, 1080)
        try:
            sign_in(driver, demo.url, "admin", then=f"/wall/screen/{SCREEN}",
                    password=demo.password)  # fmt: skip
            driver.get(f"{demo.url}/wall/screen/{SCREEN}")
            first_play = _until(cells_playing(driver), "the first play")
            relay, aggregator, web = [], [], []
            for _ in range(rounds):
                relay.append(relay_round(demo, driver))
                aggregator.append(aggregator_round(demo, driver))
                web.append(web_round(demo, driver))
        finally:
            driver.quit()
            demo.stop()
    _report(first_play, relay, aggregator, web, markdown)
    worst = {"relay recovery": max(relay), "stale badges clearing": max(a[1] for a in aggregator)}
    return [f"{name} took over {GOAL_S:.0f} s" for name, s in worst.items() if s > GOAL_S]


def _report(first: float, relay: list[float], aggregator: list[tuple[float, float]],
            web: list[float], markdown: bool) -> None:  # fmt: skip
    def cell(values: Sequence[float]) -> str:
        return f"{statistics.median(values):.1f} s (max {max(values):.1f})"

    rows = [
        ["kill -9 of", "until the screen is whole again", "median (max)", "÷ baseline"],
        ["(baseline)", "first play of the camera tile after page load", f"{first:.1f} s", "1.0"],
        ["relay", "every camera cell playing, frames rising", cell(relay),
         f"{statistics.median(relay) / first:.2f}"],
        ["aggregator", "stale badges clear, from the kill", cell([a[0] for a in aggregator]), ""],
        ["aggregator", "stale badges clear, from its return", cell([a[1] for a in aggregator]), ""],
        ["web", "event stream back (live)", cell(web), ""],
    ]  # fmt: skip
    if markdown:
        print(markdown_table(rows))
    else:
        for row in rows:
            print("  ".join(f"{value:<46}" if i == 1 else f"{value:<16}"
                            for i, value in enumerate(row)))  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recovery", description=__doc__)
    parser.add_argument("--rounds", type=int, default=None, help="kills of each part (3)")
    parser.add_argument("--quick", action="store_true", help="one round")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args(argv)
    rounds = max(1, args.rounds or (1 if args.quick else 3))
    return run_reporting(lambda: run(rounds, args.markdown))


if __name__ == "__main__":
    sys.exit(main())
