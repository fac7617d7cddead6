"""``citywall cameras check`` against real RTSP cameras (GStreamer, tests/rtsp_server.py):
one the relay passes through (constrained baseline), the two defaults of real halls'
cameras it cannot (H.264 High with B-frames, H.265), one behind a password the URL
gets wrong, one with a long GOP, and an address where nothing listens. The command
runs as the installer runs it, a real process, and must say which will play and what
to change on the others; its exit status says whether all can play."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.localhost import free_port
from testkit.citywall import citywall_command
from tests.rtsp import RtspServer

PASSWORD = "Hik-12345"
CONFIG = """
version: 1
wall: {{title: 测试, columns: 1, rows: 1, screen: {{width: 1920, height: 1080}}}}
tiles:
  - {{id: one, type: camera, x: 0, y: 0, cameras: [CAM-1]}}
cameras: {{inventory: {inventory}}}
map: {{center: [28.689, 112.889], zoom: 14, bounds: [[28.64, 112.83], [28.74, 112.95]]}}
"""
KEYS = {
    "camera", "name", "stream", "url", "transcode", "verdict", "plays", "connection", "error",
    "codec", "profile", "level", "width", "height", "fps", "gop_frames", "gop_s", "gop_over_s",
    "b_frames", "sps_pps_in_band", "sps_pps_seen", "sps_pps_in_sdp", "frames", "keyframes",
    "advice",
}  # fmt: skip


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config whose inventory names the cameras; the cameras run until the module ends."""
    tmp = tmp_path_factory.mktemp("cameras")
    kinds = ["/cam1", "/cam2=high-bframes", "/cam3=h265"]
    with (
        RtspServer(paths=kinds, size="640x360", fps=15, gop=30) as cameras,  # 2 s GOPs
        # Behind a password; 90 frames at 15 fps: a GOP of 6 s.
        RtspServer(paths=["/cam1"], gop=90, user="admin", password=PASSWORD) as locked,
    ):
        nobody = f"rtsp://127.0.0.1:{free_port()}/Streaming/Channels/101"
        rows = [
            ("CAM-1", "文星路口", cameras.url("/cam1"), ""),
            ("CAM-2", "湘阴大道", cameras.url("/cam2"), ""),
            ("CAM-3", "仙姑路", cameras.url("/cam3"), ""),
            ("CAM-4", "左公路", locked.url("/cam1", "admin", "guess"), ""),
            ("CAM-5", "洞庭大道", nobody, ""),
            ("CAM-6", "东湖路", locked.url("/cam1", "admin", PASSWORD), ""),
            ("CAM-7", "仙姑路（转码）", cameras.url("/cam3"), "h264"),  # the H.265 one, transcoded
        ]
        lines = [f"{cid},{name},28.69,112.89,4306240010101,{url},{url},,{transcode}\n"
                 for cid, name, url, transcode in rows]  # fmt: skip
        inventory = tmp / "cameras.csv"
        inventory.write_text(
            "id,name,lat,lon,grid,main,sub,tags,transcode\n" + "".join(lines), encoding="utf-8"
        )
        config = tmp / "wall_config.yaml"
        config.write_text(CONFIG.format(inventory=inventory), encoding="utf-8")
        yield config


def check(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [citywall_command(), "cameras", "check", "--config", str(config), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def by_camera(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The main streams' rows by camera id (main and sub are the same URL here)."""
    for row in rows:
        twin = next(r for r in rows if r["camera"] == row["camera"] and r is not row)
        assert {k: v for k, v in twin.items() if k != "stream"} == {
            k: v for k, v in row.items() if k != "stream"
        }
    return {row["camera"]: row for row in rows if row["stream"] == "main"}


def codes(row: dict[str, Any]) -> list[str]:
    return [item["code"] for item in row["advice"]]


def test_every_camera_reported_with_what_to_change_and_a_failing_exit(hall: Path) -> None:
    done = check(hall, "--json")
    assert done.returncode == 1, done.stderr  # some cannot play
    rows = json.loads(done.stdout)
    assert len(rows) == 14 and [r["stream"] for r in rows[:2]] == ["main", "sub"]
    assert all(set(row) == KEYS for row in rows)
    cams = by_camera(rows)

    good = cams["CAM-1"]
    assert (good["verdict"], good["plays"], good["connection"]) == ("ok", True, "ok")
    assert (good["codec"], good["profile"]) == ("H.264", "Constrained Baseline")
    assert (good["width"], good["height"]) == (640, 360)
    assert good["fps"] == pytest.approx(15, abs=0.5)
    assert good["gop_frames"] == 30 and good["gop_s"] == pytest.approx(2.0, abs=0.1)
    assert good["b_frames"] is False and good["sps_pps_in_band"] is True
    assert good["advice"] == []

    high = cams["CAM-2"]
    assert (high["codec"], high["profile"], high["b_frames"]) == ("H.264", "High", True)
    assert (high["verdict"], high["plays"], codes(high)) == ("fail", False, ["b_frames"])
    assert high["advice"][0]["en"] == (
        "turn B-frames off (or use Baseline/Main profile without B-frames)"
    )
    assert high["advice"][0]["blocking"] is True

    hevc = cams["CAM-3"]
    assert (hevc["codec"], hevc["profile"], hevc["width"], hevc["height"]) == (
        "H.265", "Main", 640, 360)  # fmt: skip
    assert (hevc["verdict"], hevc["plays"], codes(hevc)) == ("fail", False, ["codec"])
    assert hevc["advice"][0]["en"].startswith("set the stream's encoding to H.264 (it is H.265)")

    wrong = cams["CAM-4"]
    assert (wrong["connection"], wrong["verdict"], codes(wrong)) == (
        "auth failed",
        "fail",
        ["auth"],
    )
    assert "check the user and password in the URL" in wrong["advice"][0]["en"]
    assert "guess" not in wrong["url"] and ":***@" in wrong["url"]

    refused = cams["CAM-5"]
    assert (refused["connection"], refused["verdict"], refused["codec"]) == (
        "refused",
        "fail",
        None,
    )
    assert codes(refused) == ["refused"]

    slow = cams["CAM-6"]  # the right password: it plays, but its GOP is 6 s
    assert (slow["connection"], slow["codec"], slow["verdict"], slow["plays"]) == (
        "ok", "H.264", "warn", True)  # fmt: skip
    assert codes(slow) == ["gop"] and slow["advice"][0]["blocking"] is False
    assert slow["advice"][0]["en"].startswith("set the I-frame interval to 1–2 s")
    assert slow["gop_s"] == pytest.approx(6.0, abs=0.2) or slow["gop_over_s"] >= 4

    transcoded = cams["CAM-7"]  # the H.265 camera with transcode: h264 plays
    assert (transcoded["codec"], transcoded["transcode"]) == ("H.265", "h264")
    assert (transcoded["verdict"], transcoded["plays"], codes(transcoded)) == (
        "warn",
        True,
        ["codec"],
    )
    assert transcoded["advice"][0]["blocking"] is False
    assert transcoded["advice"][0]["en"].startswith("the relay transcodes it (transcode: h264)")


def test_only_the_good_camera_checked_exits_zero_and_the_table_says_so(hall: Path) -> None:
    done = check(hall, "CAM-1")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"citywall cameras check of {hall}: 1 camera(s), 2 stream(s)")
    assert lines[1].split()[:4] == ["camera", "stream", "verdict", "connection"]
    assert lines[2].split()[:5] == ["CAM-1", "main", "ok", "ok", "H.264"]
    assert "Constrained Baseline" in lines[2] and "640x360" in lines[2]
    assert "30 f / 2 s" in lines[2] and "in-band" in lines[2]
    assert lines[-1] == "every stream can play"


def test_the_table_names_the_advice(hall: Path) -> None:
    done = check(hall, "CAM-2", "CAM-3", "CAM-4", "--stream", "main")
    assert done.returncode == 1
    out = done.stdout
    rows = [line.split()[:4] for line in out.splitlines() if line.startswith("CAM-")]
    assert rows == [
        ["CAM-2", "main", "FAIL", "ok"], ["CAM-3", "main", "FAIL", "ok"],
        ["CAM-4", "main", "FAIL", "auth"],  # auth failed
    ]  # fmt: skip
    assert "关闭 B 帧（或改用不带 B 帧的 Baseline/Main 档次）" in out
    assert "turn B-frames off (or use Baseline/Main profile without B-frames)" in out
    assert "把该码流的视频编码设为 H.264（现为 H.265）" in out
    assert "set the stream's encoding to H.264" in out
    assert "check the user and password in the URL" in out
    assert (
        out.splitlines()[-1] == "3 of 3 stream(s) cannot play: CAM-2 main, CAM-3 main, CAM-4 main"
    )


def test_an_unknown_camera_is_a_usage_error(hall: Path) -> None:
    done = check(hall, "CAM-1", "NOPE-9")
    assert done.returncode == 2
    assert "no camera NOPE-9 in the inventory" in done.stderr and done.stdout == ""
