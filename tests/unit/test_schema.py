"""The config schema is complete and the generated reference in docs/ is current."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from testkit.citywall import ROOT, citywall_command
from wall.config import config_model
from wall.config.reference import markdown_reference
from wall.config.tile_registry import tile_schemas

MODEL = config_model()


def undescribed(schema: dict[str, Any]) -> list[str]:
    missing = []
    nodes = {"(top)": schema, **schema.get("$defs", {})}
    for name, node in nodes.items():
        for key, prop in node.get("properties", {}).items():
            if not prop.get("description"):
                missing.append(f"{name}.{key}")
    return missing


def test_every_field_is_described() -> None:
    assert undescribed(MODEL.model_json_schema()) == []


def test_every_model_refuses_unknown_keys() -> None:
    schema = MODEL.model_json_schema()
    objects = [schema, *schema["$defs"].values()]
    assert all(
        node.get("additionalProperties") is False for node in objects if "properties" in node
    )


def test_config_schema_command_prints_the_schema_with_every_tile_type() -> None:
    out = subprocess.run(
        [citywall_command(), "config-schema"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    schema = json.loads(out)
    mapping = schema["properties"]["tiles"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == set(tile_schemas())


def test_docs_config_reference_is_generated_from_the_schema() -> None:
    committed = (ROOT / "docs" / "config-reference.md").read_text(encoding="utf-8")
    assert committed == markdown_reference(MODEL), "regenerate: citywall config-schema --markdown"
