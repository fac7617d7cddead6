"""Labels in the wall's language. zh-CN is the default; every locale file has the same
keys. Tile views bring their own labels (``TileView.strings``), merged in by the app."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

LOCALES = ("zh-CN", "en")
Extra = Mapping[str, Mapping[str, str]]  # locale -> key -> text


@cache
def messages(locale: str) -> dict[str, str]:
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r} (valid: {', '.join(LOCALES)})")
    text = files("wall").joinpath("locales", f"{locale}.json").read_text(encoding="utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


class Translator:
    """``t("screen.label", n=7)`` → ``屏 7``; an unknown key is a bug and raises."""

    def __init__(self, locale: str, extra: Extra | None = None) -> None:
        self.locale = locale
        self._messages = {**messages(locale), **(extra or {}).get(locale, {})}

    def __call__(self, key: str, **values: object) -> str:
        return self._messages[key].format(**values)

    def has(self, key: str) -> bool:
        return key in self._messages
