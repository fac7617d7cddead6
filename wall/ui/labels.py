"""Short labels several views print: a grid code as people say it, a duration."""

from __future__ import annotations

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
