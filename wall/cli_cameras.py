"""``citywall cameras check [IDS…] [--json]``: which cameras will play, before installation.

A hall's cameras mostly come set to H.265, or to H.264 High with B-frames and long
GOPs; the relay passes through only H.264 without B-frames. Finding out camera by
camera in front of the wall costs the installer days, so this connects to each
configured camera's main and sub stream (``streams.inspect``, as the relay connects),
reads it briefly (until its second keyframe, at most ``--timeout`` seconds, 8 at once)
and prints per stream what it sends and what to change on the camera
(``streams.advice``). Exits 1 when a stream cannot play, 2 for unknown ids.
Imports no web tier.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from wall.cli_common import add_config_arg, load_or_report
from wall.config import Camera
from wall.paths import default_config_path

if TYPE_CHECKING:
    from streams.advice import Advice
    from streams.inspect import StreamFacts

STREAMS = {"main": ("main",), "sub": ("sub",), "both": ("main", "sub")}


def add_commands(commands: Any) -> None:
    cameras = commands.add_parser("cameras", help="the inventory's cameras, seen from here")
    actions = cameras.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="read each camera's streams: codec, profile, GOP, B-frames, and what to change "
        "on the cameras that cannot play (摄像机检查); exit 1 if one cannot",
    )
    check.add_argument("ids", nargs="*", metavar="ID", help="camera ids (default: every camera)")
    add_config_arg(check)
    check.add_argument("--json", action="store_true", help="print JSON: one object per stream")
    check.add_argument(
        "--stream", choices=tuple(STREAMS), default="both", help="which streams (default both)"
    )
    check.add_argument(
        "--timeout", type=float, default=8.0, metavar="S",
        help="read each stream at most S seconds (default 8; it stops at its 2nd keyframe)",
    )  # fmt: skip
    check.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="streams read at once (default 8)"
    )
    check.set_defaults(handler=_check_command)


def _check_command(args: argparse.Namespace) -> int:
    from streams.inspect import CheckSettings, check_urls

    path = args.config or default_config_path()
    config = load_or_report(path)
    if config is None:
        return 1
    cameras = config.cameras.items
    if args.ids:
        known = {camera.id: camera for camera in cameras}
        unknown = [camera_id for camera_id in args.ids if camera_id not in known]
        if unknown:
            print(f"citywall cameras check: no camera {', '.join(unknown)} in the inventory",
                  file=sys.stderr)  # fmt: skip
            return 2
        cameras = [known[camera_id] for camera_id in dict.fromkeys(args.ids)]
    if args.timeout <= 0 or args.concurrency < 1:
        print("citywall cameras check: --timeout must be > 0, --concurrency ≥ 1", file=sys.stderr)
        return 2
    # The camera's own URLs, transcode: h264 or not: what the camera sends is judged.
    targets = [(camera, stream, camera.main if stream == "main" else camera.sub)
               for camera in cameras for stream in STREAMS[args.stream]]  # fmt: skip
    urls = list(dict.fromkeys(url for *_, url in targets))  # main == sub: read it once
    settings = CheckSettings(budget_s=args.timeout, concurrency=args.concurrency)
    progress = _Progress(len(urls)) if sys.stderr.isatty() and not args.json else None
    found = dict(zip(urls, check_urls(urls, settings, progress), strict=True))
    if progress is not None:
        progress.end()
    rows = [stream_row(camera, stream, url, found[url]) for camera, stream, url in targets]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(f"citywall cameras check of {path}: {len(cameras)} camera(s), {len(rows)} stream(s)")
        print_table(rows)
    return 0 if all(row["plays"] for row in rows) else 1


def stream_row(camera: Camera, stream: str, url: str, facts: StreamFacts) -> dict[str, Any]:
    """One stream's JSON object: who, the verdict, the facts, the advice (stable keys)."""
    from streams.advice import advise, verdict
    from streams.sources.rtsp import redact

    advice: list[Advice] = advise(facts, transcoded=camera.transcode == "h264")
    judged = verdict(advice)
    return {
        "camera": camera.id,
        "name": camera.name,
        "stream": stream,
        "url": redact(url),
        "transcode": camera.transcode,
        "verdict": judged,
        "plays": judged != "fail",
        **asdict(facts),
        "advice": [asdict(item) for item in advice],
    }


HEADERS = ("camera", "stream", "verdict", "connection", "codec", "profile", "size", "fps", "GOP",
           "B-frames", "SPS/PPS", "name")  # fmt: skip


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per stream, then what to change under it (Chinese, then English)."""
    cells = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [HEADERS, *cells]) for i in range(len(HEADERS) - 1)]

    def line(values: tuple[str, ...]) -> str:
        padded = [value.ljust(width) for value, width in zip(values, widths, strict=False)]
        return "  ".join([*padded, values[-1]]).rstrip()

    print(line(HEADERS))
    for row, values in zip(rows, cells, strict=True):
        print(line(values))
        for item in row["advice"]:
            mark = "改" if item["blocking"] else "建议"
            print(f"    {mark}：{item['zh']}\n        {item['en']}")
    failed = [f"{row['camera']} {row['stream']}" for row in rows if not row["plays"]]
    advised = sum(1 for row in rows if row["verdict"] == "warn")
    later = f"; {advised} play(s) but should change" if advised else ""
    if failed:
        print(f"{len(failed)} of {len(rows)} stream(s) cannot play: {', '.join(failed)}{later}")
    else:
        print(f"every stream can play{later}")


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    def shown(value: Any) -> str:
        return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    size = f"{row['width']}x{row['height']}" if row["width"] else "-"
    if row["gop_frames"] is not None:
        gop = f"{row['gop_frames']} f / {shown(row['gop_s'])} s"
    else:
        gop = f"> {shown(row['gop_over_s'])} s" if row["gop_over_s"] is not None else "-"
    b_frames = {True: "yes", False: "no", None: "-"}[row["b_frames"]]
    if row["sps_pps_in_band"]:
        params = "in-band"
    elif row["sps_pps_in_band"] is False:
        params = "re-inserted" if row["sps_pps_in_sdp"] or row["sps_pps_seen"] else "missing"
    else:
        params = "-"
    verdict = {"ok": "ok", "warn": "warn", "fail": "FAIL"}[row["verdict"]]
    return (
        *(row["camera"], row["stream"], verdict, row["connection"], shown(row["codec"])),
        *(shown(row["profile"]), size, shown(row["fps"]), gop, b_frames, params, row["name"]),
    )


class _Progress:
    """ "checked 12/694" on a terminal's stderr while the streams are read."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0
        self.started = time.monotonic()

    def __call__(self, index: int, facts: StreamFacts) -> None:
        self.count += 1
        elapsed = time.monotonic() - self.started
        print(f"\rchecked {self.count}/{self.total} stream(s), {elapsed:.0f} s",
              end="", file=sys.stderr, flush=True)  # fmt: skip

    def end(self) -> None:
        print(file=sys.stderr)
