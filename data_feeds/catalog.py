"""The city-management vocabulary every stream uses: case statuses, kinds, categories
(CJ/T 214 style: 2-digit 大类 + 2-digit 小类), sources, officer and camera statuses,
the online approval services. Codes travel in events; names are looked up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

CaseStatus = Literal[
    "reported", "filed", "dispatched", "handled", "verified", "closed", "rework", "cancelled"
]
CaseKind = Literal["event", "component"]
CaseSource = Literal["hotline", "patrol", "video", "wechat", "referral"]
# How the reporter reached the hall (schema v2): the 12319 hotline's phone, WeChat, the
# app, the website, a letter, in person, an officer (监督员) or a camera.
CaseChannel = Literal["12319", "wechat", "app", "web", "letter", "walk_in", "officer", "camera"]
Priority = Literal["normal", "urgent"]
OfficerStatus = Literal["patrolling", "handling", "idle", "offline"]
OfficerAction = Literal["position", "status", "checkin"]
CameraStatus = Literal["online", "offline"]
ApprovalStatus = Literal["submitted", "approved", "rejected", "published"]
HotlineOutcome = Literal["case", "consultation", "duplicate"]

CASE_STATUS_NAMES: Final[dict[str, str]] = {
    "reported": "受理",
    "filed": "立案",
    "dispatched": "派遣",
    "handled": "处置",
    "verified": "核查",
    "closed": "结案",
    "rework": "返工",
    "cancelled": "作废",
}
# A case's statuses in workflow order; rework sends it back to handling.
CASE_FLOW: Final[tuple[str, ...]] = ("reported", "filed", "dispatched", "handled", "verified")
TERMINAL_STATUSES: Final[frozenset[str]] = frozenset({"closed", "cancelled"})

KIND_NAMES: Final[dict[str, str]] = {"event": "事件", "component": "部件"}
SOURCE_NAMES: Final[dict[str, str]] = {
    "hotline": "12319热线",
    "patrol": "巡查上报",
    "video": "视频抓拍",
    "wechat": "微信",
    "referral": "上级交办",
}
CHANNEL_NAMES: Final[dict[str, str]] = {
    "12319": "12319热线电话",
    "wechat": "微信公众号",
    "app": "手机APP",
    "web": "门户网站",
    "letter": "来信",
    "walk_in": "来访",
    "officer": "监督员上报",
    "camera": "视频监控",
}
PRIORITY_NAMES: Final[dict[str, str]] = {"normal": "一般", "urgent": "紧急"}
OFFICER_STATUS_NAMES: Final[dict[str, str]] = {
    "patrolling": "巡查中",
    "handling": "处置中",
    "idle": "空闲",
    "offline": "离线",
}
CAMERA_STATUS_NAMES: Final[dict[str, str]] = {"online": "在线", "offline": "离线"}
APPROVAL_STATUS_NAMES: Final[dict[str, str]] = {
    "submitted": "已申请",
    "approved": "已批准",
    "rejected": "不予批准",
    "published": "已公示",
}
# The nine WeChat "一键服务" services; the last two are information, not approvals,
# but their notices are published through the same channel.
APPROVAL_SERVICES: Final[dict[str, str]] = {
    "ad": "广告审批",
    "municipal": "市政审批",
    "muck": "渣土管理",
    "greening": "园林绿化",
    "storefront": "门面装修",
    "stall": "临时占道",
    "outdoor": "户外活动",
    "notice": "通知公告",
    "regulation": "政策法规",
}


@dataclass(frozen=True)
class Category:
    kind: str
    major: str
    major_name: str
    minor: str
    minor_name: str

    @property
    def code(self) -> str:
        return self.major + self.minor


_EVENT_CATEGORIES: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("01", "市容环境"): ("暴露垃圾", "卫生死角", "积存垃圾渣土", "道路不洁", "焚烧垃圾"),
    ("02", "宣传广告"): ("违章张贴小广告", "违规户外广告", "非法散发宣传品", "占道广告牌"),
    ("03", "施工管理"): ("施工扰民", "工地扬尘", "无证施工", "渣土遗撒", "施工占道"),
    ("04", "突发事件"): ("路面塌陷", "自来水管破裂", "燃气管道破裂", "道路积水", "火灾"),
    ("05", "街面秩序"): ("出店经营", "无照经营游商", "乱挂乱晒", "违章停车", "占道废品收购"),
    ("06", "其他事件"): ("其他",),
}
_COMPONENT_CATEGORIES: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("01", "公用设施"): ("上水井盖", "污水井盖", "雨水井盖", "消防栓", "路灯", "电力井盖"),
    ("02", "道路交通"): ("停车场", "人行道", "交通标志牌", "护栏", "交通信号灯"),
    ("03", "市容环境"): ("公共厕所", "垃圾箱", "垃圾间", "公共座椅", "报刊亭"),
    ("04", "园林绿化"): ("行道树", "古树名木", "绿地", "花坛", "绿地护栏"),
    ("05", "房屋土地"): ("宣传栏", "人防工事", "地下室"),
    ("06", "其他设施"): ("重大危险源", "工地", "其他"),
}


def _build(kind: str, table: dict[tuple[str, str], tuple[str, ...]]) -> list[Category]:
    return [
        Category(kind, major, major_name, f"{index:02d}", minor_name)
        for (major, major_name), minors in table.items()
        for index, minor_name in enumerate(minors, start=1)
    ]


CATEGORIES: Final[dict[tuple[str, str], Category]] = {
    (category.kind, category.code): category
    for category in _build("event", _EVENT_CATEGORIES) + _build("component", _COMPONENT_CATEGORIES)
}
# 2小时办结 is the hall's promise for ordinary city-appearance problems: these 大类.
ORDINARY_MAJORS: Final[frozenset[tuple[str, str]]] = frozenset(
    {("event", "01"), ("event", "02"), ("event", "05")}
)


def category(kind: str, code: str) -> Category | None:
    return CATEGORIES.get((kind, code))


def major_name(kind: str, major: str) -> str:
    table = _EVENT_CATEGORIES if kind == "event" else _COMPONENT_CATEGORIES
    return next((name for (code, name) in table if code == major), major)


def is_ordinary(kind: str, code: str, priority: str) -> bool:
    """An ordinary city-appearance case: the kind the hall promises to solve in 2 hours."""
    return priority == "normal" and (kind, code[:2]) in ORDINARY_MAJORS
