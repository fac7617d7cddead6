"""``citywall cameras check``'s reading of streams and its rules, on real encoders' output.

The SPS/VPS reader must name the profile and the cropped size of what libx264 and
libx265 write (as cameras' encoders do); the observer must tell B-frames, the GOP and
where SPS/PPS come from; the rules must say what to change, blocking or not."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple, cast

import av
import numpy as np
import pytest

from streams.advice import advise, verdict
from streams.inspect import Observer, StreamFacts, check_urls
from streams.sources.annexb import NAL_PPS, NAL_SPS, join_nals, nal_type, split_nals
from streams.sources.sps import (
    BitReader,
    BitstreamError,
    h264_slice_type,
    h265_nal_type,
    parse_h264_sps,
    parse_h265_sps,
    rbsp,
)

FPS = 15
X264 = "keyint={gop}:min-keyint={gop}:scenecut=0:repeat-headers=1:annexb=1"


class Unit(NamedTuple):
    """One encoded access unit, as a camera sends it: Annex B, pts in frames."""

    data: bytes
    pts: int
    is_keyframe: bool


def encode(codec: str, width: int, height: int, frames: int, options: dict[str, str],
           pix_fmt: str = "yuv420p") -> list[Unit]:  # fmt: skip
    """``frames`` of a moving gradient encoded at 15 fps, in decode order."""
    context = cast(av.VideoCodecContext, av.CodecContext.create(codec, "w"))
    context.width, context.height, context.pix_fmt = width, height, pix_fmt
    context.time_base = Fraction(1, FPS)
    context.framerate = Fraction(FPS, 1)
    context.options = options
    ramp = np.arange(width)[None, :] + np.arange(height)[:, None]
    packets = []
    for index in range(frames):
        picture = np.stack([(ramp * 3 + index * 7) % 256] * 3, axis=-1).astype(np.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format=pix_fmt)
        frame.pts = index
        packets += context.encode(frame)
    packets += context.encode(None)
    return [Unit(bytes(p), p.pts or 0, p.is_keyframe) for p in packets]


def x264(width: int, height: int, frames: int = 40, gop: int = 30, extra: str = "",
         profile: str = "baseline", pix_fmt: str = "yuv420p") -> list[Unit]:  # fmt: skip
    options = {
        "preset": "ultrafast",
        "profile": profile,
        "x264-params": X264.format(gop=gop) + extra,
    }
    return encode("libx264", width, height, frames, options, pix_fmt)


def first_nal(packets: list[Unit], wanted: int, hevc: bool = False) -> bytes:
    kind = h265_nal_type if hevc else nal_type
    return next(n for p in packets for n in split_nals(p.data) if kind(n) == wanted)


def observe(packets: list[Unit], codec: str = "h264", header: bytes | None = None,
            keep: set[int] | None = None) -> StreamFacts:  # fmt: skip
    """The observer's facts; ``keep``: only these NAL types go in (others are dropped)."""
    observer = Observer(codec, header)
    for packet in packets:
        data = packet.data
        if keep is not None:
            data = join_nals([n for n in split_nals(data) if nal_type(n) in keep])
        observer.feed(data, packet.pts / FPS, packet.is_keyframe, 0.0)
    return observer.facts()


# ── SPS / VPS reading ──────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("profile", "extra", "pix_fmt", "size", "name"),
    [
        ("baseline", "", "yuv420p", (1920, 1080), "Constrained Baseline"),  # 1088 cropped
        ("main", ":bframes=2:b-adapt=0", "yuv420p", (1280, 720), "Main"),
        ("high", ":8x8dct=1:bframes=2", "yuv420p", (642, 362), "High"),  # both sides cropped
        ("high10", ":8x8dct=1", "yuv420p10le", (1280, 720), "High 10"),
        ("high422", ":8x8dct=1", "yuv422p", (640, 360), "High 4:2:2"),  # 4:2:2 crop units
    ],
)
def test_h264_sps_gives_profile_and_cropped_size(
    profile: str, extra: str, pix_fmt: str, size: tuple[int, int], name: str
) -> None:
    packets = x264(*size, frames=3, extra=extra, profile=profile, pix_fmt=pix_fmt)
    sps = parse_h264_sps(first_nal(packets, NAL_SPS))
    assert (sps.codec, sps.profile, (sps.width, sps.height)) == ("h264", name, size)
    assert sps.level.count(".") == 1


@pytest.mark.parametrize(
    ("pix_fmt", "size", "name"),
    [("yuv420p", (1280, 720), "Main"), ("yuv420p10le", (650, 370), "Main 10")],
)
def test_h265_sps_gives_profile_and_conformance_cropped_size(
    pix_fmt: str, size: tuple[int, int], name: str
) -> None:
    params = "keyint=30:repeat-headers=1:log-level=error"
    packets = encode("libx265", *size, 2, {"preset": "ultrafast", "x265-params": params}, pix_fmt)
    sps = parse_h265_sps(first_nal(packets, 33, hevc=True))
    assert (sps.codec, sps.profile, (sps.width, sps.height)) == ("hevc", name, size)


def test_emulation_prevention_and_exp_golomb() -> None:
    assert rbsp(b"\x00\x00\x03\x01\x00\x00\x03\x00") == b"\x00\x00\x01\x00\x00\x00"
    bits = BitReader(bytes([0b1_010_011_0, 0b0100_0010, 0b1000_0000]))
    assert [bits.ue(), bits.ue(), bits.ue(), bits.ue()] == [0, 1, 2, 3]
    assert bits.se() == -2  # code 4: 00101
    with pytest.raises(BitstreamError):
        bits.u(16)
    with pytest.raises(BitstreamError):
        parse_h264_sps(bytes([0x68, 0xCE]))  # a PPS


def test_slice_types_of_a_stream_with_b_frames() -> None:
    packets = x264(320, 240, frames=12, extra=":bframes=2:b-adapt=0", profile="main")
    types = {h264_slice_type(n) for p in packets for n in split_nals(p.data)} - {None}
    assert types == {"I", "P", "B"}


# ── what the observer makes of a stream ────────────────────────────────────────────────
def test_constrained_baseline_2s_gop_is_what_the_relay_wants() -> None:
    facts = observe(x264(640, 360))
    assert (facts.codec, facts.profile, facts.width, facts.height) == (
        "H.264", "Constrained Baseline", 640, 360)  # fmt: skip
    assert (facts.fps, facts.gop_frames, facts.gop_s, facts.b_frames) == (15.0, 30, 2.0, False)
    assert (facts.sps_pps_in_band, facts.sps_pps_in_sdp) == (True, None)
    assert advise(facts) == [] and verdict(advise(facts)) == "ok"


def test_b_frames_are_seen_in_slices_and_in_timestamps() -> None:
    packets = x264(640, 360, extra=":bframes=2:b-adapt=0", profile="main")
    assert observe(packets).b_frames is True
    # A stream whose timestamps say nothing (as some RTSP streams): the slices still do.
    observer = Observer("h264")
    for packet in packets:
        observer.feed(packet.data, None, packet.is_keyframe, 0.0)
    assert observer.facts().b_frames is True


def test_parameter_sets_only_in_the_sdp_only_early_or_nowhere() -> None:
    packets = x264(640, 360)
    header = join_nals([first_nal(packets, NAL_SPS), first_nal(packets, NAL_PPS)])
    pictures = {1, 5}
    sdp_only = observe(packets, header=header, keep=pictures)
    assert (sdp_only.sps_pps_in_band, sdp_only.sps_pps_in_sdp) == (False, True)
    assert sdp_only.profile == "Constrained Baseline"  # read from the SDP's SPS
    assert [(a.code, a.blocking) for a in advise(sdp_only)] == [("sps_pps", False)]

    nowhere = observe(packets, keep=pictures)
    assert (nowhere.sps_pps_in_band, nowhere.sps_pps_seen, nowhere.sps_pps_in_sdp) == (
        False, False, None)  # fmt: skip
    assert [(a.code, a.blocking) for a in advise(nowhere)] == [("sps_pps_missing", True)]

    # With the first keyframe only: the relay remembers them for the later ones.
    observer = Observer("h264")
    for index, packet in enumerate(packets):
        nals = split_nals(packet.data)
        if index > 0:
            nals = [n for n in nals if nal_type(n) in pictures]
        observer.feed(join_nals(nals), packet.pts / FPS, packet.is_keyframe, 0.0)
    early = observer.facts()
    assert (early.sps_pps_in_band, early.sps_pps_seen) == (False, True)
    assert verdict(advise(early)) == "warn"


def test_parameter_sets_in_packets_of_their_own_count_as_in_band() -> None:
    observer = Observer("h264")
    for packet in x264(640, 360):
        nals = split_nals(packet.data)
        for nal in nals:  # SPS, PPS, SEI: one packet each, then the picture's slices
            if nal_type(nal) not in (1, 5):
                observer.feed(join_nals([nal]), packet.pts / FPS, False, 0.0)
        slices = [n for n in nals if nal_type(n) in (1, 5)]
        observer.feed(join_nals(slices), packet.pts / FPS, False, 0.0)
    facts = observer.facts()
    assert (facts.sps_pps_in_band, facts.keyframes, facts.gop_frames) == (True, 2, 30)


def test_a_long_gop_is_measured_or_bounded() -> None:
    facts = observe(x264(320, 240, frames=80, gop=75))
    assert (facts.gop_frames, facts.gop_s) == (75, 5.0)
    assert [a.en for a in advise(facts)] == [
        "set the I-frame interval to 1–2 s (15–30 frames at 15 fps)"
    ]
    # A live camera read for 8 s with one keyframe, 3 s in: the GOP is longer than 5 s.
    observer = Observer("h264", live_since=100.0)
    for index, packet in enumerate(x264(320, 240, frames=120, gop=300)[:120]):
        observer.feed(packet.data, None, packet.is_keyframe, 103.0 + index / FPS)
    observer.live_until = 108.0
    bounded = observer.facts()
    assert (bounded.keyframes, bounded.gop_s, bounded.gop_over_s) == (1, None, 5.0)
    assert [a.code for a in advise(bounded)] == ["gop"]


def test_h265_is_told_apart() -> None:
    params = "keyint=30:min-keyint=30:scenecut=0:repeat-headers=1:bframes=0:log-level=error"
    packets = encode("libx265", 640, 360, 35, {"preset": "ultrafast", "x265-params": params})
    facts = observe(packets, codec="hevc")
    assert (facts.codec, facts.profile, facts.width, facts.height) == ("H.265", "Main", 640, 360)
    assert (facts.gop_frames, facts.b_frames, facts.sps_pps_in_band) == (30, False, True)


# ── the rules ──────────────────────────────────────────────────────────────────────────
GOOD = StreamFacts(
    codec="H.264", profile="Constrained Baseline", level="3.1", width=1280, height=720,
    fps=25.0, gop_frames=50, gop_s=2.0, b_frames=False, sps_pps_in_band=True,
    sps_pps_seen=True, sps_pps_in_sdp=True, frames=51, keyframes=2,
)  # fmt: skip


def plan(facts: StreamFacts, transcoded: bool = False) -> list[tuple[str, bool]]:
    return [(item.code, item.blocking) for item in advise(facts, transcoded)]


def test_what_cannot_play_is_blocking_and_comes_first() -> None:
    hikvision_default = replace(GOOD, codec="H.265", profile="Main", b_frames=True, gop_s=4.2)
    assert plan(hikvision_default) == [("codec", True), ("b_frames", True), ("gop", False)]
    assert verdict(advise(hikvision_default)) == "fail"
    codec = advise(hikvision_default)[0]
    assert codec.en.startswith("set the stream's encoding to H.264 (it is H.265)")
    assert codec.zh.startswith("把该码流的视频编码设为 H.264（现为 H.265）")
    assert advise(hikvision_default)[2].en == (
        "set the I-frame interval to 1–2 s (25–50 frames at 25 fps)"
    )
    assert plan(replace(GOOD, profile="High", b_frames=True)) == [("b_frames", True)]
    assert plan(replace(GOOD, profile="High")) == []  # High without B-frames plays
    assert plan(replace(GOOD, profile="High 10")) == [("profile", True)]


def test_gop_limits() -> None:
    assert plan(replace(GOOD, gop_s=4.0)) == []
    assert plan(replace(GOOD, gop_s=4.1)) == [("gop", False)]
    assert verdict(advise(replace(GOOD, gop_s=8.0))) == "warn"
    # Fewer than two keyframes: the GOP is longer than gop_over_s.
    assert plan(replace(GOOD, gop_frames=None, gop_s=None, gop_over_s=4.0)) == [("gop", False)]
    assert plan(replace(GOOD, gop_frames=None, gop_s=None, gop_over_s=1.5)) == []


@pytest.mark.parametrize(
    ("connection", "code", "says"),
    [
        ("auth failed", "auth", "check the user and password in the URL"),
        ("refused", "refused", "nothing listens there"),
        ("timeout", "timeout", "no answer in time"),
        ("unreachable", "unreachable", "cannot reach the camera"),
        ("RTSP 404", "path", "no stream at that path"),
        ("RTSP 503", "rtsp", "refused the stream (RTSP 503)"),
        ("no video", "no_video", "has no video"),
        ("error", "error", "could not read the stream: OSError: boom"),
    ],
)
def test_a_stream_not_read_says_where_to_look(connection: str, code: str, says: str) -> None:
    facts = StreamFacts(connection=connection, error="OSError: boom" if code == "error" else None)
    advice = advise(facts)
    assert [(a.code, a.blocking) for a in advice] == [(code, True)]
    assert says in advice[0].en and advice[0].zh
    assert verdict(advice) == "fail"
    assert plan(facts, transcoded=True) == [(code, True)]  # transcoding needs a connection


def test_a_transcoded_camera_plays_and_is_still_advised() -> None:
    hevc = replace(GOOD, codec="H.265", profile="Main", b_frames=True)
    assert plan(hevc, transcoded=True) == [("codec", False), ("b_frames", False)]
    assert verdict(advise(hevc, transcoded=True)) == "warn"
    assert advise(hevc, transcoded=True)[0].en.startswith("the relay transcodes it")
    assert plan(GOOD, transcoded=True) == [("transcode_unneeded", False)]


# ── file:// recordings, read through the relay's Annex B filter ────────────────────────
def test_a_recording_with_b_frames_and_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.codec_context.options = {
            "preset": "ultrafast", "x264-params": "keyint=30:bframes=2:b-adapt=0",
        }  # fmt: skip
        for unit in range(40):
            ramp = (np.arange(320)[None, :] + np.arange(240)[:, None] + unit * 5) % 256
            frame = av.VideoFrame.from_ndarray(
                np.stack([ramp] * 3, axis=-1).astype(np.uint8), format="rgb24"
            )
            frame.pts = unit
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    clip, missing = check_urls([path.as_uri(), (tmp_path / "gone.mp4").as_uri()])
    assert (clip.codec, clip.width, clip.height, clip.gop_frames, clip.b_frames) == (
        "H.264", 320, 240, 30, True)  # fmt: skip
    assert (clip.sps_pps_in_band, clip.sps_pps_in_sdp) == (True, True)  # avcC, then Annex B
    assert [a.code for a in advise(clip)] == ["b_frames"]
    assert (missing.connection, [a.code for a in advise(missing)]) == ("no file", ["no_file"])
