"""Take a PNG of the running demo as headless Chromium shows it (for docs/).

python scripts/screenshot.py docs/wall.png [--path /wall] [--size 2560x720] [--settle 20]
python scripts/screenshot.py docs/console.png --path /console --role operator --size 1600x1000

It starts ``citywall demo`` (private Redis, simulator back-filled to now, relay), waits
until the live tiles are live and the cameras play, then saves the page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

from core.localhost import free_port, stop_process  # noqa: E402
from tests.chromium import CHROMIUM_FLAGS  # noqa: E402 (after the path is set)

CONSOLE_READY = """
const mini = document.getElementById('console-mini');
return !!mini && mini.children.length > 0
    && document.querySelectorAll('#console-results button').length > 0;
"""
READY = """
const wall = document.getElementById('wall');
const cells = [...document.querySelectorAll('.cw-camera__cell')];
return !!wall && wall.dataset.liveState === 'live'
    && cells.every(c => c.dataset.state === 'playing');
"""


def wait_until_up(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def demo_password(log: Path, role: str) -> str:
    """The demo prints its users' passwords once, on its login line."""
    for line in log.read_text("utf-8").splitlines():
        if "login:" in line and f"{role} / " in line:
            return line.split(f"{role} / ")[1].split(",")[0].strip()
    raise SystemExit(f"the demo printed no login:\n{log.read_text('utf-8')}")


def sign_in(driver: webdriver.Chrome, base: str, role: str, password: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element("id", "name").send_keys(role)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("css selector", "button[type=submit]").click()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--path", default="/wall")
    parser.add_argument("--size", default="2560x720")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after ready")
    parser.add_argument("--role", default="viewer", help="who signs in (the demo's users)")
    args = parser.parse_args()
    os.environ["SE_OFFLINE"] = "true"
    chromium = shutil.which("chromium") or sys.exit("chromium not found")
    driver_path = shutil.which("chromedriver") or sys.exit("chromedriver not found")
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "demo.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "citywall"), "demo", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    width, height = (int(v) for v in args.size.split("x"))
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        with tempfile.TemporaryDirectory() as profile:
            options = webdriver.ChromeOptions()
            options.binary_location = chromium
            for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
                options.add_argument(flag)
            options.add_argument(f"--window-size={width},{height}")
            driver = webdriver.Chrome(options=options, service=Service(driver_path))
            try:
                base = f"http://127.0.0.1:{port}"
                sign_in(driver, base, args.role, demo_password(log, args.role))
                driver.get(f"http://127.0.0.1:{port}{args.path}")
                deadline = time.monotonic() + 120
                ready = CONSOLE_READY if args.path.startswith("/console") else READY
                while not driver.execute_script(ready) and time.monotonic() < deadline:
                    time.sleep(0.5)
                time.sleep(args.settle)
                driver.save_screenshot(str(args.out.resolve()))
            finally:
                driver.quit()
        print(f"wrote {args.out}")
    finally:
        stop_process(server, group=True, timeout=20)


if __name__ == "__main__":
    main()
