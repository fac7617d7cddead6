"""Take a PNG of the wall as headless Chromium renders it (for docs/).

python scripts/screenshot.py docs/wall.png [--path /wall] [--size 1920x540]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chromium import CHROMIUM_FLAGS  # noqa: E402 (after the path is set)
from wall.localhost import free_port, stop_process  # noqa: E402


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--path", default="/wall")
    parser.add_argument("--size", default="1920x540")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or sys.exit("chromium not found")
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "citywall"), "serve", "--port", str(port)],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [
                    chromium,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    f"--window-size={args.size.replace('x', ',')}",
                    "--virtual-time-budget=4000",
                    f"--screenshot={args.out.resolve()}",
                    f"http://127.0.0.1:{port}{args.path}",
                ],
                check=True,
                capture_output=True,
            )
        print(f"wrote {args.out}")
    finally:
        stop_process(server, group=True)


if __name__ == "__main__":
    main()
