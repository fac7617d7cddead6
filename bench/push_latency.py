"""Live push benchmark (issue 5): event -> changed DOM latency on the wall's screens, and
what the web tier spends per update, beside a plain ``dcc.Interval`` baseline.

Per run: one private redis-server (``EmbeddedRedis``), ``citywall aggregate`` as a
subprocess, a seeded day of case events, and a bench config with one ``kpi`` tile
(dispatched, hotline calls, 2-hour rate; today) on screen 1. Then, for each screen
count N and each mechanism, the web tier under test runs as a subprocess on a free
port (one at a time, so costs are its own):

* **sse**: ``citywall serve`` as shipped (the live hub + ``/live/events``).
* **interval** (baseline): ``bench/_interval_app.py``, a plain Dash app with the same
  tile layout, the same values function and waitress threads, whose
  ``dcc.Interval`` (250 ms) callback reads Redis for each page, every tick.

One real headless Chromium tab measures: a MutationObserver on the dispatched value
cell records ``performance.timeOrigin + performance.now()`` at each change. The other
N-1 screens are protocol clients (sockets read by one thread; the interval baseline's
are threads) doing what a page does: hold
``/live/events?tiles=...`` and read it, or POST ``/_dash-update-component`` every
tick with the body the tab sent (captured from Chromium's performance log).

M case events (a filed case reaching ``dispatched``, each +1 on the tile) are written
at random spacing 0.6-1.2 s; event time = wall clock right before the XADD. Latency =
DOM change time - event time, p50 / p95 / max. Over the same window: web server CPU
(``/proc/<pid>/stat``, utime + stime, children included) and the Redis commands
issued by connections named ``citywall-web`` (``MONITOR``, addresses from
``CLIENT LIST``), per update. Goal (sse): p95 <= 300 ms, never over 1 s.

``python -m bench.push_latency [--screens 1,10,50] [--events 40] [--interval-ms 250]
[--quick] [--markdown] [--json PATH]``
Exits 0 only when every row is whole (else 1, saying what is missing).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import redis

from bench.ingest import percentile, table
from bench.report import markdown_table, run_reporting
from core.keys import Keys
from core.localhost import free_port, stop_process
from data_feeds.events import CaseEvent, Event, HotlineEvent
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.chromium import Chromium
from testkit.citywall import ROOT, citywall_command
from testkit.signin import AUTH_YAML, PASSWORDS, sign_in

ZONE: Final = "Asia/Shanghai"
TILE: Final = "kpis"
PAGE: Final = {"sse": "/wall/screen/1", "interval": "/"}
MECHANISMS: Final = ("sse", "interval")


def workers_of(mechanism: str) -> int:
    """Web workers of a row: "sse" is one, "sse-4w" four (--workers; issue 14)."""
    return int(mechanism[4:-1]) if mechanism.startswith("sse-") else 1


def is_sse(mechanism: str) -> bool:
    return mechanism == "sse" or mechanism.startswith("sse-")


CELL: Final = ".cw-kpi__cell[data-kpi=dispatched]"
VALUE: Final = CELL + " .cw-kpi__value"
CLIENT_NAME: Final = "citywall-web"
THREADS: Final = 128  # as `citywall serve`
GOAL_P95_MS: Final = 300.0
GOAL_MAX_MS: Final = 1000.0
SPACING_S: Final = (0.6, 1.2)
TAIL_S: Final = 1.0  # the cost window ends this long after the last event
LATE_S: Final = 10.0  # an update not on the screen this long after the last event: missing
CASE: Final[dict[str, Any]] = {
    "kind": "event", "category": "0503", "source": "patrol", "priority": "normal",
    "lat": 28.69, "lon": 112.89, "grid": "430624-0101",
}  # fmt: skip
CONFIG: Final = """\
# bench.push_latency: one kpi tile on screen 1 (written by the benchmark)
version: 1
wall:
  title: citywall push latency bench
  columns: 6
  rows: 3
  screen: {{ width: 1920, height: 1080 }}
  locale: zh-CN
  timezone: {zone}
tiles:
  - id: {tile}
    type: kpi
    title: 今日指标
    x: 0
    y: 0
    kpis: [dispatched, hotline_calls, two_hour_rate]
    period: today
cameras:
  inventory: {inventory}
map:
  center: [28.689, 112.889]
  zoom: 14
  bounds: [[28.64, 112.83], [28.74, 112.95]]
redis:
  url: ${{REDIS_URL:-}}
relay:
  port: ${{RELAY_PORT:-8889}}
"""
OBSERVER_JS: Final = """
const cell = document.querySelector(arguments[0]);
const read = () => cell.querySelector('.cw-kpi__value').textContent;
const live = () => (window.citywallLive ? window.citywallLive.updateMs : null);
window.__cwMut = [];
let last = read();
new MutationObserver(() => {
  const at = performance.timeOrigin + performance.now();
  const text = read();
  if (text !== last) { last = text; window.__cwMut.push([at, text, live()]); }
}).observe(cell, {childList: true, characterData: true, subtree: true});
return last;
"""


# -- processes -------------------------------------------------------------------------


@dataclass
class Child:
    """A subprocess of this run, with its log; stopped by its PID."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, name: str, command: list[str], log: Path, env: dict[str, str]) -> Child:
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                start_new_session=True,  # a Ctrl+C reaches this process, which stops it
            )  # fmt: skip
        return cls(name, process, log)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.output()}")

    def cpu(self) -> float:
        """Core-seconds so far: utime + stime, plus those of waited-for children."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        stop_process(self.process)


def wait_http(child: Child, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        child.check()
        with contextlib.suppress(OSError, http.client.HTTPException):
            host, port = url.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.1)
    raise RuntimeError(f"{child.name} did not answer within {timeout} s:\n{child.output()}")


def write_config(directory: Path, wall: str) -> Path:
    """The bench config: one kpi tile, or (``--wall shipped``) the shipped wall with all
    its live tiles, its "today" KPI tile renamed to the bench's and measured."""
    path = directory / "push_latency.yaml"
    inventory = ROOT / "cameras.csv"
    if wall == "shipped":
        text = (ROOT / "wall_config.yaml").read_text(encoding="utf-8")
        text = text.replace("  - id: today\n", f"  - id: {TILE}\n", 1)
        text = text.replace("inventory: cameras.csv", f"inventory: {inventory}")
        text = text.replace("basemap: basemap.geojson", f"basemap: {ROOT / 'basemap.geojson'}")
        PAGE["sse"] = "/wall/screen/2"  # where the shipped wall puts today's KPIs
    else:
        text = CONFIG.format(zone=ZONE, tile=TILE, inventory=inventory)
    path.write_text(text + AUTH_YAML, encoding="utf-8")  # the wall signs everyone in
    check = subprocess.run(
        [citywall_command(), "check-config", str(path)], capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"citywall check-config refused the bench config:\n{check.stderr}")
    return path


# -- the day before the measurement ----------------------------------------------------


def case_event(case_id: str, status: str, at: datetime, seq: int) -> CaseEvent:
    extra: dict[str, Any] = {}
    if status == "dispatched":
        extra = {"dept": "城管执法大队", "deadline": at + timedelta(hours=2)}
    return CaseEvent.model_validate(
        {"event_id": f"pl-{case_id}-{seq}", "time": at, "case_id": case_id, "status": status,
         **CASE, **extra}
    )  # fmt: skip


def seed_events(now: datetime, pending: int, rng: random.Random) -> tuple[list[Event], list[str]]:
    """A morning of cases and calls, today and yesterday at the same time (the tile's
    comparison), plus ``pending`` filed cases that the measurement dispatches."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(midnight + timedelta(seconds=1), now - timedelta(hours=4))
    end = now - timedelta(seconds=30)
    span = max((end - start).total_seconds(), 1.0)
    events: list[Event] = []
    for day, shift in (("t", timedelta(0)), ("y", timedelta(days=1))):
        for n in range(80):
            case_id = f"pl-{day}{n}"
            at = start + timedelta(seconds=rng.uniform(0, span)) - shift
            limit = end - shift
            for seq, status in enumerate(("reported", "filed", "dispatched", "handled", "closed")):
                if at > limit or (seq >= 2 and rng.random() < 0.2):
                    break
                events.append(case_event(case_id, status, at, seq))
                at += timedelta(minutes=rng.uniform(0.5, 40))
        for n in range(60):
            at = start + timedelta(seconds=rng.uniform(0, span)) - shift
            events.append(
                HotlineEvent(
                    event_id=f"pl-h{day}{n}",
                    time=at,
                    call_id=f"pl-h{day}{n}",
                    seat=rng.randint(1, 6),
                    outcome="consultation",
                )
            )
    ids = [f"pl-m{n}" for n in range(pending)]
    for case_id in ids:
        events.append(case_event(case_id, "reported", end, 0))
        events.append(case_event(case_id, "filed", end, 1))
    events.sort(key=lambda event: event.time)
    return events, ids


def wait_applied(client: redis.Redis, keys: Keys, aggregator: Child, timeout: float = 60) -> None:
    """Until the aggregator has applied and acknowledged every entry of every stream."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        aggregator.check()
        done = True
        for stream in keys.streams.values():
            if not client.exists(stream):
                continue
            groups = client.xinfo_groups(stream)
            if not groups or any(g["pending"] or g.get("lag") not in (0, None) for g in groups):
                done = False
        if done:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the aggregator did not catch up within {timeout} s")


# -- Redis commands of the web tier ----------------------------------------------------


class CommandCounter:
    """``MONITOR`` on its own connection: commands per client address, by the server's
    timestamp, inside a window; ``CLIENT LIST`` (polled) names the addresses."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._names: dict[str, str] = {}
        self._counts: Counter[tuple[str, str]] = Counter()
        self._window: tuple[float, float] = (float("inf"), float("inf"))
        self._last_ts = 0.0
        self._halt = threading.Event()
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        self._sock.sendall(b"MONITOR\r\n")
        self._lister = redis.Redis(port=port, client_name="bench-monitor")
        self._threads = [
            threading.Thread(target=self._read, name="monitor", daemon=True),
            threading.Thread(target=self._list, name="client-list", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read(self) -> None:
        pending = b""
        while not self._halt.is_set():
            try:
                chunk = self._sock.recv(1 << 16)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            lines = (pending + chunk).split(b"\r\n")
            pending = lines.pop()
            low, high = self._window
            for line in lines:
                # +1712345678.123456 [0 127.0.0.1:53211] "XREAD" "COUNT" ...
                space = line.find(b" ")
                if not line.startswith(b"+") or space < 0 or line == b"+OK":
                    continue
                stamp = float(line[1:space])
                self._last_ts = stamp
                if not low <= stamp < high:
                    continue
                close = line.find(b"]", space)
                addr = line[space + 2 : close].partition(b" ")[2].decode()
                command = line[close + 3 :].partition(b'"')[0].decode().upper()
                self._counts[(addr, command)] += 1

    def _list(self) -> None:
        while not self._halt.wait(0.3):
            with contextlib.suppress(redis.RedisError):
                for client in self._lister.client_list():
                    self._names[client["addr"]] = client.get("name", "")

    def open_window(self, start: float) -> None:
        self._counts.clear()
        self._window = (start, float("inf"))

    def close_window(self, end: float) -> Counter[str]:
        """Commands of connections named ``citywall-web`` in the window, by command."""
        self._window = (self._window[0], end)
        deadline = time.monotonic() + 3
        while self._last_ts < end and time.monotonic() < deadline:
            time.sleep(0.05)  # the polls of CLIENT LIST keep MONITOR talking
        time.sleep(0.4)  # a last CLIENT LIST
        web: Counter[str] = Counter()
        for (addr, command), count in self._counts.items():
            if self._names.get(addr) == CLIENT_NAME:
                web[command] += count
        return web

    def close(self) -> None:
        self._halt.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        for thread in self._threads:
            thread.join(2)
        self._lister.close()


# -- the screens -----------------------------------------------------------------------


class Tab:
    """The measuring screen: one real headless Chromium tab, signed in as the viewer."""

    def __init__(self) -> None:
        # The performance log holds the requests the page sends (the interval's body).
        self.driver = Chromium(1280, 720, logs=("performance",))

    def open(self, url: str, signed: bool, timeout: float = 30.0) -> int:
        """Sign in (the wall; the interval baseline has no login), load the page, wait
        for a number in the dispatched cell, watch it."""
        parts = urlsplit(url)
        if signed:  # lands on the page
            sign_in(self.driver, f"{parts.scheme}://{parts.netloc}", then=parts.path)
        else:
            self.driver.get(url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.driver.execute_script(
                "const el = document.querySelector(arguments[0]); return el && el.textContent",
                VALUE,
            )
            if text and text.isdigit():
                return int(self.driver.execute_script(OBSERVER_JS, CELL))
            time.sleep(0.1)
        raise RuntimeError(f"{url}: no dispatched value on the page within {timeout} s")

    def value(self) -> str:
        return str(
            self.driver.execute_script(f"return document.querySelector('{VALUE}').textContent")
        )

    def clock_offset_ms(self) -> tuple[float, float]:
        """(browser clock - this process's clock, +/- bound), from one round trip."""
        before = time.time()
        browser: float = self.driver.execute_script(
            "return performance.timeOrigin + performance.now()"
        )
        after = time.time()
        return browser - (before + after) * 500, (after - before) * 500

    def changes(self) -> list[tuple[float, int, int | None]]:
        """(epoch s, value, update_ms of live.js or None) at each change of the cell."""
        records = self.driver.execute_script("return window.__cwMut || []")
        return [
            (at / 1000, int(text), update_ms)
            for at, text, update_ms in records
            if str(text).isdigit()
        ]

    def dash_request(self, timeout: float = 10.0) -> tuple[str, dict[str, Any]]:
        """The path and body the page POSTs to /_dash-update-component on an interval tick."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.driver.get_log("performance"):  # type: ignore[no-untyped-call]
                message = json.loads(entry["message"])["message"]
                if message.get("method") != "Network.requestWillBeSent":
                    continue
                request = message["params"]["request"]
                url = urlsplit(request["url"])
                if url.path != "/_dash-update-component" or not request.get("postData"):
                    continue
                body: dict[str, Any] = json.loads(request["postData"])
                if "tick.n_intervals" in body.get("changedPropIds", []):
                    return (f"{url.path}?{url.query}" if url.query else url.path, body)
            time.sleep(0.2)
        raise RuntimeError("no interval request in Chromium's performance log")

    def blank(self) -> None:
        self.driver.get("about:blank")
        self.driver.get_log("performance")  # type: ignore[no-untyped-call]  # drop the pile

    def quit(self) -> None:
        self.driver.quit()


class ProtocolClient(threading.Thread):
    """One screen without a browser: what its page sends and reads, nothing drawn."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.halt = threading.Event()
        self.received = 0  # response body bytes
        self.seen: list[tuple[float, int]] = []  # (epoch s, dispatched) at each change
        self.error: str = ""
        self._last = -1

    def note(self, value: int) -> None:
        if value != self._last:
            self._last = value
            self.seen.append((time.time(), value))

    def fail(self, exc: Exception) -> None:
        if not self.halt.is_set():  # a stream cut while stopping is no failure
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        self.halt.set()


def session_cookie(port: int) -> str:
    """Sign in as the bench's viewer, as a page's login form does; the session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    form = f"name=viewer&password={PASSWORDS['viewer']}"
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Origin": f"http://127.0.0.1:{port}"}  # fmt: skip
    conn.request("POST", "/login", form, headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    cookie = response.getheader("Set-Cookie") or ""
    if response.status != 302 or not cookie:
        raise RuntimeError(f"bench could not sign in: {response.status}")
    return cookie.split(";", 1)[0]


class SseScreen(ProtocolClient):
    """One ``/live/events?tiles=...`` stream (as assets/live.js's EventSource), read by
    an ``SseHerd``: a screen costs the bench a socket, not a thread, so 99 of them do
    not compete with the web tier for the 2 cores the way 99 reading threads did."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.sock: socket.socket | None = None
        self._buffer = b""
        self._header_done = False

    def connect(self, cookie: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        request = (f"GET /live/events?tiles={TILE} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                   f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n")  # fmt: skip
        self.sock.sendall(request.encode())
        self.sock.setblocking(False)

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        self._buffer += chunk
        if not self._header_done:
            head, found, rest = self._buffer.partition(b"\r\n\r\n")
            if not found:
                return
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
            self._header_done, self._buffer = True, rest
        # Chunked transfer encoding: the chunk-size lines never contain "data: ".
        *messages, self._buffer = self._buffer.split(b"\n\n")
        for message in messages:
            self._message(message)

    def _message(self, message: bytes) -> None:
        for line in message.split(b"\n"):
            start = line.find(b"data: ")
            if start < 0 or b'"tiles"' not in line:
                continue
            tiles = json.loads(line[start + 6 :]).get("tiles") or {}
            kpi = tiles.get(TILE, {}).get("values", {}).get("dispatched")
            if kpi and str(kpi.get("text", "")).isdigit():
                self.note(int(kpi["text"]))

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


class SseHerd(threading.Thread):
    """Reads every ``SseScreen`` from one thread (``selectors``), stamping each change
    as it arrives."""

    def __init__(self, screens: Sequence[SseScreen]) -> None:
        super().__init__(daemon=True, name="sse-herd")
        self.screens = list(screens)
        self.halt = threading.Event()
        cookies = {port: session_cookie(port) for port in {s.port for s in self.screens}}
        for screen in self.screens:
            screen.connect(cookies[screen.port])

    def run(self) -> None:
        with selectors.DefaultSelector() as selector:
            for screen in self.screens:
                assert screen.sock is not None
                selector.register(screen.sock, selectors.EVENT_READ, screen)
            while not self.halt.is_set():
                for key, _ in selector.select(timeout=0.2):
                    self._read(selector, key.data)

    @staticmethod
    def _read(selector: selectors.BaseSelector, screen: SseScreen) -> None:
        assert screen.sock is not None
        try:
            chunk = screen.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("the server closed the stream")
            screen.feed(chunk)
        except BlockingIOError:
            return
        except Exception as exc:  # reported, not raised: the run goes on
            screen.fail(exc)
            selector.unregister(screen.sock)

    def stop(self) -> None:
        self.halt.set()
        self.join(3)
        for screen in self.screens:
            screen.close()


class IntervalClient(ProtocolClient):
    """POSTs the page's interval callback every tick (as dcc.Interval + the Dash
    renderer), with the body the measuring tab sent; one request at a time."""

    def __init__(
        self, port: int, request: tuple[str, dict[str, Any]], interval_s: float, phase: float
    ) -> None:
        super().__init__(port)
        self._path, self._body = request
        self._interval = interval_s
        self._phase = phase
        self.requests = 0

    def run(self) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            body = json.loads(json.dumps(self._body))
            due = time.monotonic() + self._phase
            tick = 0
            while not self.halt.wait(max(0.0, due - time.monotonic())):
                tick += 1
                body["inputs"][0]["value"] = tick
                conn.request("POST", self._path, json.dumps(body), headers)
                raw = conn.getresponse().read()
                self.requests += 1
                self.received += len(raw)
                self._reply(json.loads(raw))
                due += self._interval
                due = max(due, time.monotonic())  # a late tick is not made up for
            conn.close()
        except Exception as exc:
            self.fail(exc)

    def _reply(self, reply: dict[str, Any]) -> None:
        # {"multi": true, "response": {'{"kpi":"dispatched",...,"type":"cw-kpi-value"}':
        #  {"children": "123"}, ...}}: one entry per concrete id of the ALL outputs.
        for key, props in reply.get("response", {}).items():
            ident = json.loads(key) if key.startswith("{") else {}
            mine = ident.get("tile") == TILE  # not the half-year tile of --wall shipped
            if mine and ident.get("type") == "cw-kpi-value" and ident.get("kpi") == "dispatched":
                text = str(props.get("children", ""))
                if text.isdigit():
                    self.note(int(text))


def stop_clients(clients: Sequence[ProtocolClient]) -> None:
    threads = [client for client in clients if client.ident is not None]  # started
    for client in threads:
        client.stop()
    for client in threads:
        client.join(3)


# -- one measurement -------------------------------------------------------------------


@dataclass
class Result:
    mechanism: str
    screens: int
    latencies_ms: list[float]  # the tab's, one per event
    missing: int
    client_latencies_ms: list[float]  # the protocol clients', every client and event
    client_missing: int
    aggregator_ms: list[float]  # event -> updates entry (sse: update_ms of the frame)
    cpu_s: float
    seconds: float
    events: int
    commands: Counter[str]
    bytes_per_screen: float | None  # response bytes per protocol client in the window
    clock_offset: tuple[float, float]
    load: float  # 1-minute load average at the end of the window
    errors: list[str] = field(default_factory=list)

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def worst(self) -> float:
        return max(self.latencies_ms, default=float("nan"))

    @property
    def cpu_ms_per_update(self) -> float:
        return self.cpu_s * 1000 / self.events

    @property
    def cpu_percent(self) -> float:
        return self.cpu_s / self.seconds * 100

    @property
    def commands_per_update(self) -> float:
        return sum(self.commands.values()) / self.events


def latencies(
    sent: Sequence[tuple[float, int]], seen: Sequence[tuple[float, int]]
) -> tuple[list[float], int]:
    """Each event's value is on the screen at the first change reaching it."""
    found: list[float] = []
    missing = 0
    for stamp, target in sent:
        shown = next((at for at, value in seen if value >= target), None)
        if shown is None:
            missing += 1
        else:
            found.append((shown - stamp) * 1000)
    return found, missing


@dataclass
class Bench:
    client: redis.Redis
    redis_url: str
    config: Path
    workdir: Path
    tab: Tab
    counter: CommandCounter
    cases: Iterator[str]
    events: int
    interval_ms: int
    rng: random.Random
    began: float

    def progress(self, what: str) -> None:
        print(f"[{time.monotonic() - self.began:6.1f} s] {what}", flush=True)

    def web_tier(self, mechanism: str, port: int) -> Child:
        env = {**os.environ, "REDIS_URL": self.redis_url}
        log = self.workdir / f"{mechanism}-{port}.log"
        if is_sse(mechanism):
            command = [citywall_command(), "serve", "--config", str(self.config),
                       "--port", str(port)]  # fmt: skip
        else:
            command = [sys.executable, "-m", "bench._interval_app", "--config", str(self.config),
                       "--port", str(port), "--interval-ms", str(self.interval_ms),
                       "--threads", str(THREADS)]  # fmt: skip
        return Child.start(f"{mechanism} web tier", command, log, env)

    def measure(self, mechanism: str, screens: int, stack: contextlib.ExitStack) -> Result:
        # Several workers (issue 14): the tab on the first, the other screens spread over
        # all of them round-robin; they share one build of the live parts.
        ports = [free_port() for _ in range(workers_of(mechanism))]
        servers = [self.web_tier(mechanism, p) for p in ports]
        for each, each_port in zip(servers, ports, strict=True):
            stack.callback(each.stop)
            wait_http(each, f"http://127.0.0.1:{each_port}")
        port, server = ports[0], _Workers(servers)
        base = f"http://127.0.0.1:{port}"
        page = PAGE["sse" if is_sse(mechanism) else mechanism]
        start_value = self.tab.open(base + page, signed=is_sse(mechanism))
        stack.callback(self.tab.blank)
        offset = self.tab.clock_offset_ms()
        clients: list[ProtocolClient] = []
        stack.callback(stop_clients, clients)
        request = self.tab.dash_request() if mechanism == "interval" and screens > 1 else None
        if is_sse(mechanism) or request is None:
            sse = [SseScreen(ports[(n + 1) % len(ports)]) for n in range(screens - 1)]
            clients += sse
            if sse:
                herd = SseHerd(sse)
                stack.callback(herd.stop)
                herd.start()
        else:
            for _ in range(screens - 1):
                phase = self.rng.uniform(0, self.interval_ms / 1000)
                clients.append(IntervalClient(port, request, self.interval_ms / 1000, phase))
                clients[-1].start()
        deadline = time.monotonic() + 30
        while any(not c.seen and not c.error for c in clients) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)  # settle: every screen connected and drawn
        server.check()
        start_value = int(self.tab.value()) if self.tab.value().isdigit() else start_value

        received0 = [c.received for c in clients]
        window_start = time.time()
        cpu0 = server.cpu()
        self.counter.open_window(window_start)
        writer = EventWriter(self.client, Keys())
        sent: list[tuple[float, int]] = []
        for n in range(1, self.events + 1):
            time.sleep(self.rng.uniform(*SPACING_S))
            case_id = next(self.cases)
            at = datetime.now(ZoneInfo(ZONE))
            event = case_event(case_id, "dispatched", at, 2)
            stamp = time.time()  # right before the XADD
            writer.write([event])
            sent.append((stamp, start_value + n))
        window_end = sent[-1][0] + TAIL_S
        time.sleep(max(0.0, window_end - time.time()))
        cpu1 = server.cpu()
        load = os.getloadavg()[0]
        received1 = [c.received for c in clients]
        commands = self.counter.close_window(window_end)

        target = start_value + self.events
        deadline = time.monotonic() + LATE_S
        while time.monotonic() < deadline:
            value = self.tab.value()
            if value.isdigit() and int(value) >= target:
                break
            time.sleep(0.1)
        server.check()  # a web tier that died in the window: the row is void
        changes = self.tab.changes()
        tab_latencies, missing = latencies(sent, [(at, value) for at, value, _ in changes])
        aggregator = _aggregator_stage(sent, changes)
        client_latencies: list[float] = []
        client_missing = 0
        for c in clients:
            found, lost = latencies(sent, c.seen)
            client_latencies += found
            client_missing += lost
        errors = [c.error for c in clients if c.error]
        per_screen = None
        if clients:
            total = sum(b - a for a, b in zip(received0, received1, strict=True))
            per_screen = total / len(clients) / self.events
        return Result(
            mechanism=mechanism,
            screens=screens,
            latencies_ms=tab_latencies,
            missing=missing,
            client_latencies_ms=client_latencies,
            client_missing=client_missing,
            aggregator_ms=aggregator,
            cpu_s=cpu1 - cpu0,
            seconds=window_end - window_start,
            events=self.events,
            commands=commands,
            bytes_per_screen=per_screen,
            clock_offset=offset,
            load=load,
            errors=sorted(set(errors)),
        )


class _Workers:
    """The web workers of a row as one: CPU summed, any one dead voids the row."""

    def __init__(self, children: Sequence[Child]) -> None:
        self.children = list(children)

    def cpu(self) -> float:
        return sum(child.cpu() for child in self.children)

    def check(self) -> None:
        for child in self.children:
            child.check()


def _aggregator_stage(
    sent: Sequence[tuple[float, int]], changes: Sequence[tuple[float, int, int | None]]
) -> list[float]:
    """Event -> the aggregator's updates entry, from the ``update_ms`` of the frame that
    first showed each event (sse only: live.js keeps it)."""
    stages = []
    for stamp, target in sent:
        first = next((c for c in changes if c[1] >= target), None)
        if first is not None and first[2] and first[1] == target:
            stages.append(first[2] - stamp * 1000)
    return stages


# -- report ----------------------------------------------------------------------------


def ms(value: float) -> str:
    return "—" if value != value else f"{value:,.0f}"


def verdict(result: Result) -> str:
    if not is_sse(result.mechanism):
        return ""
    passed = result.p(95) <= GOAL_P95_MS and result.worst <= GOAL_MAX_MS and not result.missing
    return "PASS" if passed else "MISS"


def result_rows(results: Sequence[Result]) -> list[list[str]]:
    rows = [["mechanism", "screens", "p50 ms", "p95 ms", "max ms", "seen",
             "clients p95 ms", "CPU ms/update", "CPU % of a core", "Redis cmds/update",
             "bytes/screen/update", "goal"]]  # fmt: skip
    for r in results:
        seen = f"{len(r.latencies_ms)}/{r.events}"
        clients = "—"
        if r.client_latencies_ms or r.client_missing:
            clients = ms(percentile(r.client_latencies_ms, 95))
            if r.client_missing:
                clients += f" ({r.client_missing} missed)"
        rows.append(
            [
                r.mechanism, str(r.screens), ms(r.p(50)), ms(r.p(95)), ms(r.worst), seen, clients,
                f"{r.cpu_ms_per_update:.1f}", f"{r.cpu_percent:.0f}%",
                f"{r.commands_per_update:.1f}",
                "—" if r.bytes_per_screen is None else f"{r.bytes_per_screen:,.0f}",
                verdict(r),
            ]
        )  # fmt: skip
    return rows


def ratio_rows(results: Sequence[Result]) -> list[list[str]]:
    rows = [["screens", "p95", "max", "CPU/update", "Redis cmds/update"]]
    by = {(r.mechanism, r.screens): r for r in results}
    for screens in sorted({r.screens for r in results}):
        sse, interval = by.get(("sse", screens)), by.get(("interval", screens))
        if sse is None or interval is None:
            continue

        def x(a: float, b: float) -> str:
            return f"{a / b:.2f}x" if b and a == a and b == b else "—"

        rows.append(
            [
                str(screens), x(sse.p(95), interval.p(95)), x(sse.worst, interval.worst),
                x(sse.cpu_ms_per_update, interval.cpu_ms_per_update),
                x(sse.commands_per_update, interval.commands_per_update),
            ]
        )  # fmt: skip
    return rows


def notes(results: Sequence[Result], interval_ms: int) -> list[str]:
    lines = []
    for r in results:
        top = ", ".join(f"{cmd} {n / r.events:.1f}" for cmd, n in r.commands.most_common(4))
        lines.append(f"{r.mechanism} x{r.screens} Redis commands/update: {top or 'none'}")
    for r in results:
        if r.aggregator_ms:
            lines.append(
                f"sse x{r.screens}: event -> updates entry p50 "
                f"{percentile(r.aggregator_ms, 50):.0f} ms, p95 "
                f"{percentile(r.aggregator_ms, 95):.0f} ms (the rest is hub + SSE + page)"
            )
    loads = ", ".join(f"{r.mechanism} x{r.screens} {r.load:.1f}" for r in results)
    lines.append(f"1-min load average at the end of each row ({os.cpu_count()} CPUs): {loads}")
    offsets = [abs(r.clock_offset[0]) for r in results]
    bound = max(r.clock_offset[1] for r in results)
    lines.append(
        f"browser clock vs this process: |offset| <= {max(offsets):.1f} ms (+/- {bound:.1f} ms "
        "round trip); latencies are not corrected for it"
    )
    for r in results:
        for error in r.errors:
            lines.append(f"{r.mechanism} x{r.screens}: a protocol client failed: {error}")
        if r.missing:
            lines.append(
                f"{r.mechanism} x{r.screens}: {r.missing} event(s) never shown in the tab "
                f"within {LATE_S:.0f} s of the last one"
            )
    lines.append(
        f"interval polls every {interval_ms} ms whether or not anything changed: its cost "
        "per update is its cost per second x the mean event spacing (~0.9 s)"
    )
    return lines


def machine(client: redis.Redis) -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    version = client.info("server")["redis_version"]
    return (
        f"{os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()}; "
        f"redis-server {version}; redis-py {redis.__version__}"
    )


def report(results: Sequence[Result], args: argparse.Namespace, about: str) -> str:
    head = (
        f"Push latency: {args.events} events per row (spacing {SPACING_S[0]}-{SPACING_S[1]} s), "
        f"interval {args.interval_ms} ms; {about}\n"
        "1 screen = the measuring Chromium tab; the others are protocol clients (SSE "
        "sockets read by one thread, or threads POSTing the tab's interval body), not browsers.\n"
        f"goal (sse): p95 <= {GOAL_P95_MS:.0f} ms and max <= {GOAL_MAX_MS:.0f} ms"
    )
    rows, ratios = result_rows(results), ratio_rows(results)
    body = table(rows) + "\n\nsse / interval\n" + table(ratios)
    return (
        head
        + "\n\n"
        + body
        + "\n\n"
        + "\n".join("note: " + n for n in notes(results, args.interval_ms))
    )


def markdown(results: Sequence[Result], args: argparse.Namespace, about: str) -> str:
    today = datetime.now().date().isoformat()
    given = " ".join(arg for arg in args.argv if arg not in ("--markdown",)) or "defaults"
    return "\n".join(
        [
            "## Live push (issue 5)",
            "",
            "XADD of a case event → the changed number in a screen's DOM, with "
            f"{args.screens.replace(',', ', ')}",
            "screens connected, and what the web tier spends per update, beside a plain",
            f"per-page `dcc.Interval` ({args.interval_ms} ms) in the same run. Method:",
            "[bench/README.md](../bench/README.md).",
            "",
            "```",
            ".venv/bin/python -m bench.push_latency            # 40 events per row",
            ".venv/bin/python -m bench.push_latency --quick    # 15 events per row",
            "```",
            "",
            f"**Machine:** {about}",
            "",
            f"### Figures ({today}, run with {given}; {args.events} events per row)",
            "",
            markdown_table(result_rows(results)),
            "",
            "sse / interval:",
            "",
            markdown_table(ratio_rows(results)),
            "",
            "One screen is a real Chromium tab (the latency columns); the others are",
            'protocol clients (SSE: sockets read by one thread; "clients p95": arrival,',
            "nothing drawn).",
            "",
            *(f"- {line}" for line in notes(results, args.interval_ms)),
            "",
        ]
    )


# -- the run ---------------------------------------------------------------------------


def gaps(results: Sequence[Result]) -> list[str]:
    """What the rows could not measure: events the measuring tab never showed, a
    protocol client that failed (its row's cost and arrival figures are partial).
    Updates a client saw late or not at all are a figure of the row (the saturated
    baseline falls behind), shown in its table, not a gap."""
    out = []
    for r in results:
        row = f"{r.mechanism} x{r.screens}"
        if r.missing or not r.latencies_ms:
            out.append(f"{row}: {r.missing} of {r.events} events never shown in the tab")
        out += [f"{row}: a protocol client failed: {error}" for error in r.errors]
    return out


def run(args: argparse.Namespace) -> list[str]:
    """Measure every row, print the report; the gaps (empty: every row is whole)."""
    began = time.monotonic()
    screens = sorted({max(1, int(n)) for n in args.screens.split(",") if n.strip()})
    rng = random.Random(args.seed)
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="citywall-push-"))
        stack.callback(shutil.rmtree, workdir, True)
        config = write_config(workdir, args.wall)
        server = stack.enter_context(EmbeddedRedis())
        client = redis.Redis.from_url(server.url)
        stack.callback(client.close)
        about = machine(client)
        print(about, flush=True)
        env = {**os.environ, "REDIS_URL": server.url}
        aggregator = Child.start(
            "citywall aggregate",
            [citywall_command(), "aggregate", "--config", str(config), "--consumer", "bench"],
            workdir / "aggregate.log",
            env,
        )
        stack.callback(aggregator.stop)
        workers = [int(w) for w in args.workers.split(",")] if args.workers else []
        mechanisms = [f"sse-{w}w" if w > 1 else "sse" for w in workers] or list(MECHANISMS)
        rows = [(mechanism, n) for n in screens for mechanism in mechanisms]
        now = datetime.now(ZoneInfo(ZONE))
        seed, cases = seed_events(now, args.events * len(rows), rng)
        EventWriter(client, Keys()).write(seed)
        wait_applied(client, Keys(), aggregator)
        print(
            f"seeded {len(seed):,} events (today and yesterday); aggregator caught up", flush=True
        )
        counter = CommandCounter(server.port)
        stack.callback(counter.close)
        tab = Tab()
        stack.callback(tab.quit)
        bench = Bench(
            client, server.url, config, workdir, tab, counter, iter(cases),
            args.events, args.interval_ms, rng, began,
        )  # fmt: skip
        for mechanism, n in rows:
            bench.progress(f"{mechanism}, {n} screen(s): {args.events} events")
            with contextlib.ExitStack() as row:
                result = bench.measure(mechanism, n, row)
            results.append(result)
            bench.progress(
                f"  p50 {ms(result.p(50))} ms, p95 {ms(result.p(95))} ms, "
                f"max {ms(result.worst)} ms, "
                f"CPU {result.cpu_percent:.0f}%, {result.commands_per_update:.1f} Redis cmds/update"
            )
            wait_applied(client, Keys(), aggregator)
    print()
    print(report(results, args, about))
    if args.markdown:
        print()
        print(markdown(results, args, about))
    if args.json:
        raw = [{**asdict(r), "commands": dict(r.commands)} for r in results]
        Path(args.json).write_text(json.dumps(raw, indent=1), encoding="utf-8")
        print(f"raw figures written to {args.json}")
    print(f"(ran {time.monotonic() - began:.0f} s)")
    return gaps(results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push_latency", description=__doc__)
    parser.add_argument("--screens", default="1,10,50", help="screen counts (1,10,50)")
    parser.add_argument("--events", type=int, help="events per measurement (40; --quick 15)")
    parser.add_argument("--interval-ms", type=int, default=250, help="baseline interval (250)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (spacing, phases)")
    parser.add_argument("--quick", action="store_true", help="15 events per measurement")
    parser.add_argument(
        "--markdown", action="store_true", help="also print docs/performance.md's section"
    )
    parser.add_argument("--json", metavar="PATH", help="also write every measurement there")
    parser.add_argument(
        "--workers", default="",
        help="compare web workers sharing one build, e.g. 1,4 (SSE only, no interval rows)",
    )  # fmt: skip
    parser.add_argument(
        "--wall",
        choices=("one-tile", "shipped"),
        default="one-tile",
        help="one kpi tile (default), or the shipped wall with every live tile",
    )
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.events = max(1, args.events or (15 if args.quick else 40))
    return run_reporting(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
