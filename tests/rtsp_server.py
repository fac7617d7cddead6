#!/usr/bin/python3
"""A real RTSP server for the tests: GStreamer's gst-rtsp-server, live H.264 test video.

Runs with the *system* Python (``/usr/bin/python3``), which has the GObject
bindings; the project's venv has not. Debian packages: python3-gi
gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
gstreamer1.0-plugins-ugly gstreamer1.0-x.

    /usr/bin/python3 tests/rtsp_server.py --port 8554 --path /cam1 [--path /cam2]
        [--size 640x360] [--fps 15] [--gop 30]

Prints ``READY port=N`` on stdout once listening (``--port 0``: the OS picks one);
SIGTERM or SIGINT stops it. Each mount is shared: one encoder however many clients.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def pipeline(width: int, height: int, fps: int, gop: int) -> str:
    # Like an IP camera: live, constrained baseline (no B-frames), an IDR every
    # ``gop`` frames, SPS/PPS sent with every IDR (config-interval=-1).
    return (
        f"( videotestsrc is-live=true pattern=ball "
        f"! video/x-raw,width={width},height={height},framerate={fps}/1 "
        f"! timeoverlay "
        f"! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max={gop} threads=1 "
        f"! video/x-h264,profile=constrained-baseline "
        f"! rtph264pay config-interval=-1 name=pay0 pt=96 )"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--path", action="append", help="mount path, repeatable (default /cam1)")
    parser.add_argument("--size", default="640x360", help="WxH")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--gop", type=int, default=30, help="frames between keyframes")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for path in args.path or ["/cam1"]:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(pipeline(width, height, args.fps, args.gop))
        factory.set_shared(True)
        mounts.add_factory(path if path.startswith("/") else f"/{path}", factory)

    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print(f"READY port={server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
