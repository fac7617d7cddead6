"""Config problems, each pinned to a file and a line, and the error that carries them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Loc = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    """Render a path the way Frigate does: ``tiles -> 7 -> camera``."""
    return " -> ".join(str(part) for part in loc)


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file, as the operator will read it."""

    file: str
    line: int
    loc: Loc
    message: str

    def __str__(self) -> str:
        where = f"{format_loc(self.loc)}: " if self.loc else ""
        place = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return f"{place}: {where}{self.message}"


class ConfigError(Exception):
    """Raised with every problem found in a config, so all can be fixed in one pass."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.file, i.line, format_loc(i.loc)))
        super().__init__("\n".join(str(issue) for issue in self.issues))


class CrossCheckError(ValueError):
    """Raised by model validators: several problems, each with its own path.

    pydantic keeps the raised exception in the error's context, so the loader
    can recover every (path, message) pair and map each path to its own line.
    """

    def __init__(self, problems: Iterable[tuple[Loc, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{format_loc(loc)}: {msg}" for loc, msg in self.problems))
