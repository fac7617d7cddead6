#!/usr/bin/python3
"""A real RTSP server for the tests: GStreamer's gst-rtsp-server, live H.264 test video.

Runs with the *system* Python (``/usr/bin/python3``), which has the GObject
bindings; the project's venv has not. Debian packages: python3-gi
gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
gstreamer1.0-plugins-ugly gstreamer1.0-x (and gstreamer1.0-plugins-bad for ``h265``).

    /usr/bin/python3 tests/rtsp_server.py --port 8554 --path /cam1 [--path /cam2=h265]
        [--size 640x360] [--fps 15] [--gop 30] [--user U --password P]

A mount's ``=KIND`` is what the camera sends (default ``baseline``): ``baseline`` and
``high`` (no B-frames) are what the relay passes through; ``high-bframes`` (H.264 High
with B-frames) and ``h265`` (needs x265enc, gstreamer1.0-plugins-bad) are the encodings
real cameras default to that it cannot (``citywall cameras check`` tells them apart).
With ``--user`` and ``--password`` every mount asks for them (Digest, as Hikvision and
Dahua cameras do).

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
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

ROLE = "camera-user"
# The encoder and payloader of each KIND of camera, after the raw test picture.
ENCODERS = {
    # Like a well-set IP camera: constrained baseline (no B-frames), an IDR every
    # ``gop`` frames, SPS/PPS sent with every IDR (config-interval=-1).
    "baseline": (
        "x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max={gop} threads=1 "
        "! video/x-h264,profile=constrained-baseline "
        "! rtph264pay config-interval=-1 name=pay0 pt=96"
    ),
    # H.264 High without B-frames: passed through (browsers decode High).
    "high": (
        "x264enc tune=zerolatency speed-preset=superfast dct8x8=true bframes=0 "
        "key-int-max={gop} threads=1 "
        "! video/x-h264,profile=high "
        "! rtph264pay config-interval=-1 name=pay0 pt=96"
    ),
    # A camera left at "H.264 High" with B-frames (no zerolatency tune: it turns them off).
    "high-bframes": (
        "x264enc speed-preset=superfast dct8x8=true bframes=2 b-adapt=false key-int-max={gop} "
        "threads=1 "
        "! video/x-h264,profile=high "
        "! rtph264pay config-interval=-1 name=pay0 pt=96"
    ),
    # A camera left at its H.265 default.
    "h265": (
        "x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} "
        "! video/x-h265,profile=main "
        "! rtph265pay config-interval=-1 name=pay0 pt=96"
    ),
}


def pipeline(width: int, height: int, fps: int, gop: int, kind: str = "baseline") -> str:
    encoder = ENCODERS[kind].format(gop=gop)
    return (
        f"( videotestsrc is-live=true pattern=ball "
        f"! video/x-raw,width={width},height={height},framerate={fps}/1 "
        f"! timeoverlay "
        f"! {encoder} )"
    )


def require_login(server: GstRtspServer.RTSPServer, user: str, password: str) -> None:
    """Every mount asks for ``user`` and ``password`` (Digest), as real cameras do."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
    auth.add_digest(user, password, token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    server.set_auth(auth)


def allow_login(factory: GstRtspServer.RTSPMediaFactory) -> None:
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role(ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    permissions.add_permission_for_role(ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    factory.set_permissions(permissions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--path",
        action="append",
        help=f"mount path[=KIND], repeatable (default /cam1); KIND: {', '.join(ENCODERS)}",
    )
    parser.add_argument("--size", default="640x360", help="WxH")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--gop", type=int, default=30, help="frames between keyframes")
    parser.add_argument("--user", default=None, help="ask for this user (with --password)")
    parser.add_argument("--password", default=None)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    if args.user is not None:
        require_login(server, args.user, args.password or "")
    mounts = server.get_mount_points()
    for spec in args.path or ["/cam1"]:
        path, _, kind = spec.partition("=")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(pipeline(width, height, args.fps, args.gop, kind or "baseline"))
        factory.set_shared(True)
        if args.user is not None:
            allow_login(factory)
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
