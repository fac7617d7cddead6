"""H.264 Annex B access units: split into NAL units, and keep SPS/PPS in front of every IDR.

A viewer that joins mid-stream can only start decoding at an IDR that carries the
parameter sets, so every source re-inserts the last SPS/PPS it saw (in-band or from
the container's extradata) when an upstream leaves them out.
"""

from __future__ import annotations

import re

NAL_SLICE = 1
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9

START_CODE = b"\x00\x00\x00\x01"
# A 3-byte start code, with the optional leading zero of a 4-byte one folded in.
_START = re.compile(b"\x00?\x00\x00\x01")


def is_annexb(data: bytes) -> bool:
    return data.startswith(START_CODE) or data.startswith(b"\x00\x00\x01")


def split_nals(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B buffer, without start codes."""
    starts = [(m.start(), m.end()) for m in _START.finditer(data)]
    nals = []
    for i, (_, body) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(data)
        nal = data[body:end]
        if nal:
            nals.append(nal)
    return nals


def nal_type(nal: bytes) -> int:
    return nal[0] & 0x1F


def nal_types(data: bytes) -> list[int]:
    return [nal_type(n) for n in split_nals(data)]


def join_nals(nals: list[bytes]) -> bytes:
    return b"".join(START_CODE + n for n in nals)


def avcc_config_nals(extradata: bytes) -> list[bytes]:
    """SPS/PPS from an ``avcC`` record (MP4/MKV extradata) or from Annex B extradata."""
    if is_annexb(extradata):
        return split_nals(extradata)
    if len(extradata) < 7 or extradata[0] != 1:
        return []
    nals: list[bytes] = []
    pos = 5
    # avcC: numOfSPS (low 5 bits), then 16-bit-length-prefixed SPSs; numOfPPS, then PPSs.
    for count_mask in (0x1F, 0xFF):
        if pos >= len(extradata):
            break
        count = extradata[pos] & count_mask
        pos += 1
        for _ in range(count):
            size = int.from_bytes(extradata[pos : pos + 2], "big")
            nals.append(extradata[pos + 2 : pos + 2 + size])
            pos += 2 + size
    return [n for n in nals if n]


class ParameterSets:
    """The latest SPS and PPS of a stream, put back in front of IDRs that lack them."""

    def __init__(self, extradata: bytes | None = None) -> None:
        self.sps: bytes | None = None
        self.pps: bytes | None = None
        if extradata:
            self._remember(avcc_config_nals(extradata))

    def _remember(self, nals: list[bytes]) -> None:
        for nal in nals:
            kind = nal_type(nal)
            if kind == NAL_SPS:
                self.sps = nal
            elif kind == NAL_PPS:
                self.pps = nal

    def fix(self, data: bytes) -> bytes:
        """``data`` (one Annex B access unit) with SPS/PPS before its IDR slice if missing."""
        nals = split_nals(data)
        self._remember(nals)
        kinds = [nal_type(n) for n in nals]
        if NAL_IDR not in kinds:
            return data
        first_idr = kinds.index(NAL_IDR)
        before = kinds[:first_idr]
        if NAL_SPS in before and NAL_PPS in before:
            return data
        if self.sps is None or self.pps is None:
            return data  # nothing to add; the decoder waits for the next IDR with them
        # An access unit delimiter must stay first; the parameter sets go right after it.
        at = 1 if kinds and kinds[0] == NAL_AUD else 0
        fixed = [*nals[:at], self.sps, self.pps, *nals[at:]]
        return join_nals(fixed)
