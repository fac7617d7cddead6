"""An H.265 camera (GStreamer's x265enc behind a real RTSP server), as most Hikvision
and Dahua cameras send by default, plays in Chromium when the config says
``transcode: h264``: the relay decodes and re-encodes it while it is watched; without
it, the cell says in words why it cannot play instead of 连接中 forever."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from testkit.chromium import console_errors
from testkit.citywall import write_config
from testkit.signin import sign_in
from tests.browser.conftest import Browser
from tests.browser.test_console import wait_playing
from tests.live_stack import LiveStack
from tests.rtsp import RtspServer

TILES = """\
  - {id: hevc, type: camera, x: 0, y: 0, cameras: [HV-001]}
  - {id: raw, type: camera, x: 1, y: 0, cameras: [HV-002]}
"""


def test_an_h265_camera_with_transcode_plays_in_chromium(tmp_path: Path, browser: Browser) -> None:
    with RtspServer(paths=["/cam1=h265"], size="1280x720") as camera:
        inventory = tmp_path / "cameras.csv"
        inventory.write_text(
            "id,name,lat,lon,grid,main,sub,tags,transcode\n"
            f"HV-001,文星路与洞庭大道交叉口,28.69,112.89,4306240010101,{camera.url()},"
            f"{camera.url()},,h264\n"
            f"HV-002,文星路与洞庭大道交叉口,28.69,112.89,4306240010101,{camera.url()},"
            f"{camera.url()},,\n",
            encoding="utf-8",
        )
        config = write_config(tmp_path / "wall_config.yaml", TILES)
        text = config.read_text(encoding="utf-8")
        config.write_text(
            "\n".join(
                f"  inventory: {inventory}" if line.startswith("  inventory:") else line
                for line in text.splitlines()
            ) + "\n", encoding="utf-8",
        )  # fmt: skip
        stack = LiveStack(config, tmp_path, relay=True).start()
        try:
            wall = browser(1280, 720)
            sign_in(wall, stack.url, role="viewer", then="/wall/screen/1")
            wait_playing(wall, "hevc", "HV-001", timeout=40)  # frames decoded, and rising
            # Without transcode the same camera cannot play, and its cell says why.
            wall2 = browser(1280, 720)
            sign_in(wall2, stack.url, role="viewer", then="/wall/screen/2")
            WebDriverWait(wall2, 40).until(
                lambda d: "H.265" in d.find_element(
                    By.CSS_SELECTOR, '#tile-raw [data-camera-id="HV-002"] .cw-camera__state'
                ).text,
                "the cell never said why the H.265 camera cannot play",
            )  # fmt: skip
            cell = wall2.find_element(By.CSS_SELECTOR, '#tile-raw [data-camera-id="HV-002"]')
            assert cell.get_attribute("data-state") == "unplayable"
            assert console_errors(wall) == []
            assert console_errors(wall2) == []
        finally:
            stack.stop()
