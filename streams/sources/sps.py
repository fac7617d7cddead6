"""Just enough of H.264's and H.265's parameter sets and slice headers to judge a camera.

``citywall cameras check`` must say which profile and size a camera sends and whether
it uses B-frames, from the stream itself: FFmpeg's own guesses are unreliable for
this (with the relay's start-at-once options it probes nothing; ``has_b_frames`` is
guessed high for SPSs without VUI reorder info, which many cameras write). So the few
fields needed are read here, from the NAL units' bits: profile, level and the cropped
picture size from an SPS, and the slice type from an H.264 slice header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Codec = Literal["h264", "hevc"]

# H.264 profile_idc -> name (ITU-T H.264 Annex A); constraint_set1 makes Baseline "Constrained".
H264_PROFILES: Final = {
    66: "Baseline",
    77: "Main",
    88: "Extended",
    100: "High",
    110: "High 10",
    122: "High 4:2:2",
    244: "High 4:4:4 Predictive",
    44: "CAVLC 4:4:4 Intra",
    83: "Scalable Baseline",
    86: "Scalable High",
    118: "Multiview High",
    128: "Stereo High",
}
# Profiles whose SPS carries chroma format and bit depth (and may carry scaling lists).
_H264_HIGH_FAMILY: Final = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
# H.265 general_profile_idc -> name (ITU-T H.265 Annex A).
H265_PROFILES: Final = {
    1: "Main",
    2: "Main 10",
    3: "Main Still Picture",
    4: "Range Extensions",
    5: "High Throughput",
    9: "Screen Content",
}
H264_SLICE_TYPES: Final = ("P", "B", "I", "SP", "SI")

H265_VPS, H265_SPS, H265_PPS = 32, 33, 34
H265_IRAP: Final = range(16, 24)  # BLA, IDR, CRA: a decoder can start at them


class BitstreamError(ValueError):
    """The NAL unit ended before the field being read, or is not what it should be."""


def rbsp(nal: bytes) -> bytes:
    """``nal``'s payload with the emulation-prevention bytes (00 00 03 -> 00 00) removed."""
    out = bytearray()
    zeros = 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class BitReader:
    """MSB-first bits with Exp-Golomb codes, over an RBSP (emulation prevention removed)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0  # in bits

    def u(self, bits: int) -> int:
        if self.pos + bits > len(self.data) * 8:
            raise BitstreamError(f"ran out of bits reading {bits} at bit {self.pos}")
        value = 0
        for _ in range(bits):
            byte = self.data[self.pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def flag(self) -> bool:
        return self.u(1) == 1

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise BitstreamError("Exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code % 2 else -(code // 2)


@dataclass(frozen=True, slots=True)
class SpsInfo:
    codec: Codec
    profile_idc: int
    profile: str  # e.g. "Constrained Baseline", "High", "Main 10"
    level: str  # e.g. "3.1"
    width: int
    height: int


def h264_profile_name(profile_idc: int, constraints: int) -> str:
    """The profile's name; ``constraints`` is the SPS's constraint_set flags byte."""
    name = H264_PROFILES.get(profile_idc, f"profile {profile_idc}")
    if profile_idc == 66 and constraints & 0x40:  # constraint_set1: decodable as Main too
        return "Constrained Baseline"
    return name


def parse_h264_sps(nal: bytes) -> SpsInfo:
    """Profile, level and cropped size from an H.264 SPS NAL unit (with its header byte)."""
    if not nal or nal[0] & 0x1F != 7:
        raise BitstreamError("not an H.264 SPS")
    bits = BitReader(rbsp(nal[1:]))
    profile_idc, constraints, level_idc = bits.u(8), bits.u(8), bits.u(8)
    bits.ue()  # seq_parameter_set_id
    chroma_format_idc = 1
    separate_planes = False
    if profile_idc in _H264_HIGH_FAMILY:
        chroma_format_idc = bits.ue()
        if chroma_format_idc == 3:
            separate_planes = bits.flag()
        bits.ue(), bits.ue()  # bit depths (luma, chroma) minus 8
        bits.u(1)  # qpprime_y_zero_transform_bypass_flag
        if bits.flag():  # seq_scaling_matrix_present_flag
            for index in range(8 if chroma_format_idc != 3 else 12):
                if bits.flag():
                    _skip_scaling_list(bits, 16 if index < 6 else 64)
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()  # log2_max_pic_order_cnt_lsb_minus4
    elif poc_type == 1:
        bits.u(1)  # delta_pic_order_always_zero_flag
        bits.se(), bits.se()  # offsets for non-ref pictures and for the bottom field
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
    frame_mbs_only = bits.flag()
    if not frame_mbs_only:
        bits.u(1)  # mb_adaptive_frame_field_flag
    bits.u(1)  # direct_8x8_inference_flag
    width, height = width_mbs * 16, (2 - frame_mbs_only) * height_units * 16
    if bits.flag():  # frame_cropping_flag
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        if chroma_format_idc == 0 or separate_planes:
            unit_x, unit_y = 1, 2 - frame_mbs_only
        else:
            sub_w, sub_h = {1: (2, 2), 2: (2, 1), 3: (1, 1)}[chroma_format_idc]
            unit_x, unit_y = sub_w, sub_h * (2 - frame_mbs_only)
        width -= unit_x * (left + right)
        height -= unit_y * (top + bottom)
    level = "1b" if level_idc == 9 else f"{level_idc // 10}.{level_idc % 10}"
    return SpsInfo("h264", profile_idc, h264_profile_name(profile_idc, constraints), level,
                   width, height)  # fmt: skip


def _skip_scaling_list(bits: BitReader, size: int) -> None:
    last = following = 8
    for _ in range(size):
        if following != 0:
            following = (last + bits.se() + 256) % 256
        last = following if following != 0 else last


def parse_h265_sps(nal: bytes) -> SpsInfo:
    """Profile, level and conformance-cropped size from an H.265 SPS NAL unit."""
    if len(nal) < 3 or (nal[0] >> 1) & 0x3F != H265_SPS:
        raise BitstreamError("not an H.265 SPS")
    bits = BitReader(rbsp(nal[2:]))
    bits.u(4)  # sps_video_parameter_set_id
    sub_layers = bits.u(3)  # sps_max_sub_layers_minus1
    bits.u(1)  # sps_temporal_id_nesting_flag
    # profile_tier_level(1, sub_layers): space, tier, profile, 32 + 48 flag bits, level.
    bits.u(3)
    profile_idc = bits.u(5)
    bits.u(32)
    bits.u(48)
    level_idc = bits.u(8)
    present = [(bits.flag(), bits.flag()) for _ in range(sub_layers)]
    if sub_layers:
        bits.u(2 * (8 - sub_layers))  # reserved_zero_2bits
    for profile_present, level_present in present:
        bits.u(88 if profile_present else 0)
        bits.u(8 if level_present else 0)
    bits.ue()  # sps_seq_parameter_set_id
    chroma_format_idc = bits.ue()
    separate_planes = bits.flag() if chroma_format_idc == 3 else False
    width, height = bits.ue(), bits.ue()
    if bits.flag():  # conformance_window_flag
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        if chroma_format_idc == 0 or separate_planes:
            sub_w, sub_h = 1, 1
        else:
            sub_w, sub_h = {1: (2, 2), 2: (2, 1), 3: (1, 1)}[chroma_format_idc]
        width -= sub_w * (left + right)
        height -= sub_h * (top + bottom)
    name = H265_PROFILES.get(profile_idc, f"profile {profile_idc}")
    return SpsInfo("hevc", profile_idc, name, f"{level_idc // 30}.{level_idc % 30 // 3}",
                   width, height)  # fmt: skip


def h264_slice_type(nal: bytes) -> str | None:
    """ "P", "B", "I", "SP" or "SI" for an H.264 slice NAL unit (types 1 and 5), else None."""
    if not nal or nal[0] & 0x1F not in (1, 5):
        return None
    bits = BitReader(rbsp(nal[1:8]))  # the two codes needed sit in the first bytes
    try:
        bits.ue()  # first_mb_in_slice
        kind = bits.ue()
    except BitstreamError:
        return None
    return H264_SLICE_TYPES[kind % 5] if kind < 10 else None


def h265_nal_type(nal: bytes) -> int:
    return (nal[0] >> 1) & 0x3F
