"""Sign-in parts without a server: roles, password hashes, the login limiter, and the
config's users (a password in clear is refused at its line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.config_cases import BASE
from wall.auth.passwords import WeakPasswordError, hash_password, verify_password
from wall.auth.ratelimit import LoginLimiter
from wall.config import ConfigError, parse_config
from wall.config.auth import allows, is_hash


def test_each_role_includes_the_weaker_ones() -> None:
    assert allows("admin", "operator") and allows("operator", "viewer")
    assert allows("viewer", "viewer")
    assert not allows("viewer", "operator") and not allows("operator", "admin")


def test_passwords_are_kept_as_salted_hashes() -> None:
    first, second = hash_password("湘阴城管2026"), hash_password("湘阴城管2026")
    assert first != second and is_hash(first)  # salted
    assert "湘阴城管2026" not in first
    assert verify_password(first, "湘阴城管2026")
    assert not verify_password(first, "湘阴城管2025")
    assert not verify_password("湘阴城管2026", "湘阴城管2026")  # a clear text is no hash
    with pytest.raises(WeakPasswordError):
        hash_password("short")


def test_five_failures_a_minute_then_wait() -> None:
    now = [0.0]
    limiter = LoginLimiter(limit=5, window_s=60, clock=lambda: now[0])
    for _ in range(5):
        assert limiter.retry_after("10.0.0.7") == 0
        limiter.failed("10.0.0.7")
    assert limiter.retry_after("10.0.0.7") == pytest.approx(60)
    assert limiter.retry_after("10.0.0.8") == 0  # someone else is not held up
    now[0] = 30.0
    assert limiter.retry_after("10.0.0.7") == pytest.approx(30)
    now[0] = 60.5
    assert limiter.retry_after("10.0.0.7") == 0
    limiter.failed("10.0.0.7")
    limiter.succeeded("10.0.0.7")
    assert limiter.retry_after("10.0.0.7") == 0


def with_users(users_yaml: str) -> str:
    return BASE + "auth:\n  users:\n" + users_yaml


def test_users_with_hashes_are_accepted(tmp_path: Path) -> None:
    digest = hash_password("long enough")
    text = with_users(f"    - {{name: zhang, role: operator, password_hash: '{digest}'}}\n")
    config = parse_config(text, "wall_config.yaml", tmp_path, environ={})
    assert [(u.name, u.role) for u in config.auth.users] == [("zhang", "operator")]


def test_a_password_in_clear_is_refused_at_its_line(tmp_path: Path) -> None:
    text = with_users("    - {name: zhang, role: operator, password_hash: hunter22}\n")
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "wall_config.yaml", tmp_path, environ={})
    (issue,) = raised.value.issues
    line = text.splitlines().index("    - {name: zhang, role: operator, password_hash: hunter22}")
    assert str(issue).startswith(f"wall_config.yaml:{line + 1}: auth -> users -> 0 -> ")
    assert "never put a password in the config" in str(issue)


def test_an_unknown_role_lists_the_roles(tmp_path: Path) -> None:
    digest = hash_password("long enough")
    text = with_users(f"    - {{name: li, role: chief, password_hash: '{digest}'}}\n")
    with pytest.raises(ConfigError, match="'viewer', 'operator' or 'admin'"):
        parse_config(text, "wall_config.yaml", tmp_path, environ={})


def test_users_can_come_from_a_file_named_in_the_config(tmp_path: Path) -> None:
    digest = hash_password("a-long-pass-1")
    (tmp_path / "users.yaml").write_text(
        f"- {{name: li, role: admin, password_hash: '{digest}'}}\n"
        f"- {{name: wang, role: viewer, password_hash: '{digest}'}}\n",
        encoding="utf-8",
    )
    text = (
        BASE
        + "auth:\n  users_file: users.yaml\n  users:\n"
        + f"    - {{name: zhao, role: operator, password_hash: '{digest}'}}\n"
    )
    config = parse_config(text, "wall_config.yaml", tmp_path, environ={})
    assert [(u.name, u.role) for u in config.auth.users] == [
        ("li", "admin"),
        ("wang", "viewer"),
        ("zhao", "operator"),
    ]


def test_a_bad_user_in_the_users_file_is_reported_at_its_own_line(tmp_path: Path) -> None:
    digest = hash_password("a-long-pass-1")
    (tmp_path / "users.yaml").write_text(
        f"- {{name: li, role: admin, password_hash: '{digest}'}}\n"
        "- {name: wang, role: viewer, password_hash: 'hunter2'}\n",
        encoding="utf-8",
    )
    text = (
        BASE
        + "auth:\n  users_file: users.yaml\n  users:\n"
        + f"    - {{name: zhao, role: boss, password_hash: '{digest}'}}\n"
    )
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "wall_config.yaml", tmp_path, environ={})
    lines = [str(issue) for issue in raised.value.issues]
    assert lines[0].startswith(
        "users.yaml:2: auth -> users -> 1 -> password_hash: not a password hash"
    )
    assert lines[1].startswith("wall_config.yaml:28: auth -> users -> 2 -> role:")
    with pytest.raises(ConfigError) as missing:
        parse_config(
            BASE + "auth:\n  users_file: nobody.yaml\n", "wall_config.yaml", tmp_path, environ={}
        )
    assert str(missing.value.issues[0]).startswith(
        "wall_config.yaml:26: auth -> users_file: cannot read users file 'nobody.yaml'"
    )
