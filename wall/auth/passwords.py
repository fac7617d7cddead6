"""Password hashes (werkzeug's scrypt): config and user files hold hashes, never text."""

from __future__ import annotations

from typing import Final

from werkzeug.security import check_password_hash, generate_password_hash

from wall.config.auth import is_hash

MIN_LENGTH: Final = 8


class WeakPasswordError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_LENGTH} characters")
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    return is_hash(password_hash) and check_password_hash(password_hash, password)
