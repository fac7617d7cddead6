"""Console switch benchmark (issue 6): an operator's click on /console → the new camera's
first frame on every wall screen, over two web workers, beside the video alone.

Per run: one private redis-server (``EmbeddedRedis``), one ``citywall relay`` and two
``citywall serve`` processes (workers A and B) on free ports sharing that Redis; a
bench config with one camera tile (``main``, x=0 y=0, XY-001) and the shipped
cameras.csv (simulated H.264). Headless Chromium: one operator tab on A at /console;
wall tabs at /wall/screen/1 as a viewer, one on A and one on B (``--screens N`` adds N
more, split across the workers). Each wall tab runs a recorder (MutationObserver plus a
requestAnimationFrame poll) noting ``Date.now()`` when a cell for a camera first
appears in ``#tile-main`` and when its ``data-frames`` first goes above 0.

Each round: search a camera, then click its result (t_click = ``Date.now()`` in the
operator tab right before ``element.click()``). Per wall tab: push = cell appears -
click; total = first frame - click. Two rounds in three switch to a camera not seen
for a while (its upstream cold at the relay); every third revisits the camera of two
rounds ago, still inside the relay's 10 s grace (warm). Then the baseline, "video
alone": in one wall tab (A and B in turn) the current cell is replaced by one built
as camera.js builds it, for another camera (cold, or warm in the warm rounds), at t0;
floor = first frame - t0. No console, no push: what video costs on its own. The next
round's click puts the wall back. A tab not playing within 10 s is a failure.

``python -m bench.console_switch [--rounds 30] [--screens 0] [--quick] [--markdown]
[--json PATH]``. Always exits 0: a benchmark reports, it does not fail.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from datetime import date
from pathlib import Path
from subprocess import Popen
from types import FrameType
from typing import Any, Final

import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bench import _console_switch_js as js
from bench.ingest import percentile, table
from data_feeds.redis_server import EmbeddedRedis
from tests.chromium import CHROMIUM_FLAGS
from tests.helpers import citywall_command, write_config
from tests.signin import sign_in
from wall.localhost import free_port, stop_process

GOAL_MS: Final = 500.0
TIMEOUT_S: Final = 10.0  # a tab not playing by then: a failure, not a sample
PAUSE_S: Final = 1.0
GRACE_S: Final = 10.0  # the relay keeps an upstream this long after its last viewer
TILES: Final = "  - {id: main, type: camera, x: 0, y: 0, cameras: [XY-001]}\n"
CELL: Final = '#tile-main [data-camera-id="{}"]'
RESULT: Final = '#console-results [data-camera="{}"]'


@dataclass
class Sample:
    round: int
    what: str  # switch (console click) or floor (the video alone)
    kind: str  # cold or warm: the relay's upstream for the camera
    worker: str  # A or B: the web worker of the wall tab
    tab: int
    camera: str
    t0: float  # click, or cell injected (ms, Date.now())
    seen: float | None = None  # the cell in #tile-main
    played: float | None = None  # data-frames > 0
    ack: float | None = None  # the console's message (switch only)
    token: list[float] | None = None  # [start, end] of /video/token
    whep: list[float] | None = None  # [start, end] of the WHEP POST

    @property
    def ok(self) -> bool:
        return self.played is not None

    def span(self, start: str, end: str) -> float | None:
        a, b = self._at(start), self._at(end)
        return None if a is None or b is None else b - a

    def _at(self, name: str) -> float | None:
        if name == "whep_end":
            return self.whep[1] if self.whep else None
        value: float | None = getattr(self, name)
        return value


def start(name: str, command: list[str], log: Path, env: dict[str, str]) -> Popen:
    with log.open("wb") as out:  # its own session: Ctrl+C reaches us, and we stop it
        return Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                     start_new_session=True)  # fmt: skip


def wait_http(process: Popen, log: Path, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.stem} exited:\n{log.read_text('utf-8', 'replace')[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{log.stem} did not answer within {timeout:.0f} s")


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]])


def chrome(profile: Path) -> webdriver.Chrome:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        raise RuntimeError("chromium and chromedriver are needed (Debian: chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,720")
    return webdriver.Chrome(options=options, service=Service(driver))


def quit_quietly(driver: webdriver.Chrome) -> None:
    with contextlib.suppress(Exception):  # chromedriver may be gone already (Ctrl+C)
        driver.quit()


def wait_for(what: str, test: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout:.0f} s")
        time.sleep(0.1)


@dataclass
class WallTab:
    driver: webdriver.Chrome
    worker: str
    index: int

    def frames(self, camera: str) -> int:
        script = f"return document.querySelector('{CELL.format(camera)}')?.dataset.frames"
        value = self.driver.execute_script(script)
        return int(str(value)) if value else 0

    def arm(self, camera: str) -> None:
        self.driver.execute_script(js.ARM, [camera])

    def read(self, sample: Sample) -> None:
        got: dict[str, Any] = self.driver.execute_script(js.READ, sample.camera, sample.t0)
        sample.seen, sample.played = got["seen"], got["played"]
        sample.token, sample.whep = got["token"], got["whep"]


class Bench:
    def __init__(self, stack: contextlib.ExitStack, workdir: Path, screens: int) -> None:
        self.began = time.monotonic()
        config = write_config(workdir / "console_switch.yaml", TILES)
        server = stack.enter_context(EmbeddedRedis())
        relay_port = free_port()
        env = {**os.environ, "REDIS_URL": server.url, "RELAY_PORT": str(relay_port)}
        cmd = citywall_command()
        relay = [cmd, "relay", "--config", str(config)]
        self.child(stack, "relay", relay, workdir, env, f"http://127.0.0.1:{relay_port}")
        self.bases: dict[str, str] = {}
        for worker in "AB":
            port = free_port()
            serve = [cmd, "serve", "--config", str(config), "--port", str(port)]
            self.bases[worker] = f"http://127.0.0.1:{port}"
            self.child(stack, f"serve-{worker}", serve, workdir, env, self.bases[worker])
        os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not try to download
        self.operator = chrome(workdir / "chrome-operator")
        stack.callback(quit_quietly, self.operator)
        self.tabs: list[WallTab] = []
        for index, worker in enumerate(["A", "B"] + ["BA"[i % 2] for i in range(screens)]):
            driver = chrome(workdir / f"chrome-wall-{index}")
            stack.callback(quit_quietly, driver)
            self.tabs.append(WallTab(driver, worker, index))
        for tab in self.tabs:
            sign_in(tab.driver, self.bases[tab.worker], "viewer", then="/wall/screen/1")
        for tab in self.tabs:
            playing = partial(lambda t: t.frames("XY-001") > 0, tab)
            wait_for(f"tab {tab.index}: XY-001 not playing", playing, 60)
            tab.driver.execute_script(js.RECORDER)
        sign_in(self.operator, self.bases["A"], "operator", then="/console")
        mini = '#console-mini [data-tile="main"] .cw-mini__cell'
        wait_for("no console miniature", lambda: bool(self.find(mini)), 30)
        self.operator.execute_script(js.ACK_RECORDER)

    def child(
        self, stack: contextlib.ExitStack, name: str, command: list[str], workdir: Path,
        env: dict[str, str], url: str,
    ) -> None:  # fmt: skip
        log = workdir / f"{name}.log"
        process = start(name, command, log, env)
        stack.callback(stop_process, process, 10.0, True)  # its group, by its PID
        wait_http(process, log, url)

    def find(self, css: str) -> list[Any]:
        return list(self.operator.find_elements(By.CSS_SELECTOR, css))

    def progress(self, what: str) -> None:
        print(f"[{time.monotonic() - self.began:6.1f} s] {what}", flush=True)

    def switch(self, number: int, camera: str, kind: str) -> list[Sample]:
        """Search ``camera`` on the console, click it; every wall tab's timings."""
        box = self.operator.find_element(By.ID, "console-search")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(camera)
        wait_for(f"no search result {camera}", lambda: bool(self.find(RESULT.format(camera))), 10)
        for tab in self.tabs:
            tab.arm(camera)
        clicked: float | None = None
        deadline = time.monotonic() + 5
        while clicked is None and time.monotonic() < deadline:
            clicked = self.operator.execute_script(js.CLICK, RESULT.format(camera))
        if clicked is None:
            raise RuntimeError(f"could not click {camera} on the console")
        samples = [Sample(number, "switch", kind, t.worker, t.index, camera, clicked)
                   for t in self.tabs]  # fmt: skip
        self.collect(list(zip(self.tabs, samples, strict=True)))
        for at, text in self.operator.execute_script(js.ACKS):
            if at >= clicked and camera in text:
                for sample in samples:
                    sample.ack = at
                break
        return samples

    def floor(self, number: int, tab: WallTab, camera: str, kind: str) -> Sample:
        """The video alone: a cell for ``camera`` put straight into the tab."""
        tab.arm(camera)
        t0: float = tab.driver.execute_script(js.INJECT, camera)
        sample = Sample(number, "floor", kind, tab.worker, tab.index, camera, t0)
        self.collect([(tab, sample)])
        return sample

    def collect(self, pending: list[tuple[WallTab, Sample]]) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while pending and time.monotonic() < deadline:
            time.sleep(0.1)
            for tab, sample in list(pending):
                tab.read(sample)
                if sample.ok:
                    pending.remove((tab, sample))
        for tab, sample in pending:  # failures: read once more, for the partial times
            tab.read(sample)

    def run(self, rounds: int) -> list[Sample]:
        self.progress("warm-up round (not counted)")
        self.switch(0, "XY-002", "cold")
        self.floor(0, self.tabs[0], "XY-003", "cold")
        cold_switch = (f"XY-{n:03d}" for n in range(20, 100))
        cold_floor = (f"XY-{n:03d}" for n in range(100, 200))
        shown: list[str] = []
        left: dict[str, float] = {}  # camera -> when it last left the wall (monotonic)
        floors: list[str] = []
        samples: list[Sample] = []
        for n in range(1, rounds + 1):
            time.sleep(PAUSE_S)
            revisit = n % 3 == 0 and len(shown) >= 2
            camera = shown[-2] if revisit else next(cold_switch)
            warm = revisit and time.monotonic() - left.get(camera, -1e9) < GRACE_S - 1
            kind = "warm" if warm else "cold"
            if shown:
                left[shown[-1]] = time.monotonic()
            if floors:
                left[floors[-1]] = time.monotonic()
            done = self.switch(n, camera, kind)
            shown.append(camera)
            time.sleep(PAUSE_S)
            tab = self.tabs[n % len(self.tabs)]
            base_cam = floors[-1] if revisit and floors else next(cold_floor)
            base_warm = revisit and time.monotonic() - left.get(base_cam, -1e9) < GRACE_S - 1
            base = self.floor(n, tab, base_cam, "warm" if base_warm else "cold")
            floors.append(base_cam)
            samples += [*done, base]
            shown_ms = ", ".join(f"{s.worker} {fmt(s.span('t0', 'played'))}" for s in done)
            self.progress(
                f"round {n} {kind} {camera}: total {shown_ms} ms; "
                f"floor {base.kind} {base_cam} ({base.worker}) {fmt(base.span('t0', 'played'))} ms"
            )
        return samples


# -- report ----------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:,.0f}"


def figures(values: Sequence[float]) -> list[str]:
    return [fmt(percentile(values, 50)), fmt(percentile(values, 95)),
            fmt(max(values) if values else None)]  # fmt: skip


def pick(
    samples: Sequence[Sample], what: str, kind: str = "all", worker: str = "all"
) -> list[Sample]:
    return [s for s in samples if s.what == what and kind in ("all", s.kind)
            and worker in ("all", s.worker)]  # fmt: skip


def values(samples: Sequence[Sample], start: str, end: str) -> list[float]:
    found = (s.span(start, end) for s in samples if s.ok)
    return [v for v in found if v is not None]


def result_rows(samples: Sequence[Sample]) -> list[list[str]]:
    rows = [["measure", "upstream", "worker", "n", "failed", "p50 ms", "p95 ms", "max ms"]]
    measures = [("push: click → cell on the wall", "switch", "t0", "seen", ["all"]),
                ("total: click → first frame", "switch", "t0", "played", ["cold", "warm", "all"]),
                ("floor: video alone, cell → first frame", "floor", "t0", "played",
                 ["cold", "warm", "all"])]  # fmt: skip
    for label, what, start, end, kinds in measures:
        for kind in kinds:
            for worker in ("A", "B", "all"):
                chosen = pick(samples, what, kind, worker)
                failed = sum(not s.ok for s in chosen)
                got = values(chosen, start, end)
                rows.append([label, kind, worker, str(len(got)), str(failed), *figures(got)])
    return rows


def ratio_rows(samples: Sequence[Sample]) -> list[list[str]]:
    rows = [["upstream", "total p50 / floor p50", "total p95 / floor p95"]]
    for kind in ("cold", "warm", "all"):
        total = values(pick(samples, "switch", kind), "t0", "played")
        floor = values(pick(samples, "floor", kind), "t0", "played")
        cells = []
        for q in (50, 95):
            a, b = percentile(total, q), percentile(floor, q)
            cells.append(f"{a / b:.2f}×" if a == a and b == b and b else "—")
        rows.append([kind, *cells])
    return rows


def stage_rows(samples: Sequence[Sample]) -> list[list[str]]:
    """Medians of each stage: where the time goes."""
    rows = [["stage (median ms)", "switch cold", "switch warm", "floor cold", "floor warm"]]
    stages = [("click → console's answer (Dash callback)", "t0", "ack"),
              ("click/inject → cell on the wall (push)", "t0", "seen"),
              ("cell → token fetched (/video/token)", "seen", "token_end"),
              ("cell → WHEP answer (token + offer/answer)", "seen", "whep_end"),
              ("WHEP answer → first frame (ICE, DTLS, keyframe, decode)", "whep_end",
               "played")]  # fmt: skip
    for label, start, end in stages:
        row = [label]
        for what, kind in (("switch", "cold"), ("switch", "warm"),
                           ("floor", "cold"), ("floor", "warm")):  # fmt: skip
            chosen = pick(samples, what, kind)
            if end == "token_end":
                got = [s.token[1] - s.seen for s in chosen if s.token and s.seen is not None]
            else:
                got = values(chosen, start, end)
            row.append(fmt(percentile(got, 50)) if got else "—")
        rows.append(row)
    return rows


def verdict(samples: Sequence[Sample]) -> str:
    parts = []
    for worker in ("A", "B", "all"):
        chosen = pick(samples, "switch", worker=worker)
        p95 = percentile(values(chosen, "t0", "played"), 95)
        failed = sum(not s.ok for s in chosen)
        ok = p95 <= GOAL_MS and not failed
        over = "" if ok else f" ({p95 - GOAL_MS:+,.0f} ms, {p95 / GOAL_MS:.2f}× the goal)"
        parts.append(f"{worker}: p95 {fmt(p95)} ms, {failed} failed → "
                     f"{'PASS' if ok else 'MISS'}{over}")  # fmt: skip
    return f"goal: click → first frame p95 ≤ {GOAL_MS:.0f} ms on every screen; " + "; ".join(parts)


def about(tabs: int, load: float) -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} CPUs ({cpu}); {tabs} wall tabs + 1 operator tab, each its own "
            f"headless Chromium; 1-min load at the end {load:.1f}")  # fmt: skip


def report(samples: Sequence[Sample], machine: str, md: bool, argv: str) -> str:
    render = markdown_table if md else table
    blocks = [render(result_rows(samples)), render(ratio_rows(samples)),
              render(stage_rows(samples))]  # fmt: skip
    head = [verdict(samples), f"machine: {machine}"]
    if not md:
        return "\n".join(head) + "\n\n" + "\n\n".join(blocks)
    return "\n".join([
        "## Console switch: operator click → first frame on the wall (issue 6)", "",
        "```", ".venv/bin/python -m bench.console_switch --markdown    # 30 rounds",
        ".venv/bin/python -m bench.console_switch --quick         # 8 rounds", "```", "",
        f"**Machine:** {machine}", "",
        f"### Figures ({date.today().isoformat()}, run with {argv or 'defaults'})", "",
        f"**{head[0]}**", "", blocks[0], "", "Total / floor (the video alone):", "", blocks[1],
        "", "Where the time goes:", "", blocks[2], "",
    ])  # fmt: skip


# -- the run ---------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="citywall-switch-"))
        stack.callback(shutil.rmtree, workdir, True)
        bench = Bench(stack, workdir, args.screens)
        bench.progress(f"stack up: relay, workers A and B, {len(bench.tabs)} wall tabs playing")
        samples = bench.run(args.rounds)
        machine = about(len(bench.tabs), os.getloadavg()[0])
    argv = " ".join(a for a in args.argv if a != "--markdown")
    print()
    print(report(samples, machine, False, argv))
    if args.markdown:
        print()
        print(report(samples, machine, True, argv))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(s) for s in samples], indent=1), "utf-8")
        print(f"raw samples written to {args.json}")
    print(f"(ran {time.monotonic() - began:.0f} s)")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console_switch", description=__doc__)
    parser.add_argument("--rounds", type=int, help="console switches (30; --quick 8)")
    parser.add_argument("--screens", type=int, default=0, help="more wall tabs (0)")
    parser.add_argument("--quick", action="store_true", help="8 rounds")
    parser.add_argument("--markdown", action="store_true", help="also print the docs section")
    parser.add_argument("--json", metavar="PATH", help="also write every sample there")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.rounds = max(1, args.rounds or (8 if args.quick else 30))
    args.screens = max(0, args.screens)
    signal.signal(signal.SIGTERM, _interrupt)  # stop the children on a kill too
    try:
        run(args)
    except KeyboardInterrupt:
        print("interrupted: every process this run started was stopped", file=sys.stderr)
    except Exception:  # a benchmark reports; it does not fail the caller
        traceback.print_exc()
        print("benchmark did not complete (see the error above)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
