"""Load wall_config.yaml: parse, substitute ${ENV}, merge the camera inventory, validate.

Every problem found is reported at once, one line each, as
``wall_config.yaml:42: tiles -> 7 -> camera: unknown camera 'gate-12'``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wall.config.basemap import BasemapError, read_basemap
from wall.config.errors import issues_from_validation
from wall.config.issues import ConfigError, ConfigIssue, Loc
from wall.config.models import WallConfigBase, config_model
from wall.config.source_map import SourceMap, load_csv_rows, load_yaml
from wall.config.tiles.base import TileConfig

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
INVENTORY_LIST_COLUMNS = frozenset({"tags"})


def load_config(
    path: str | Path,
    environ: Mapping[str, str] | None = None,
    schemas: Mapping[str, type[TileConfig]] | None = None,
) -> WallConfigBase:
    """The validated config at ``path``; raises ConfigError listing every problem."""
    display = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(display, 0, (), f"cannot read config: {exc.strerror}")]
        ) from exc
    return parse_config(text, display, Path(path).parent, environ, schemas)


def parse_config(
    text: str,
    display: str,
    base_dir: Path,
    environ: Mapping[str, str] | None = None,
    schemas: Mapping[str, type[TileConfig]] | None = None,
) -> WallConfigBase:
    data, source = load_yaml(text, display)
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(display, 1, (), "the config must be a mapping of keys")])
    issues: list[ConfigIssue] = []
    data = _substitute(data, (), os.environ if environ is None else environ, source, issues)
    _merge_inventory(data, display, base_dir, source, issues)
    _merge_users_file(data, display, base_dir, source, issues)
    _resolve_basemap(data, base_dir, source, issues)
    model = config_model(schemas)
    try:
        config = model.model_validate(data)
    except ValidationError as exc:
        found = issues_from_validation(exc, data, source, model.model_json_schema())
        # A value whose placeholder failed is reported once, for the placeholder.
        issues += [i for i in found if not any(_within(i.loc, e.loc) for e in issues)]
    if issues:
        raise ConfigError(issues)
    return config


def _within(loc: Loc, prefix: Loc) -> bool:
    return len(prefix) > 0 and loc[: len(prefix)] == prefix


def _substitute(
    value: Any, loc: Loc, environ: Mapping[str, str], source: SourceMap, issues: list[ConfigIssue]
) -> Any:
    """Replace ``${NAME}`` and ``${NAME:-default}`` in every string of the config."""
    if isinstance(value, dict):
        return {k: _substitute(v, (*loc, k), environ, source, issues) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, (*loc, i), environ, source, issues) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        issues.append(
            source.issue(loc, f"environment variable {name} is not set (placeholder ${{{name}}})")
        )
        return match.group(0)

    return PLACEHOLDER.sub(replace, value)


def _merge_inventory(
    data: dict[str, Any], display: str, base_dir: Path, source: SourceMap, issues: list[ConfigIssue]
) -> None:
    """Put the inventory's rows before the inline cameras, each keeping its own file and line."""
    cameras = data.get("cameras")
    if not isinstance(cameras, dict) or not isinstance(cameras.get("inventory"), str):
        return
    name = cameras["inventory"]
    inventory_path = base_dir / name
    inventory_display = str(Path(display).parent / name) if Path(display).parent != Path() else name
    inline = cameras.get("items", [])
    if not isinstance(inline, list):
        return  # the model reports the wrong type
    row_source = SourceMap(display)
    try:
        rows = load_csv_rows(
            inventory_path,
            inventory_display,
            ("cameras", "items"),
            row_source,
            INVENTORY_LIST_COLUMNS,
        )
    except OSError as exc:
        issues.append(
            source.issue(
                ("cameras", "inventory"), f"cannot read inventory {name!r}: {exc.strerror}"
            )
        )
        return
    _shift_places(source, ("cameras", "items"), len(rows))
    source.places.update(row_source.places)
    cameras["items"] = [*rows, *inline]


def _merge_users_file(
    data: dict[str, Any], display: str, base_dir: Path, source: SourceMap, issues: list[ConfigIssue]
) -> None:
    """Put the users of ``auth.users_file`` (a YAML list) before the inline ones, each
    keeping its own file and line for errors."""
    auth = data.get("auth")
    if not isinstance(auth, dict) or not isinstance(auth.get("users_file"), str):
        return
    name = auth["users_file"]
    inline = auth.get("users", [])
    if not isinstance(inline, list):
        return  # the model reports the wrong type
    file_display = str(Path(display).parent / name) if Path(display).parent != Path() else name
    try:
        text = (base_dir / name).read_text(encoding="utf-8")
    except OSError as exc:
        issues.append(
            source.issue(("auth", "users_file"), f"cannot read users file {name!r}: {exc.strerror}")
        )
        return
    try:
        users, users_source = load_yaml(text, file_display)
    except ConfigError as exc:
        issues.extend(exc.issues)
        return
    if not isinstance(users, list):
        issues.append(ConfigIssue(file_display, 1, (), "a users file is a YAML list of users"))
        return
    prefix: Loc = ("auth", "users")
    _shift_places(source, prefix, len(users))
    for loc, place in users_source.places.items():
        if loc:
            source.places[(*prefix, *loc)] = place
    auth["users"] = [*users, *inline]
    auth["users_file"] = str((base_dir / name).resolve())


def _resolve_basemap(
    data: dict[str, Any], base_dir: Path, source: SourceMap, issues: list[ConfigIssue]
) -> None:
    """Check the offline basemap file and give the model its path, resolved."""
    spec = data.get("map")
    if not isinstance(spec, dict) or not isinstance(spec.get("basemap"), str):
        return  # absent, or the model reports the wrong type
    name = spec["basemap"]
    path = base_dir / name
    try:
        read_basemap(path)
    except OSError as exc:
        issues.append(
            source.issue(("map", "basemap"), f"cannot read basemap {name!r}: {exc.strerror}")
        )
        return
    except BasemapError as exc:
        issues.append(source.issue(("map", "basemap"), f"basemap {name!r}: {exc}"))
        return
    spec["basemap"] = str(path.resolve())


def _shift_places(source: SourceMap, prefix: Loc, offset: int) -> None:
    """Renumber the inline cameras' places once the inventory rows are put before them."""
    depth = len(prefix)
    moved: dict[Loc, tuple[str, int]] = {}
    for loc in list(source.places):
        position = loc[depth] if len(loc) > depth else None
        if loc[:depth] == prefix and isinstance(position, int):
            moved[(*prefix, position + offset, *loc[depth + 1 :])] = source.places.pop(loc)
    source.places.update(moved)
