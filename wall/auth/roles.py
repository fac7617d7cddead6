"""Roles, weakest first: each includes what the ones before it may do."""

from __future__ import annotations

from typing import Final, Literal

Role = Literal["viewer", "operator", "admin"]
ROLES: Final[tuple[Role, ...]] = ("viewer", "operator", "admin")


def allows(role: Role, needed: Role) -> bool:
    """Whether ``role`` may do what ``needed`` may: an admin operates, an operator views."""
    return ROLES.index(role) >= ROLES.index(needed)
