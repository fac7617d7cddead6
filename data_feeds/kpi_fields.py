"""The fields of a KPI hour bucket (``Keys.kpi_bucket``), declared once: the apply
script (``apply_batch.lua``) builds them from what ``data_feeds.aggregator.script``
passes it, ``data_feeds.kpis`` reads them. Pure data: no pandas, no redis.

A metric's count in the hour is the field named after the metric (``closed``); its
count per value of a dimension is ``<metric><SEPARATOR><prefix><value>``, the
dimension's prefix from ``DIMENSION_PREFIX``: ``closed|g:G03``, ``closed|c:event-01``.
A case's category value is its kind and its 大类 (the first ``MAJOR_DIGITS`` digits
of the category code) joined by ``CATEGORY_JOIN``: ``event-01``.
"""

from __future__ import annotations

from typing import Final, Literal

Dimension = Literal["category", "source", "grid", "outcome", "service"]
DIMENSION_PREFIX: Final[dict[Dimension, str]] = {
    "category": "c:",  # cases: category_value(kind, category)
    "source": "s:",  # cases: catalog.CaseSource
    "grid": "g:",  # cases, check-ins, hotline calls that have one
    "outcome": "o:",  # hotline calls: catalog.HotlineOutcome
    "service": "v:",  # approvals: the WeChat service
}
SEPARATOR: Final = "|"
CATEGORY_JOIN: Final = "-"
MAJOR_DIGITS: Final = 2

if len(set(DIMENSION_PREFIX.values())) != len(DIMENSION_PREFIX) or any(
    SEPARATOR in prefix for prefix in DIMENSION_PREFIX.values()
):
    raise RuntimeError("KPI dimension prefixes must be distinct and free of the separator")


def is_total(field_name: str) -> bool:
    """A metric's total (not a per-dimension count)."""
    return SEPARATOR not in field_name


def split(field_name: str) -> tuple[str, str]:
    """``(metric, prefixed value)`` of a per-dimension field: ``("closed", "g:G03")``."""
    metric, _, tagged = field_name.partition(SEPARATOR)
    return metric, tagged


def category_value(kind: str, category: str) -> str:
    """A case's value in the category dimension: kind and 大类, ``event-01``."""
    return kind + CATEGORY_JOIN + category[:MAJOR_DIGITS]
