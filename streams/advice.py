"""From a stream's facts to a verdict and what to change on the camera.

The rules are the relay's conditions (docs/video.md, "What a camera stream must be"):
it forwards H.264 access units as they come, so the codec must be H.264 in a profile
browsers decode, with no B-frames (frames sent out of display order cannot be
forwarded as they come); a long GOP plays but a picture that breaks recovers only at
the next keyframe; SPS/PPS missing from keyframes are re-inserted from the SDP. A
camera with ``transcode: h264`` is decoded and re-encoded by the relay, so only its
connection can stop it; the rest is still advised (transcoding costs CPU per stream).

Each piece of advice names the camera setting to change, in Chinese (the installer's
camera web page is in Chinese) and in English, and says whether the stream cannot
play without it (``blocking``). Pure rules: no I/O, unit-tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, Literal

from streams.inspect import StreamFacts

Verdict = Literal["ok", "warn", "fail"]

MAX_GOP_S: Final = 4.0  # longer: after a loss, the picture waits this long for a keyframe
PLAYABLE_PROFILES: Final = frozenset({"Constrained Baseline", "Baseline", "Main", "High"})


@dataclass(frozen=True)
class Advice:
    code: str  # stable, for machines: codec, b_frames, profile, gop, sps_pps, auth, ...
    en: str
    zh: str
    blocking: bool  # the stream cannot play until this is changed


# code -> (English, Chinese); {placeholders} are filled from the facts.
TEXTS: Final[dict[str, tuple[str, str]]] = {
    "auth": (
        "check the user and password in the URL (rtsp://user:password@host/…)",
        "检查 URL 中的用户名和密码（rtsp://用户名:密码@地址/…）",
    ),
    "refused": (
        "nothing listens there: check the camera's address, its RTSP port (554) and that "
        "RTSP is enabled",
        "该地址端口无服务：检查摄像机 IP、RTSP 端口（554）及是否启用 RTSP",
    ),
    "timeout": (
        "no answer in time: check the network path to the camera (address, VLAN, firewall)",
        "连接超时：检查到摄像机的网络（IP、VLAN、防火墙）",
    ),
    "unreachable": (
        "cannot reach the camera: check its address (no route, or the name does not resolve)",
        "无法到达摄像机：检查 IP 地址（无路由或域名无法解析）",
    ),
    "path": (
        "the camera has no stream at that path: check the URL's path and channel "
        "(e.g. Hikvision /Streaming/Channels/101)",
        "摄像机上没有该路径的码流：检查 URL 的路径和通道号",
    ),
    "rtsp": (
        "the camera refused the stream ({connection}): check the URL",
        "摄像机拒绝了该码流（{connection}）：检查 URL",
    ),
    "no_video": (
        "the stream has no video (or sent none in time): check the channel and stream in the URL",
        "该码流没有视频（或未及时发送）：检查 URL 中的通道和码流",
    ),
    "no_file": ("no such file: {error}", "文件不存在：{error}"),
    "error": ("could not read the stream: {error}", "无法读取该码流：{error}"),
    "codec": (
        "set the stream's encoding to H.264 (it is {codec}); a camera that cannot be set "
        "plays with transcode: h264 in the inventory, at a CPU cost",
        "把该码流的视频编码设为 H.264（现为 {codec}）；无法设置的摄像机可在清单中设 "
        "transcode: h264（转码，占用 CPU）",
    ),
    "codec_transcoded": (
        "the relay transcodes it (transcode: h264), at a CPU cost per watched stream: set the "
        "stream's encoding to H.264 (it is {codec}) to pass it through instead",
        "转发服务正在转码（transcode: h264），每路观看都占用 CPU：把该码流的视频编码设为 H.264"
        "（现为 {codec}）即可直接转发",
    ),
    "profile": (
        "set the profile to Main or Baseline: browsers cannot decode {profile}",
        "把编码档次设为 Main 或 Baseline（浏览器无法解码 {profile}）",
    ),
    "b_frames": (
        "turn B-frames off (or use Baseline/Main profile without B-frames)",
        "关闭 B 帧（或改用不带 B 帧的 Baseline/Main 档次）",
    ),
    "sps_pps_missing": (
        "the camera sends no SPS/PPS, neither with keyframes nor in its SDP: turn on sending "
        "SPS/PPS with every I-frame",
        "摄像机的关键帧和 SDP 中都没有 SPS/PPS：开启每个 I 帧携带 SPS/PPS",
    ),
    "sps_pps": (
        "SPS/PPS are not sent with every keyframe (the relay re-inserts them from the SDP or "
        "an earlier keyframe); turn on SPS/PPS with every I-frame if the camera offers it",
        "并非每个关键帧前都有 SPS/PPS（转发服务会从 SDP 或之前的关键帧补上）；"
        "如摄像机支持，开启每个 I 帧携带 SPS/PPS",
    ),
    "gop": ("set the I-frame interval to 1–2 s{frames}", "把 I 帧间隔设为 1–2 秒{zh_frames}"),
    "transcode_unneeded": (
        "plays as it comes: remove transcode: h264 from this camera to save the relay's CPU",
        "该码流可直接转发：去掉此摄像机的 transcode: h264 以节省转发服务的 CPU",
    ),
}
WARNINGS: Final = frozenset({"gop", "sps_pps", "transcode_unneeded"})  # it plays meanwhile
# What the relay's transcoder (transcode: h264) decodes away: still worth changing (CPU).
TRANSCODED_AWAY: Final = frozenset({"codec", "profile", "b_frames", "sps_pps", "sps_pps_missing"})


def _advice(code: str, facts: StreamFacts, text: str | None = None, **extra: str) -> Advice:
    values = {"connection": facts.connection, "error": facts.error or facts.connection,
              "codec": facts.codec or "?", "profile": facts.profile or "?", **extra}  # fmt: skip
    en, zh = TEXTS[text or code]
    return Advice(code, en.format(**values), zh.format(**values), code not in WARNINGS)


_CONNECTIONS: Final = {
    "auth failed": "auth",
    "refused": "refused",
    "timeout": "timeout",
    "unreachable": "unreachable",
    "RTSP 404": "path",
    "no video": "no_video",
    "no file": "no_file",
}


def advise(facts: StreamFacts, transcoded: bool = False) -> list[Advice]:
    """What to change on the camera for this stream, the blocking changes first.
    ``transcoded``: the camera has ``transcode: h264``, so the relay decodes and
    re-encodes it: codec, profile and B-frames no longer stop it from playing."""
    if facts.connection != "ok":
        code = _CONNECTIONS.get(facts.connection)
        if code is None:
            code = "rtsp" if facts.connection.startswith("RTSP ") else "error"
        return [_advice(code, facts)]
    advice: list[Advice] = []
    if facts.codec != "H.264":
        advice.append(_advice("codec", facts, text="codec_transcoded" if transcoded else "codec"))
    else:
        if facts.profile is not None and facts.profile not in PLAYABLE_PROFILES:
            advice.append(_advice("profile", facts))
        if facts.sps_pps_in_band is False:
            known = facts.sps_pps_in_sdp or facts.sps_pps_seen  # the relay re-inserts them
            advice.append(_advice("sps_pps" if known else "sps_pps_missing", facts))
    if facts.b_frames:  # after a switch to H.264 too: the setting often stays
        advice.append(_advice("b_frames", facts))
    # gop_over_s is a strict lower bound: the GOP is longer than it.
    if (facts.gop_s or 0.0) > MAX_GOP_S or (facts.gop_over_s or 0.0) >= MAX_GOP_S:
        frames = zh_frames = ""
        if facts.fps:
            low, high = round(facts.fps), round(2 * facts.fps)
            frames = f" ({low}–{high} frames at {facts.fps:g} fps)"
            zh_frames = f"（{facts.fps:g} 帧/秒时为 {low}–{high} 帧）"
        advice.append(_advice("gop", facts, frames=frames, zh_frames=zh_frames))
    if transcoded:
        if not any(item.code in TRANSCODED_AWAY for item in advice):
            advice.append(_advice("transcode_unneeded", facts))
        advice = [replace(item, blocking=False) if item.code in TRANSCODED_AWAY else item
                  for item in advice]  # fmt: skip
    return sorted(advice, key=lambda item: not item.blocking)


def verdict(advice: list[Advice]) -> Verdict:
    """ "fail": cannot play; "warn": plays, but a change is advised; "ok"."""
    if any(item.blocking for item in advice):
        return "fail"
    return "warn" if advice else "ok"
