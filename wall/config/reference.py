"""The config reference in Markdown, generated from the JSON Schema (docs/config-reference.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def markdown_reference(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    defs: dict[str, Any] = schema.get("$defs", {})
    lines = [
        "# wall_config.yaml reference",
        "",
        "Generated from the config's JSON Schema by `citywall config-schema --markdown`;",
        "do not edit by hand. Unknown keys are errors everywhere.",
        "",
    ]
    lines += _section("Top level", schema, defs)
    for name in sorted(defs):
        lines += _section(name, defs[name], defs)
    return "\n".join(lines) + "\n"


def _section(title: str, node: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    properties: dict[str, Any] = node.get("properties", {})
    if not properties:
        return []
    required = set(node.get("required", []))
    out = [f"## {title}", ""]
    if node.get("description") and title != "Top level":
        out += [node["description"].strip().splitlines()[0], ""]
    out += ["| key | type | required | default | description |", "|---|---|---|---|---|"]
    for key, prop in properties.items():
        default = f"`{prop['default']!r}`" if "default" in prop else ""
        description = str(prop.get("description", "")).replace("|", "\\|").replace("\n", " ")
        out.append(
            f"| `{key}` | {_type_name(prop)} | {'yes' if key in required else ''} "
            f"| {default} | {description} |"
        )
    return [*out, ""]


def _type_name(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "const" in prop:
        return f"`{prop['const']!r}`"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type_name(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        if "prefixItems" in prop:
            return "[" + ", ".join(_type_name(p) for p in prop["prefixItems"]) + "]"
        items = prop.get("items", {})
        if "oneOf" in items:
            return (
                "list of tiles (one of: " + ", ".join(_type_name(p) for p in items["oneOf"]) + ")"
            )
        return f"list of {_type_name(items)}"
    if prop.get("type") == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map of {_type_name(prop['additionalProperties'])}"
    return str(prop.get("type", "any"))
