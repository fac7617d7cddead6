"""The KPIs the wall shows: key, names, formula (numerator over denominator), as the
county and city monthly reports define them (docs/kpis.md). Pure data: the config
validates tile options against it without loading pandas; data_feeds.kpis reads the
values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

KpiKey = Literal[
    "reported", "filed", "dispatched", "video_captures", "hotline_calls",
    "approvals_published", "closed", "due", "closure_rate", "ontime_closure_rate",
    "two_hour_rate", "timely_dispatch_rate", "rework_rate", "mean_handle_minutes", "checkins",
    "camera_online_rate",
]  # fmt: skip


@dataclass(frozen=True)
class Kpi:
    key: str
    zh: str
    en: str
    numerator: str
    denominator: str | None = None  # a rate when set
    scale: float = 1.0  # e.g. seconds -> minutes


KPIS: Final[tuple[Kpi, ...]] = (
    Kpi("reported", "受理数", "Reports accepted", "reported"),
    Kpi("filed", "立案数", "Cases filed", "filed"),
    Kpi("dispatched", "派遣案件数", "Cases dispatched", "dispatched"),
    Kpi("video_captures", "视频抓拍数", "Video auto-captures", "video_captures"),
    Kpi("hotline_calls", "热线受理数", "12319 hotline calls", "hotline_calls"),
    Kpi("approvals_published", "审批公示数", "Approvals published", "approvals_published"),
    Kpi("closed", "结案数", "Cases closed", "closed"),
    Kpi("due", "应结案数", "Cases due", "due"),
    Kpi("closure_rate", "结案率", "Closure rate", "closed", "due"),
    Kpi("ontime_closure_rate", "按期结案率", "On-time closure rate", "closed_on_time", "due"),
    Kpi(
        "two_hour_rate", "2小时办结率", "Solved within 2 h", "ordinary_closed_2h", "ordinary_closed"
    ),
    Kpi(
        "timely_dispatch_rate",
        "及时派遣率",
        "Timely dispatch rate",
        "dispatched_timely",
        "dispatched",
    ),
    Kpi("rework_rate", "返工率", "Rework rate", "rework", "handled"),
    Kpi(
        "mean_handle_minutes",
        "平均处置时长(分)",
        "Mean handling time (min)",
        "handle_seconds",
        "handle_count",
        1 / 60,
    ),
    Kpi("checkins", "签到人数", "Officers checked in", "checkins"),
    # Of the cameras whose state is known (probed or watched: every camera once the
    # relay probes), the share online now: a state of the present, like 应结案数.
    Kpi("camera_online_rate", "摄像机在线率", "Cameras online", "cameras_online", "cameras_known"),
)
KPI_BY_KEY: Final[dict[str, Kpi]] = {kpi.key: kpi for kpi in KPIS}


if tuple(KPI_BY_KEY) != get_args(KpiKey):  # one list, two spellings: keep them one
    raise RuntimeError("KpiKey and KPIS list different KPIs")


def is_rate(kpi: Kpi) -> bool:
    """A share (shown as a percentage), not a count or a mean."""
    return kpi.denominator is not None and kpi.scale == 1.0


def kpi_label(kpi: Kpi, locale: str) -> str:
    return kpi.zh if locale == "zh-CN" else kpi.en


RATES: Final = frozenset(kpi.key for kpi in KPIS if is_rate(kpi))
# Values of the present, not of an hour: 应结案数 (open past deadline) and the cameras'
# state now. The KPIs made of them have no hourly trend.
PRESENT_STATE: Final = frozenset({"due", "cameras_online", "cameras_known"})
DUE_BASED: Final = frozenset(
    kpi.key for kpi in KPIS if {kpi.numerator, kpi.denominator or ""} & PRESENT_STATE
)
