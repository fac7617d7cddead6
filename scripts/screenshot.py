"""Take a PNG of the running demo as headless Chromium shows it (for docs/).

python scripts/screenshot.py docs/wall.png [--path /wall] [--size 2560x720] [--settle 20]
python scripts/screenshot.py docs/console.png --path /console --role operator --size 1600x1000

It starts ``citywall demo`` (private Redis, simulator back-filled to now, relay), waits
until the live tiles are live and the cameras play, then saves the page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# Run as a file (python scripts/screenshot.py): the checkout's packages, testkit among
# them (never installed), are found from the repo root.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.localhost import free_port  # noqa: E402 (after the path is set)
from testkit.chromium import Chromium  # noqa: E402
from testkit.citywall import start_wall  # noqa: E402
from testkit.signin import sign_in  # noqa: E402

CONSOLE_READY = """
const cells = document.querySelectorAll(
  '.cw-console [data-renderer="console-mini"] .cw-mini__cell');
return cells.length > 0 && document.querySelectorAll('#console-results button').length > 0;
"""
READY = """
const wall = document.getElementById('wall');
const cells = [...document.querySelectorAll('.cw-camera__cell')]
    .filter(c => !c.closest('.cw-camera__template'));  // the hidden cell camera.js clones
return !!wall && wall.dataset.liveState === 'live'
    && cells.every(c => c.dataset.state === 'playing');
"""


def demo_password(log: Path, role: str) -> str:
    """The demo prints its users' passwords once, on its login line."""
    for line in log.read_text("utf-8").splitlines():
        if "login:" in line and f"{role} / " in line:
            return line.split(f"{role} / ")[1].split(",")[0].strip()
    raise SystemExit(f"the demo printed no login:\n{log.read_text('utf-8')}")


def wait_ready(driver: Chromium, script: str, timeout: float = 120) -> None:
    """Until the page says it is live (a screenshot of a half-drawn wall is no use)."""
    deadline = time.monotonic() + timeout
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise SystemExit(f"the page was not ready within {timeout:.0f} s")
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--path", default="/wall")
    parser.add_argument("--size", default="2560x720")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after ready")
    parser.add_argument("--role", default="viewer", help="who signs in (the demo's users)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "demo.log"
    demo = start_wall(["demo", "--port", str(port)], log, port, timeout=300)
    try:
        driver = Chromium(width, height)
        try:
            password = demo_password(log, args.role)
            sign_in(driver, demo.url, args.role, then=args.path, password=password)
            wait_ready(driver, CONSOLE_READY if args.path.startswith("/console") else READY)
            time.sleep(args.settle)  # the charts' and the map's animations end
            driver.save_screenshot(str(args.out.resolve()))
        finally:
            driver.quit()
        print(f"wrote {args.out}")
    finally:
        demo.stop(timeout=20)  # the demo stops its own Redis and relay first


if __name__ == "__main__":
    main()
