"""Deterministic Chinese names for the officers: common surnames (a few typical of Hunan
weighted up) and given names of one or two characters."""

from __future__ import annotations

import random

from data_feeds.simulator.randomness import weighted

SURNAMES: tuple[tuple[str, float], ...] = (
    ("李", 7.4), ("王", 7.1), ("张", 6.8), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1),
    ("黄", 2.5), ("赵", 2.3), ("周", 2.4), ("吴", 2.1), ("徐", 1.7), ("孙", 1.5),
    ("胡", 1.5), ("朱", 1.3), ("高", 1.3), ("林", 1.2), ("何", 1.2), ("郭", 1.1),
    ("罗", 1.6), ("谢", 1.2), ("彭", 1.3), ("曾", 1.1), ("邓", 1.1), ("唐", 1.2),
    ("肖", 1.0), ("易", 0.8), ("左", 0.6), ("袁", 0.6), ("蒋", 0.6), ("廖", 0.7),
    ("欧阳", 0.3), ("汤", 0.4), ("湛", 0.2), ("文", 0.5), ("贺", 0.5), ("颜", 0.4),
)  # fmt: skip
GIVEN: tuple[str, ...] = tuple(
    "伟勇军杰涛明超强磊平刚辉波斌鹏华林峰建志国文亮"
    "芳娟敏静丽艳玲霞燕红英琴兰梅婷洁慧颖"
    "湘阳宇浩俊毅新春海云东荣德晨益洪"
)


def officer_name(rng: random.Random) -> str:
    surname = weighted(rng, SURNAMES)
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN) for _ in range(length))
