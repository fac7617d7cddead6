"""Tile types are discovered; a new one extends the config without touching a central list."""

from __future__ import annotations

import types as pytypes
from pathlib import Path
from typing import Literal

import pytest
from dash import html
from pydantic import Field

from tests.unit.config_cases import BASE
from wall.config import ConfigError, parse_config
from wall.tiles.base import TileConfig, TileContext, TileType
from wall.tiles.registry import tile_types, tile_types_in


def test_builtin_tile_types_are_found() -> None:
    found = tile_types()
    assert {"clock", "text"} <= set(found)
    for name, tile_type in found.items():
        assert tile_type.name == name
        assert tile_type.model.model_fields["type"].annotation == Literal[name]  # type: ignore[valid-type]


class TickerTile(TileConfig):
    type: Literal["ticker"] = Field(description="Tile type.")
    symbol: str = Field(description="What to show.")


def ticker_module() -> pytypes.ModuleType:
    module = pytypes.ModuleType("third_party_ticker")
    module.TILE_TYPE = TileType(  # type: ignore[attr-defined]
        name="ticker",
        model=TickerTile,
        layout=lambda tile, ctx: html.Div(tile.symbol),
    )
    return module


def test_a_new_tile_module_extends_the_config_union(tmp_path: Path) -> None:
    extended = {**tile_types(), **tile_types_in([ticker_module()])}
    text = BASE.replace("    type: clock\n", "    type: ticker\n    symbol: HOTLINE\n")
    config = parse_config(text, "wall_config.yaml", tmp_path, environ={}, types=extended)
    assert isinstance(config.tiles[0], TickerTile)
    # and the new type is listed when someone mistypes a type
    with pytest.raises(ConfigError) as raised:
        parse_config(BASE.replace("type: clock", "type: tikcer"), "w.yaml", tmp_path, {}, extended)
    assert "(valid types: camera, cases, chart, clock, kpi, map, officers, text, ticker)" in str(
        raised.value
    )


def test_a_type_declared_twice_is_refused() -> None:
    with pytest.raises(RuntimeError, match="declared twice"):
        tile_types_in([ticker_module(), ticker_module()])


def test_modules_without_a_tile_type_are_ignored() -> None:
    assert tile_types_in([pytypes.ModuleType("helpers")]) == {}


def test_layout_is_called_with_the_validated_tile(tmp_path: Path) -> None:
    from wall.i18n import Translator

    config = parse_config(BASE, "w.yaml", tmp_path, environ={})
    ctx = TileContext(config=config, translate=Translator("zh-CN"))
    clock = config.tiles[0]
    rendered = tile_types()["clock"].layout(clock, ctx)
    assert "北京时间" in str(rendered)
