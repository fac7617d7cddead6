"""Annex B helpers: SPS/PPS put back before IDRs; RTSP pts filled in and kept increasing."""

from __future__ import annotations

from fractions import Fraction

from streams.sources.annexb import (
    ParameterSets,
    avcc_config_nals,
    join_nals,
    nal_types,
    split_nals,
)
from streams.sources.rtsp import PtsClock, redact

SPS = bytes([0x67, 0x42, 0xC0, 0x1E, 0xAA])
PPS = bytes([0x68, 0xCE, 0x3C, 0x80])
IDR = bytes([0x65, 0x88, 0x84, 0x00, 0x21])
SLICE = bytes([0x41, 0x9A, 0x02])
AUD = bytes([0x09, 0x10])
SPS2 = bytes([0x67, 0x64, 0x00, 0x1F, 0xBB])


def avcc(sps: bytes, pps: bytes) -> bytes:
    head = bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1])
    return head + len(sps).to_bytes(2, "big") + sps + b"\x01" + len(pps).to_bytes(2, "big") + pps


def test_split_handles_3_and_4_byte_start_codes() -> None:
    data = b"\x00\x00\x00\x01" + SPS + b"\x00\x00\x01" + PPS + b"\x00\x00\x00\x01" + IDR
    assert split_nals(data) == [SPS, PPS, IDR]
    assert nal_types(data) == [7, 8, 5]


def test_avcc_extradata_gives_sps_and_pps() -> None:
    assert avcc_config_nals(avcc(SPS, PPS)) == [SPS, PPS]
    assert avcc_config_nals(join_nals([SPS, PPS])) == [SPS, PPS]
    assert avcc_config_nals(b"") == []


def test_idr_without_parameter_sets_gets_them_after_the_aud() -> None:
    params = ParameterSets(avcc(SPS, PPS))
    assert split_nals(params.fix(join_nals([AUD, IDR]))) == [AUD, SPS, PPS, IDR]
    assert split_nals(params.fix(join_nals([IDR]))) == [SPS, PPS, IDR]
    untouched = join_nals([SLICE])
    assert params.fix(untouched) is untouched
    complete = join_nals([SPS, PPS, IDR])
    assert params.fix(complete) is complete


def test_in_band_parameter_sets_replace_the_extradata_ones() -> None:
    params = ParameterSets(join_nals([SPS, PPS]))
    params.fix(join_nals([SPS2, PPS, IDR]))  # the camera changed resolution
    assert split_nals(params.fix(join_nals([IDR]))) == [SPS2, PPS, IDR]


def test_without_any_parameter_sets_the_idr_passes_unchanged() -> None:
    data = join_nals([IDR])
    assert ParameterSets(None).fix(data) == data


def test_pts_clock_fills_missing_pts_from_arrival_then_follows_the_stream() -> None:
    clock = PtsClock(Fraction(1, 90_000))
    assert clock(None, 100.0) == 0  # first RTSP packet: no pts yet
    # The stream's pts starts somewhere arbitrary; it continues from the arrival estimate.
    assert clock(6_000_000, 100.066) == 5940
    assert clock(6_006_000, 100.133) == 11_940
    assert clock(6_006_000, 100.2) == 11_941  # a repeated pts still increases
    assert clock(None, 100.3) == 11_941 + 9000


def test_pts_clock_rescales_other_time_bases() -> None:
    clock = PtsClock(Fraction(1, 1000))
    assert clock(5000, 1.0) == 0
    assert clock(5067, 1.067) == 6030


def test_redact_hides_the_password() -> None:
    assert redact("rtsp://admin:s3cret@10.0.0.5:554/live") == "rtsp://admin:***@10.0.0.5:554/live"
    assert redact("rtsp://10.0.0.5/live") == "rtsp://10.0.0.5/live"
