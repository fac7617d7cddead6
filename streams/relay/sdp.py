"""What the relay changes in a viewer's offer, and what it needs from aiortc's codecs."""

from __future__ import annotations

from aiortc import RTCRtpCodecCapability, RTCRtpSender


def strip_mdns_candidates(sdp: str) -> str:
    """Drop ``a=candidate`` lines whose address is an mDNS name (``….local``).

    Chromium hides its host addresses behind mDNS names; aioice resolves them slowly
    (about a second) or not at all. Without them the browser's connectivity checks still
    reach us and aioice learns its address from them (peer-reflexive candidates).
    """
    kept = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            fields = line.split()
            if len(fields) > 4 and fields[4].lower().endswith(".local"):
                continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"


def h264_preferences() -> list[RTCRtpCodecCapability]:
    """H.264 and its retransmission codec only: offered VP8, aiortc would re-encode."""
    return [
        codec
        for codec in RTCRtpSender.getCapabilities("video").codecs
        if codec.mimeType.lower() in ("video/h264", "video/rtx")
    ]


def answers_h264(sdp: str) -> bool:
    """Whether an answer sends H.264 on a video section that is not rejected."""
    in_video = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            fields = line.split()
            in_video = fields[0] == "m=video" and len(fields) > 1 and fields[1] != "0"
        elif in_video and line.startswith("a=rtpmap:") and "H264/90000" in line:
            return True
    return False
