"""Short labels several views print: a grid code as people say it, a duration."""

from __future__ import annotations

import re
from datetime import timedelta

from wall.i18n import Translator


def grid_label(code: str) -> str:
    """4306240010203 (a 13-digit CJ/T 213 style code) → 02-03, row and column in the town."""
    if len(code) == 13 and code.isdigit():
        return f"{code[-4:-2]}-{code[-2:]}"
    return code


def short_duration(delta: timedelta, translate: Translator) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return translate("duration.minutes", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return translate("duration.hours", h=hours, m=minutes)
    return translate("duration.days", d=hours // 24)


# The county and town every address of a hall starts with (湘阴县文星镇…): read from 5 m
# on a narrow column, they would be all a row shows. The popup keeps the whole address.
_DIVISIONS = re.compile(r"^(?:[^\s路街巷道号]{1,7}?(?:省|自治区|市|州|盟|县|区|旗|镇|乡|街道))+")


def street_address(address: str) -> str:
    """The address without its leading administrative divisions (省/市/县/区/镇/乡/街道);
    whole when nothing would be left."""
    rest = _DIVISIONS.sub("", address, count=1)
    return rest or address
