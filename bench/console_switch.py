"""Console switch benchmark (issue 6): an operator's click on /console → the new camera's
first frame on every wall screen (two web workers), beside the video alone.

Redis, a relay and two web workers (A, B) as processes; an operator Chromium on A at
/console, wall Chromiums at /wall/screen/1 on A and on B (``--screens N``: N more), each
recording when a camera's cell appears in #tile-main and when its data-frames goes > 0.
A round: search, click (t_click = Date.now() right before click()); push = cell - click,
total = first frame - click, per wall tab. Two rounds in three take a camera not shown
before (cold upstream at the relay), every third the one of two rounds ago (in the
relay's 10 s grace: warm). Baseline, the video alone: one wall tab's cell replaced by a
cell for another camera, built as camera.js builds it; floor = first frame - insertion.
Not playing within 10 s: a failure, not a sample. Stages: the page's resource timing.

``--rtsp`` (issue 17): real RTSP cameras that run all the time (GStreamer's RTSP server,
shared media, GOP 2 s); rounds alternate a camera nobody pulls (cold: the RTSP
handshake and its next keyframe) and one in ``relay.keep_warm`` (its GOP cached); no
floor rounds.

``python -m bench.console_switch [--rounds 30] [--screens 0] [--quick] [--rtsp]
[--markdown] [--json PATH]``. Exits 0 only when every round played on every tab (else 1, saying
what is missing).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Final

import av
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bench import _console_switch_js as js
from bench.ingest import percentile, table
from bench.report import markdown_table, run_reporting
from core.localhost import free_port
from data_feeds.redis_server import EmbeddedRedis
from testkit.chromium import Chromium
from testkit.citywall import ROOT, RunningWall, start_wall, write_config
from testkit.signin import sign_in
from tests.rtsp import RtspServer

GOAL_MS: Final = 500.0
TIMEOUT_S: Final = 10.0  # a tab not playing by then: a failure, not a sample
PAUSE_S: Final = 1.0
GRACE_S: Final = 10.0  # the relay keeps an upstream this long after its last viewer
TILES: Final = "  - {id: main, type: camera, x: 0, y: 0, cameras: [XY-001]}\n"
RESULT: Final = '#console-results [data-camera="{}"]'
KINDS: Final = ("cold", "warm", "all")


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
    ack: float | None = None  # the console's message changed (switch only)
    token: list[float] | None = None  # [start, end] of the player's /video/token
    whep: list[float] | None = None  # [start, end] of its WHEP POST

    @property
    def ok(self) -> bool:
        return self.played is not None

    def at(self, name: str) -> float | None:
        if name[:-1] in ("token", "whep"):  # token0/1, whep0/1: request start, response end
            span: list[float] | None = getattr(self, name[:-1])
            return span[int(name[-1])] if span else None
        value: float | None = getattr(self, name)
        return value

    def span(self, start: str, end: str) -> float | None:
        a, b = self.at(start), self.at(end)
        return None if a is None or b is None else b - a


def quit_quietly(driver: Chromium) -> None:
    with contextlib.suppress(Exception):  # chromedriver may be gone already (Ctrl+C)
        driver.quit()


def wait_for(what: str, test: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout:.0f} s")
        time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """utime + stime (+ waited-for children) of a process, in core-seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class Probe(threading.Thread):
    """GET /healthz on the relay every 100 ms, timed: its event loop's lag (WHEP's too)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.halt, self.ms = url, threading.Event(), list[float]()

    def run(self) -> None:
        with requests.Session() as session:
            while not self.halt.wait(0.1):
                start = time.perf_counter()
                with contextlib.suppress(requests.RequestException):
                    session.get(f"{self.url}/healthz", timeout=10)
                self.ms.append((time.perf_counter() - start) * 1000)


@dataclass
class WallTab:
    driver: Chromium
    worker: str
    index: int

    def playing(self, camera: str) -> bool:
        cell = f'#tile-main [data-camera-id="{camera}"]'
        script = f"return document.querySelector('{cell}')?.dataset.frames"
        return int(str(self.driver.execute_script(script) or 0)) > 0

    def arm(self, camera: str) -> None:
        self.driver.execute_script(js.ARM, [camera])

    def read(self, sample: Sample) -> None:
        got: dict[str, Any] = self.driver.execute_script(js.READ, sample.camera, sample.t0)
        sample.seen, sample.played = got["seen"], got["played"]
        sample.token, sample.whep = got["token"], got["whep"]


def rtsp_config(stack: contextlib.ExitStack, workdir: Path) -> tuple[str, str]:
    """Real RTSP cameras (GStreamer, shared media, 640×360 15 fps, GOP 2 s), RS-00 on the
    wall, RS-01…RS-06 pulled by nobody (cold), RS-07…RS-12 in relay.keep_warm; the
    config and the first camera."""
    paths = [f"/cam{n:02d}" for n in range(13)]
    camera = RtspServer(paths=paths, size="640x360", fps=15, gop=30)
    camera.start()
    stack.callback(camera.stop)
    rows = [f"RS-{n:02d},测试路口{n},28.69,112.89,4306240010101,{camera.url(p)},{camera.url(p)},"
            for n, p in enumerate(paths)]  # fmt: skip
    inventory = workdir / "rtsp_cameras.csv"
    inventory.write_text("id,name,lat,lon,grid,main,sub,tags\n" + "\n".join(rows) + "\n", "utf-8")
    config = write_config(workdir / "console_switch.yaml", TILES.replace("XY-001", "RS-00"))
    text = config.read_text("utf-8").replace(f"inventory: {ROOT / 'cameras.csv'}",
                                             f"inventory: {inventory}")  # fmt: skip
    # A real camera encodes all the time; GStreamer's shared media only while a client
    # reads it: one reader per cold camera keeps it running (and out of the relay).
    for n in range(1, 7):
        stack.enter_context(KeepRunning(camera.url(paths[n])))
    warm = ", ".join(WARM)
    text = text.replace("  port: ${RELAY_PORT:-8889}",
                        f"  port: ${{RELAY_PORT:-8889}}\n  keep_warm: {{cameras: [{warm}], "
                        "streams: [main]}")  # fmt: skip
    config.write_text(text, "utf-8")
    return str(config), "RS-00"


class KeepRunning(threading.Thread):
    """Reads an RTSP camera until stopped, so its encoder keeps running."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.halt = url, threading.Event()

    def __enter__(self) -> KeepRunning:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.halt.set()
        self.join(10)

    def run(self) -> None:
        while not self.halt.is_set():
            with (
                contextlib.suppress(OSError, av.FFmpegError),
                av.open(self.url, options={"rtsp_transport": "tcp"}, timeout=5) as src,
            ):
                for _packet in src.demux(video=0):
                    if self.halt.is_set():
                        return


COLD: Final = tuple(f"RS-{n:02d}" for n in range(1, 7))
WARM: Final = tuple(f"RS-{n:02d}" for n in range(7, 13))


class Bench:
    def __init__(
        self, stack: contextlib.ExitStack, workdir: Path, screens: int, rtsp: bool = False
    ) -> None:
        self.began = time.monotonic()
        self.workdir = workdir
        self.rtsp = rtsp
        if rtsp:
            config, first = rtsp_config(stack, workdir)
        else:
            config, first = str(write_config(workdir / "console_switch.yaml", TILES)), "XY-001"
        server = stack.enter_context(EmbeddedRedis())
        relay_port = free_port()
        env = {**os.environ, "REDIS_URL": server.url, "RELAY_PORT": str(relay_port)}
        relay = ["relay", "--config", config]
        self.children = {"relay": self.child(stack, "relay", relay, relay_port, env)}
        self.relay_url = self.children["relay"].url
        for worker in "AB":
            port = free_port()
            serve = ["serve", "--config", config, "--port", str(port)]
            self.children[f"web {worker}"] = self.child(stack, f"web-{worker}", serve, port, env)
        self.bases = {worker: self.children[f"web {worker}"].url for worker in "AB"}
        self.operator = Chromium(1280, 720)
        stack.callback(quit_quietly, self.operator)
        self.tabs: list[WallTab] = []
        for index, worker in enumerate(["A", "B"] + ["BA"[i % 2] for i in range(screens)]):
            driver = Chromium(1280, 720)
            stack.callback(quit_quietly, driver)
            self.tabs.append(WallTab(driver, worker, index))
        for tab in self.tabs:
            sign_in(tab.driver, self.bases[tab.worker], "viewer", then="/wall/screen/1")
        for tab in self.tabs:
            wait_for(f"tab {tab.index}: {first} not playing", partial(tab.playing, first), 60)
            tab.driver.execute_script(js.RECORDER)
        sign_in(self.operator, self.bases["A"], "operator", then="/console")
        mini = '#console-mini [data-tile="main"] .cw-mini__cell'
        wait_for("no console miniature", lambda: bool(self.find(mini)), 30)
        self.operator.execute_script(js.ACK_RECORDER)

    def child(
        self, stack: contextlib.ExitStack, name: str, args: list[str], port: int,
        env: dict[str, str],
    ) -> RunningWall:  # fmt: skip
        """``citywall <args>`` answering on ``port``, stopped (its group, by PID) at the end."""
        wall = start_wall(args, self.workdir / f"{name}.log", port, env=env)
        stack.callback(wall.stop)
        return wall

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
        while clicked is None and time.monotonic() < deadline:  # found and clicked in one go
            clicked = self.operator.execute_script(js.CLICK, RESULT.format(camera))
        if clicked is None:
            raise RuntimeError(f"could not click {camera} on the console")
        samples = [Sample(number, "switch", kind, t.worker, t.index, camera, clicked)
                   for t in self.tabs]  # fmt: skip
        self.collect(list(zip(self.tabs, samples, strict=True)))
        ack = next((at for at, text in self.operator.execute_script(js.ACKS)
                    if at >= clicked and camera in text), None)  # fmt: skip
        for sample in samples:
            sample.ack = ack
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

    def run_rtsp(self, rounds: int) -> list[Sample]:
        """Cold (a camera nobody pulls: RTSP handshake + its next keyframe) and kept warm
        (relay.keep_warm: its GOP cached) in turn; a cold camera comes back only after
        the relay's grace, so it is cold again."""
        self.progress("warm-up round (not counted)")
        self.switch(0, WARM[0], "warm")
        samples: list[Sample] = []
        for n in range(1, rounds + 1):
            time.sleep(PAUSE_S * 2)
            kind = "cold" if n % 2 else "warm"
            pool = COLD if kind == "cold" else WARM
            camera = pool[(n // 2) % len(pool)]
            done = self.switch(n, camera, kind)
            samples += done
            totals = ", ".join(f"{s.worker} {fmt(s.span('t0', 'played'))}" for s in done)
            self.progress(f"round {n} {kind} {camera}: total {totals} ms")
        self.notes = ["real RTSP cameras (GStreamer, GOP 2 s); warm = relay.keep_warm (main)"]
        return samples

    def run(self, rounds: int) -> list[Sample]:
        if self.rtsp:
            return self.run_rtsp(rounds)
        self.progress("warm-up round (not counted)")
        self.switch(0, "XY-002", "cold")
        self.floor(0, self.tabs[0], "XY-003", "cold")
        pids = {name: wall.process.pid for name, wall in self.children.items()}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        began, load0 = time.monotonic(), os.getloadavg()[0]
        probe = Probe(self.relay_url)
        probe.start()
        fresh = (f"XY-{n:03d}" for n in range(20, 100))
        fresh_floor = (f"XY-{n:03d}" for n in range(100, 200))
        shown: list[str] = []
        floors: list[str] = []
        left: dict[str, float] = {}  # camera -> when it last left the wall (monotonic)
        samples: list[Sample] = []

        def kind(camera: str, revisit: bool) -> str:
            return "warm" if revisit and time.monotonic() - left[camera] < GRACE_S - 1 else "cold"

        for n in range(1, rounds + 1):
            time.sleep(PAUSE_S)
            revisit = n % 3 == 0 and len(shown) >= 2
            camera = shown[-2] if revisit else next(fresh)
            for gone in shown[-1:] + floors[-1:]:  # the click takes them off the wall
                left[gone] = time.monotonic()
            done = self.switch(n, camera, kind(camera, revisit))
            shown.append(camera)
            time.sleep(PAUSE_S)
            tab = self.tabs[n % len(self.tabs)]
            base_cam = floors[-1] if revisit and floors else next(fresh_floor)
            base = self.floor(n, tab, base_cam, kind(base_cam, revisit))
            floors.append(base_cam)
            samples += [*done, base]
            totals = ", ".join(f"{s.worker} {fmt(s.span('t0', 'played'))}" for s in done)
            self.progress(
                f"round {n} {done[0].kind} {camera}: total {totals} ms; floor {base.kind} "
                f"{base_cam} ({base.worker}) {fmt(base.span('t0', 'played'))} ms"
            )
        probe.halt.set()
        probe.join(15)
        seconds = time.monotonic() - began
        cpu = [f"{k} {(cpu_seconds(pid) - cpu0[k]) / seconds * 100:.0f} %"
               for k, pid in pids.items()]  # fmt: skip
        self.notes = [
            f"1-min load average before the rounds {load0:.1f}, after "
            f"{os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs; other work on the VM counts too)",
            f"CPU over the rounds, % of one core: {', '.join(cpu)}",
            f"relay event loop (GET /healthz every 100 ms, {len(probe.ms)} probes): p50 "
            f"{fmt(percentile(probe.ms, 50))} ms, p95 {fmt(percentile(probe.ms, 95))} ms, "
            f"max {fmt(max(probe.ms, default=None))} ms",
        ]
        return samples


# -- report ----------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:,.0f}"


def pick(all_: Sequence[Sample], what: str, kind: str = "all", worker: str = "all") -> list[Sample]:
    return [s for s in all_ if s.what == what and kind in ("all", s.kind)
            and worker in ("all", s.worker)]  # fmt: skip


def values(samples: Sequence[Sample], start: str, end: str) -> list[float]:
    found = (s.span(start, end) for s in samples if s.ok)
    return [v for v in found if v is not None]


def result_rows(samples: Sequence[Sample]) -> list[list[str]]:
    rows = [["measure", "upstream", "worker", "n", "failed", "p50 ms", "p95 ms", "max ms"]]
    measures = [("push: click → cell on the wall", "switch", "seen", ("all",)),
                ("**total: click → first frame**", "switch", "played", KINDS),
                ("floor: video alone, cell → first frame", "floor", "played", KINDS)]  # fmt: skip
    for label, what, end, kinds in measures:
        for kind in kinds:
            for worker in ("A", "B", "all"):
                chosen = pick(samples, what, kind, worker)
                got = values(chosen, "t0", end)
                top = fmt(max(got)) if got else "—"
                rows.append([label, kind, worker, str(len(got)), str(sum(not s.ok for s in chosen)),
                             fmt(percentile(got, 50)), fmt(percentile(got, 95)), top])  # fmt: skip
    return rows


def ratio_rows(samples: Sequence[Sample]) -> list[list[str]]:
    rows = [["upstream", "total p50 / floor p50", "total p95 / floor p95"]]
    for kind in KINDS:
        total = values(pick(samples, "switch", kind), "t0", "played")
        floor = values(pick(samples, "floor", kind), "t0", "played")
        cells = []
        for q in (50, 95):
            a, b = percentile(total, q), percentile(floor, q)
            cells.append(f"{a / b:.2f}×" if a == a and b == b and b else "—")
        rows.append([kind, *cells])
    return rows


STAGES: Final = (
    ("click → the console's answer (Dash callback; beside the push)", "t0", "ack"),
    ("click → cell on the wall (push: callback, XADD, hub, SSE, camera.js)", "t0", "seen"),
    ("cell → token request (player start, createOffer)", "seen", "token0"),
    ("token request → response (web worker)", "token0", "token1"),
    ("token → WHEP answer (POST to the relay)", "token1", "whep1"),
    ("WHEP answer → first frame (ICE, DTLS, keyframe, decode)", "whep1", "played"),
)


def stage_rows(samples: Sequence[Sample]) -> list[list[str]]:
    """Where the time goes: median (p95) of each stage, in order."""
    columns = [(w, k) for w in ("switch", "floor") for k in ("cold", "warm")]
    rows = [["stage: median (p95) ms", *(f"{w} {k}" for w, k in columns)]]
    for label, start, end in STAGES:
        row = [label]
        for what, kind in columns:
            got = values(pick(samples, what, kind), start, end)
            row.append(f"{fmt(percentile(got, 50))} ({fmt(percentile(got, 95))})" if got else "—")
        rows.append(row)
    return rows


def verdict(samples: Sequence[Sample]) -> str:
    parts = []
    for worker in ("A", "B", "all"):
        chosen = pick(samples, "switch", worker=worker)
        p95 = percentile(values(chosen, "t0", "played"), 95)
        failed = sum(not s.ok for s in chosen)
        ok = p95 <= GOAL_MS and not failed
        over = "" if ok else f", {p95 - GOAL_MS:+,.0f} ms = {p95 / GOAL_MS:.2f}× the goal"
        parts.append(f"{worker} p95 {fmt(p95)} ms, {failed} failed: "
                     f"{'PASS' if ok else 'MISS'}{over}")  # fmt: skip
    return f"goal: click → first frame p95 ≤ {GOAL_MS:.0f} ms on every screen. " + "; ".join(parts)


def report(samples: Sequence[Sample], notes: list[str], machine: str, md: bool, argv: str) -> str:
    render = markdown_table if md else table
    blocks = [render(result_rows(samples)), "Total / floor (the video alone):",
              render(ratio_rows(samples)), "Where the time goes:",
              render(stage_rows(samples))]  # fmt: skip
    if not md:
        return "\n\n".join([verdict(samples), f"machine: {machine}", *blocks,
                             "\n".join(f"note: {n}" for n in notes)])  # fmt: skip
    return "\n".join([
        "## Console switch: operator click → first frame on the wall (issue 6)", "", "```",
        ".venv/bin/python -m bench.console_switch --markdown    # 30 rounds",
        ".venv/bin/python -m bench.console_switch --quick       # 8 rounds", "```", "",
        f"**Machine:** {machine}", "",
        f"### Figures ({date.today().isoformat()}, run with {argv or 'defaults'})", "",
        f"**{verdict(samples)}**", "", *[b + "\n" for b in blocks], *[f"- {n}" for n in notes],
    ])  # fmt: skip


# -- the run ---------------------------------------------------------------------------


def gaps(samples: Sequence[Sample], bench: Bench, rounds: int) -> list[str]:
    """What the run could not measure: rounds without samples, tabs that did not play
    in time (a failure, not a sample), a child process that died under the run."""
    out = []
    wants = [("switch", rounds * len(bench.tabs))] + ([] if bench.rtsp else [("floor", rounds)])
    for what, wanted in wants:
        taken = [s for s in samples if s.what == what]
        failed = sum(not s.ok for s in taken)
        if len(taken) < wanted or failed:
            out.append(f"{what}: {len(taken) - failed} of {wanted} played within {TIMEOUT_S:.0f} s")
    for name, child in bench.children.items():
        if child.process.poll() is not None:
            out.append(f"{name} exited with {child.process.returncode} during the run")
    return out


def run(args: argparse.Namespace) -> list[str]:
    """Measure, print the report; the gaps (empty: every round played everywhere)."""
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="citywall-switch-"))
        stack.callback(shutil.rmtree, workdir, True)
        bench = Bench(stack, workdir, args.screens, args.rtsp)
        bench.progress(f"up: relay, workers A and B, {len(bench.tabs)} wall tabs playing XY-001")
        samples = bench.run(args.rounds)
        missing = gaps(samples, bench, args.rounds)  # before the children stop
        machine = (f"{os.cpu_count()} CPUs, shared VM, everything on it: redis, relay, 2 web "
                   f"workers, {len(bench.tabs)} wall tabs + 1 operator tab (each its own headless "
                   "Chromium)")  # fmt: skip
    argv = " ".join(a for a in args.argv if a != "--markdown")
    print("\n" + report(samples, bench.notes, machine, False, argv))
    if args.markdown:
        print("\n" + report(samples, bench.notes, machine, True, argv))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(s) for s in samples], indent=1), "utf-8")
        print(f"raw samples written to {args.json}")
    print(f"(ran {time.monotonic() - began:.0f} s)")
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console_switch", description=__doc__)
    parser.add_argument("--rounds", type=int, help="console switches (30; --quick 8)")
    parser.add_argument("--screens", type=int, default=0, help="more wall tabs (0)")
    parser.add_argument("--quick", action="store_true", help="8 rounds")
    parser.add_argument(
        "--rtsp", action="store_true",
        help="real RTSP cameras: cold vs kept warm (relay.keep_warm), no floor rounds",
    )  # fmt: skip
    parser.add_argument("--markdown", action="store_true", help="also print the docs section")
    parser.add_argument("--json", metavar="PATH", help="also write every sample there")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.rounds = max(1, args.rounds or (8 if args.quick else 30))
    args.screens = max(0, args.screens)
    return run_reporting(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
