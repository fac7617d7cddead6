"""What a simulated case says (问题描述): how it reached the hall, then the problem.

A description is a lead-in for the reporter's channel (``市民拨打12319热线反映：``)
followed by one of the sentences written for the case's category; ``{shop}`` in a
sentence is a kind of shop. Every catalog category has at least two sentences
(checked at import), so every 大类 has several.
"""

from __future__ import annotations

import random
from typing import Final

from data_feeds import catalog
from data_feeds.catalog import CaseChannel

Code = tuple[str, str]  # (kind, 4-digit category)

LEADS: Final[dict[CaseChannel, tuple[str, ...]]] = {
    "camera": ("视频智能分析抓拍：", "视频巡查发现："),
    "officer": ("监督员巡查发现：", "网格监督员上报："),
    "12319": ("市民拨打12319热线反映：", "群众来电反映："),
    "wechat": ("市民通过微信公众号反映：", "微信随手拍："),
    "letter": ("上级交办群众来信：", "县信访局转办来信反映："),
    "web": ("上级交办门户网站留言：", "网民在县政府门户网站留言反映："),
    "app": ("市民通过手机APP反映：",),
    "walk_in": ("群众来访反映：",),
}
SHOPS: Final = ("餐馆", "水果店", "五金店", "便利店", "服装店", "烧烤店", "副食店", "手机店")

PROBLEMS: Final[dict[Code, tuple[str, ...]]] = {
    # 事件 events: 01 市容环境
    ("event", "0101"): ("路边垃圾桶满溢，垃圾散落地面未及时清运，影响市容。",
                        "绿化带旁堆放生活垃圾，散发异味，需清理。"),
    ("event", "0102"): ("背街小巷有卫生死角，杂物堆积，蚊蝇滋生。",
                        "楼道口与围墙之间长期堆积杂物，无人清扫。"),
    ("event", "0103"): ("路边积存建筑垃圾渣土约两立方米，未覆盖。",
                        "空地上堆放装修垃圾和渣土，长期未清运。"),
    ("event", "0104"): ("路面有油污和泥土，行人车辆通行不便。",
                        "人行道上散落废纸、塑料袋等杂物，路面不洁。"),
    ("event", "0105"): ("有人在路边焚烧垃圾和树叶，烟雾较大，影响周边居民。",
                        "空地上露天焚烧废弃物，存在火灾隐患。"),
    # 02 宣传广告
    ("event", "0201"): ("电线杆和墙面上张贴大量小广告，影响市容。",
                        "公交站台张贴办证、疏通管道等小广告。"),
    ("event", "0202"): ("{shop}门头外擅自设置户外广告牌，未经审批。",
                        "楼顶广告牌破损松动，存在坠落隐患。"),
    ("event", "0203"): ("路口有人向行人和车辆散发宣传单，纸张散落一地。",
                        "有人在路边散发商业传单，影响交通秩序。"),
    ("event", "0204"): ("{shop}门前摆放落地广告牌，占用人行道。",
                        "人行道上摆放多块移动广告牌，妨碍行人通行。"),
    # 03 施工管理
    ("event", "0301"): ("工地夜间施工，噪音较大，影响周边居民休息。",
                        "工地清晨进行机械作业，噪声扰民，居民意见较大。"),
    ("event", "0302"): ("工地裸土未覆盖，车辆进出扬尘严重。",
                        "工地未采取洒水降尘措施，周边道路灰尘较大。"),
    ("event", "0303"): ("临街房屋擅自改建，未见施工许可公示。",
                        "有人在人行道上擅自开挖施工，未设置围挡。"),
    ("event", "0304"): ("渣土车运输途中遗撒，路面留有大量泥土。",
                        "工地出口车辆带泥上路，路面污染严重。"),
    ("event", "0305"): ("施工材料堆放占用人行道，未设置警示标志。",
                        "施工围挡超出审批范围，占用机动车道。"),
    # 04 突发事件
    ("event", "0401"): ("路面出现塌陷坑，直径约一米，存在安全隐患。",
                        "雨后路面下沉开裂，车辆通行危险。"),
    ("event", "0402"): ("地下自来水管破裂，路面冒水，影响通行。",
                        "供水管道爆裂，水流漫至路面，周边居民停水。"),
    ("event", "0403"): ("现场有明显燃气味，疑似燃气管道破裂。",
                        "施工挖断燃气管道，有气体泄漏声，需紧急处置。"),
    ("event", "0404"): ("强降雨后路段积水较深，车辆行人通行困难。",
                        "下水道排水不畅，路面积水约二十厘米。"),
    ("event", "0405"): ("路边垃圾堆起火，火势蔓延至绿化带。",
                        "沿街商铺外电动车起火，冒出浓烟。"),
    # 05 街面秩序
    ("event", "0501"): ("{shop}将商品摆到店外人行道上经营，占道影响通行。",
                        "{shop}在门前搭棚摆桌出店经营。",
                        "{shop}占用店外公共区域堆放货物、招揽生意。"),
    ("event", "0502"): ("流动摊贩在路口摆摊售卖水果，占道经营。",
                        "有人推车在路边无照售卖小吃，油烟较大。"),
    ("event", "0503"): ("沿街阳台外晾晒衣物，影响市容。",
                        "行道树之间拉绳晾晒被褥衣物。",
                        "{shop}门前护栏上悬挂晾晒衣物。"),
    ("event", "0504"): ("多辆机动车停放在人行道上，妨碍行人通行。",
                        "车辆在禁停路段违章停放，影响交通。",
                        "{shop}门前车辆乱停乱放，占用盲道。"),
    ("event", "0505"): ("废品收购点占用人行道堆放废品，影响市容。",
                        "有人在路边占道收购、分拣废品，现场杂乱。"),
    # 06 其他事件
    ("event", "0601"): ("现场有影响市容秩序的问题，请相关部门核实处置。",
                        "群众反映的城市管理问题，需现场核实。"),
    # 部件 components: 01 公用设施
    ("component", "0101"): ("上水井盖破损，存在安全隐患。", "上水井盖缺失，仅用杂物临时遮挡。"),
    ("component", "0102"): ("污水井盖缺失，行人易踩空。", "污水井盖松动移位，车辆经过时响声较大。"),
    ("component", "0103"): ("雨水井盖破损下陷，影响车辆通行。", "雨水篦子被垃圾堵塞，排水不畅。"),
    ("component", "0104"): ("消防栓被车辆撞倒，有漏水现象。", "消防栓被杂物遮挡，无法正常使用。"),
    ("component", "0105"): ("路灯夜间不亮，路段照明不足。", "路灯灯杆倾斜，灯罩脱落。"),
    ("component", "0106"): ("电力井盖破裂，存在安全隐患。", "电力井盖高出路面，影响通行。"),
    # 02 道路交通
    ("component", "0201"): ("停车场标线模糊，车辆停放混乱。", "停车场出入口道闸损坏。"),
    ("component", "0202"): ("人行道地砖松动破损，行人易绊倒。", "人行道盲道被破坏，局部缺失。"),
    ("component", "0203"): ("交通标志牌倾斜，被树枝遮挡。", "交通标志牌褪色破损，内容看不清。"),
    ("component", "0204"): ("道路护栏被撞倒损坏，需修复。", "隔离护栏锈蚀断裂，部分缺失。"),
    ("component", "0205"): ("交通信号灯不亮，路口通行混乱。", "交通信号灯倒计时显示故障。"),
    # 03 市容环境
    ("component", "0301"): ("公共厕所卫生状况差，有异味，需清洁。",
                            "公共厕所水龙头漏水，门锁损坏。"),
    ("component", "0302"): ("垃圾箱破损，垃圾外溢。", "果皮箱缺失，仅剩底座。"),
    ("component", "0303"): ("垃圾间门损坏，垃圾堆至门外。", "垃圾收集点周边污水横流，异味较大。"),
    ("component", "0304"): ("公共座椅损坏，木条断裂。", "公共座椅松动，存在安全隐患。"),
    ("component", "0305"): ("报刊亭长期闲置，外观破旧。", "报刊亭超范围经营，外摆货物。"),
    # 04 园林绿化
    ("component", "0401"): ("行道树枝干断裂，悬挂在人行道上方。", "行道树严重倾斜，有倒伏危险。"),
    ("component", "0402"): ("古树名木保护牌缺失，树身有刻划痕迹。", "古树出现枯枝，需专业养护。"),
    ("component", "0403"): ("绿地被踩踏出小路，植被破坏。", "绿地内有人私自开荒种菜。"),
    ("component", "0404"): ("花坛砖石破损，花卉枯死。", "花坛被车辆撞坏，泥土散落路面。"),
    ("component", "0405"): ("绿地护栏损坏倒伏。", "绿地护栏缺失多段，需补装。"),
    # 05 房屋土地
    ("component", "0501"): ("宣传栏玻璃破碎，内容陈旧。", "宣传栏支架锈蚀，存在倒塌隐患。"),
    ("component", "0502"): ("人防工事出入口被杂物堵塞。", "人防工事入口门损坏，有人随意进出。"),
    ("component", "0503"): ("地下室积水，有异味。", "地下室被违规用作仓库，堆放易燃物。"),
    # 06 其他设施
    ("component", "0601"): ("加油站周边有人违规堆放易燃物品。", "危险化学品存放点警示标志缺失。"),
    ("component", "0602"): ("工地围挡破损倒伏，存在安全隐患。",
                            "工地大门外道路泥泞，未设冲洗设施。"),
    ("component", "0603"): ("公共设施损坏，需相关部门核实处置。", "道路附属设施缺损，请核实修复。"),
}  # fmt: skip


def describe(rng: random.Random, kind: str, category: str, channel: CaseChannel) -> str:
    lead = rng.choice(LEADS[channel])
    sentence = rng.choice(PROBLEMS[(kind, category)])
    return lead + sentence.replace("{shop}", rng.choice(SHOPS))


def _check() -> None:
    """Fail at import, not mid-simulation: every catalog category has its sentences,
    every channel its lead-ins."""
    for code in catalog.CATEGORIES:
        if len(PROBLEMS.get(code, ())) < 2:
            raise ValueError(f"problems: {code} needs at least two sentences")
    unknown = set(PROBLEMS) - set(catalog.CATEGORIES)
    if unknown:
        raise ValueError(f"problems: unknown categories {sorted(unknown)}")
    if set(LEADS) != set(catalog.CHANNEL_NAMES):
        raise ValueError("problems: LEADS must cover catalog.CHANNEL_NAMES")


_check()
