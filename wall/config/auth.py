"""Who may sign in: roles, users and their password hashes (the ``auth`` section).

Roles are declared here, with the config, because the config names them; the web
tier's gate (wall/auth) enforces them.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, field_validator

from wall.config.base import StrictModel

Role = Literal["viewer", "operator", "admin"]
ROLES: Final[tuple[Role, ...]] = ("viewer", "operator", "admin")  # weakest first
HASH_METHODS: Final = ("scrypt:", "pbkdf2:")


def allows(role: Role, needed: Role) -> bool:
    """Whether ``role`` may do what ``needed`` may: an admin operates, an operator views."""
    return ROLES.index(role) >= ROLES.index(needed)


def is_hash(value: str) -> bool:
    """Whether ``value`` looks like a password hash (werkzeug's), not a password in clear."""
    return value.startswith(HASH_METHODS) and value.count("$") == 2


class UserSpec(StrictModel):
    """One person who may sign in."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Login name.")
    role: Role = Field(
        description="viewer: wall and tablet, read-only; operator: also switches tiles, "
        "tours, presets, snapshots, alarms; admin: also config, users and tokens."
    )
    password_hash: str = Field(
        description="The password's hash (make one with `citywall hash-password`); "
        "never the password itself."
    )

    @field_validator("password_hash")
    @classmethod
    def _a_hash(cls, value: str) -> str:
        if not is_hash(value):
            raise ValueError(
                "not a password hash (scrypt:… or pbkdf2:…): never put a password in the "
                "config; make the hash with `citywall hash-password`"
            )
        return value


class AuthSpec(StrictModel):
    """Who may sign in, and for how long."""

    users: list[UserSpec] = Field(default_factory=list, description="People who may sign in.")
    users_file: str | None = Field(
        default=None,
        description="A YAML file (relative to this config) listing more users, in the same "
        "form as users (name, role, password_hash); read before the users written here.",
    )
    session_hours: float = Field(
        default=12, gt=0, le=24 * 31, description="A person's session lasts this long."
    )

    @field_validator("users")
    @classmethod
    def _unique(cls, users: list[UserSpec]) -> list[UserSpec]:
        names = [user.name for user in users]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"user names must be unique: {', '.join(twice)} twice")
        return users
