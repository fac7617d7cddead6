"""Turn pydantic's errors into one readable line each, pinned to the file and line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from wall.config.issues import ConfigIssue, CrossCheckError, Loc
from wall.config.source_map import SourceMap


def issues_from_validation(
    exc: ValidationError, data: Any, source: SourceMap, schema: dict[str, Any]
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for error in exc.errors():
        cross = (error.get("ctx") or {}).get("error")
        if isinstance(cross, CrossCheckError):
            issues.extend(source.issue(loc, message) for loc, message in cross.problems)
            continue
        loc = real_loc(error["loc"], data)
        loc, message = _describe(error, loc, data, schema)
        issues.append(source.issue(loc, message))
    return issues


def real_loc(loc: Iterable[int | str], data: Any) -> Loc:
    """pydantic puts the discriminator tag in the path (``tiles -> 3 -> clock -> x``): drop it,
    once, even when the tile also has a key of that name (``chart -> chart``: the chart tile's
    ``chart`` option)."""
    parts = list(loc)
    path: list[int | str] = []
    current, tagged = data, None
    for index, part in enumerate(parts):
        if (
            isinstance(current, dict)
            and current is not tagged
            and current.get("type") == part
            and (part not in current or index + 1 < len(parts))
        ):
            tagged = current
            continue
        path.append(part)
        current = _child(current, part)
    return tuple(path)


def _child(node: Any, part: int | str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _describe(error: ErrorDetails, loc: Loc, data: Any, schema: dict[str, Any]) -> tuple[Loc, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        valid = keys_at(schema, loc[:-1], data)
        hint = f" (valid keys: {', '.join(valid)})" if valid else ""
        return loc, f"unknown key{hint}"
    if kind == "missing":
        return loc, "required key missing"
    if kind == "union_tag_invalid":
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        return (*loc, "type"), f"unknown tile type {ctx.get('tag')!r} (valid types: {tags})"
    if kind == "union_tag_not_found":
        tags = ", ".join(_union_tags(schema, loc))
        return (*loc, "type"), f"required key missing (valid types: {tags})"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float | bool) and kind != "value_error":
        message = f"{message[:1].lower()}{message[1:]} (got {value!r})"
    return loc, message


def keys_at(schema: dict[str, Any], loc: Loc, data: Any) -> list[str]:
    """The keys the schema allows at ``loc`` (used to list valid keys after a typo)."""
    node = _resolve(schema, schema, data)
    current = data
    for part in loc:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            properties = node.get("properties", {})
            extra = node.get("additionalProperties")
            node = properties.get(part, extra if isinstance(extra, dict) else {})
        current = _child(current, part)
        node = _resolve(schema, node, current)
    return sorted(node.get("properties", {}))


def _resolve(root: dict[str, Any], node: dict[str, Any], value: Any) -> dict[str, Any]:
    """Follow $ref, and pick the branch of a union that matches ``value``'s type tag."""
    for _ in range(16):
        if "$ref" in node:
            node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        elif "discriminator" in node and isinstance(value, dict):
            target = node["discriminator"].get("mapping", {}).get(value.get("type"))
            if target is None:
                return {}
            node = {"$ref": target}
        elif "anyOf" in node:
            branches = [b for b in node["anyOf"] if b.get("type") != "null"]
            node = branches[0] if len(branches) == 1 else {}
        else:
            return node
    return node


def _union_tags(schema: dict[str, Any], loc: Loc) -> list[str]:
    node = _resolve(schema, schema, None)
    for part in loc:
        node = (
            node.get("items", {})
            if isinstance(part, int)
            else node.get("properties", {}).get(part, {})
        )
        if "$ref" in node:
            node = _resolve(schema, node, None)
    return sorted(node.get("discriminator", {}).get("mapping", {}))
