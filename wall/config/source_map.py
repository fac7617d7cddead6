"""YAML and CSV parsing that remembers where every value came from.

pydantic reports errors by path (``tiles -> 7 -> camera``); operators fix files by
line. The source map joins the two: every mapping key, sequence item and CSV cell
gets the file and line it was written on.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wall.config.issues import ConfigError, ConfigIssue, Loc


@dataclass
class SourceMap:
    """Where each path of the loaded data was written: ``loc -> (file, line)``."""

    root_file: str
    places: dict[Loc, tuple[str, int]] = field(default_factory=dict)

    def place(self, loc: Loc) -> tuple[str, int]:
        """The place of ``loc``, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            found = self.places.get(loc[:end])
            if found is not None:
                return found
        return (self.root_file, 1)

    def issue(self, loc: Loc, message: str) -> ConfigIssue:
        file, line = self.place(loc)
        return ConfigIssue(file=file, line=line, loc=loc, message=message)


def load_yaml(text: str, filename: str) -> tuple[Any, SourceMap]:
    """Parse YAML text; raise ConfigError with the line of a syntax error or duplicate key."""
    source = SourceMap(root_file=filename)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or str(exc)
        raise ConfigError([ConfigIssue(filename, line, (), f"invalid YAML: {problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(filename, 1, (), f"invalid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    if node is not None:
        duplicates: list[ConfigIssue] = []
        _record_places(node, (), filename, source, duplicates)
        if duplicates:
            raise ConfigError(duplicates)
    return data, source


def _record_places(
    node: yaml.Node, loc: Loc, filename: str, source: SourceMap, duplicates: list[ConfigIssue]
) -> None:
    source.places.setdefault(loc, (filename, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                # PyYAML silently keeps the last value; a wall config must not.
                duplicates.append(
                    ConfigIssue(
                        filename, line, (*loc, key), f"duplicate key (first on line {seen[key]})"
                    )
                )
                continue
            seen[key] = line
            source.places[(*loc, key)] = (filename, line)
            _record_places(value_node, (*loc, key), filename, source, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            source.places[(*loc, index)] = (filename, item.start_mark.line + 1)
            _record_places(item, (*loc, index), filename, source, duplicates)


def load_csv_rows(
    path: Path, display_name: str, loc: Loc, source: SourceMap, list_fields: frozenset[str]
) -> list[dict[str, Any]]:
    """Read a CSV inventory into dicts, recording each row's line under ``loc -> i``.

    Empty cells are left out, so a missing value reads as "field required" rather
    than as an empty string. Columns in ``list_fields`` split on ``|``.
    """
    text = path.read_text(encoding="utf-8-sig")  # spreadsheets export with a BOM
    reader = csv.DictReader(io.StringIO(text))
    rows: list[dict[str, Any]] = []
    for index, raw in enumerate(reader):
        line = reader.line_num
        row: dict[str, Any] = {}
        for column, value in raw.items():
            if column is None or value is None or value.strip() == "":
                continue
            cell = value.strip()
            row[column.strip()] = (
                [part.strip() for part in cell.split("|") if part.strip()]
                if column.strip() in list_fields
                else cell
            )
        rows.append(row)
        source.places[(*loc, index)] = (display_name, line)
        for column in row:
            source.places[(*loc, index, column)] = (display_name, line)
    return rows
