"""The console's operation log names each action in the operator's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from layouts._console_views import action_label
from wall.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]
# Every literal action handed to the audit log: record(who, "x.y" …), _record(by, "x.y" …),
# _write_view(view, "x.y" …), and the gate's sign-in outcomes.
WRITES = re.compile(r'(?:record|_write_view)\([^,()]+(?:\([^()]*\))?[^,()]*,\s*"([a-z_.]+)"')


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for source in [*(ROOT / "wall").rglob("*.py"), *(ROOT / "layouts").rglob("*.py")]:
        found |= set(WRITES.findall(source.read_text(encoding="utf-8")))
    return found


def test_the_scan_finds_the_actions_the_code_records() -> None:
    actions = recorded_actions()
    assert {"tile.show", "snapshot.take", "token.create", "sign_in_refused"} <= actions


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_recorded_action_has_a_label(locale: str) -> None:
    translate = Translator(locale)
    missing = sorted(a for a in recorded_actions() if action_label(a, translate) == a)
    assert not missing, f"{locale}: no audit.action.<name> label for {missing}"


def test_labels_read_as_words_and_unknown_actions_show_as_recorded() -> None:
    assert action_label("tile.show", Translator("zh-CN")) == "切换画面"
    assert action_label("sign_in_refused", Translator("en")) == "Sign-in refused (wrong password)"
    assert action_label("plugin.thing", Translator("zh-CN")) == "plugin.thing"
