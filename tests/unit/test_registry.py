"""Tile types are discovered: a schema module extends the config, a view module draws
it, and neither touches a central list."""

from __future__ import annotations

import types as pytypes
from pathlib import Path
from typing import Literal

import pytest
from dash import html
from pydantic import Field

from tests.unit.config_cases import BASE
from wall.config import ConfigError, parse_config
from wall.config.tile_registry import schemas_in, tile_schemas, type_name
from wall.config.tiles.base import TileConfig
from wall.i18n import LOCALES, messages
from wall.tile_view import TileContext, TileView
from wall.tile_views import check_pairs, tile_views, views_in, wall_translator


def test_builtin_schemas_are_found_by_their_literal_type() -> None:
    found = tile_schemas()
    assert set(found) == {"camera", "cases", "chart", "clock", "kpi", "map", "officers", "text"}
    for name, model in found.items():
        assert type_name(model) == name
        assert model.model_fields["type"].annotation == Literal[name]  # type: ignore[valid-type]


def test_every_schema_has_its_view_drawing_that_model() -> None:
    views = tile_views()
    assert set(views) == set(tile_schemas())
    for name, view in views.items():
        assert view.schema is tile_schemas()[name]


class TickerTile(TileConfig):
    """A third party's stock ticker."""

    type: Literal["ticker"] = Field(description="Tile type.")
    symbol: str = Field(description="What to show.")


def ticker_schema_module() -> pytypes.ModuleType:
    module = pytypes.ModuleType("third_party_ticker_schema")
    module.TickerTile = TickerTile  # type: ignore[attr-defined]
    TickerTile.__module__ = module.__name__
    return module


def ticker_view_module() -> pytypes.ModuleType:
    module = pytypes.ModuleType("third_party_ticker_view")
    module.VIEW = TileView(  # type: ignore[attr-defined]
        schema=TickerTile, layout=lambda tile, ctx: html.Div(tile.symbol)
    )
    return module


def test_a_new_schema_module_extends_the_config_union(tmp_path: Path) -> None:
    extended = {**tile_schemas(), **schemas_in([ticker_schema_module()])}
    text = BASE.replace("    type: clock\n", "    type: ticker\n    symbol: HOTLINE\n")
    config = parse_config(text, "wall_config.yaml", tmp_path, environ={}, schemas=extended)
    assert isinstance(config.tiles[0], TickerTile)
    # and the new type is listed when someone mistypes a type
    with pytest.raises(ConfigError) as raised:
        parse_config(BASE.replace("type: clock", "type: tikcer"), "w.yaml", tmp_path, {}, extended)
    assert "(valid types: camera, cases, chart, clock, kpi, map, officers, text, ticker)" in str(
        raised.value
    )


def test_a_new_view_module_draws_its_schema(tmp_path: Path) -> None:
    schemas = {**tile_schemas(), **schemas_in([ticker_schema_module()])}
    views = {**tile_views(), **views_in([ticker_view_module()])}
    check_pairs(views, schemas)  # no error: every schema has its view
    text = BASE.replace("    type: clock\n", "    type: ticker\n    symbol: HOTLINE\n")
    config = parse_config(text, "wall_config.yaml", tmp_path, environ={}, schemas=schemas)
    ctx = TileContext(config=config, translate=wall_translator("zh-CN"))
    assert "HOTLINE" in str(views["ticker"].render(config.tiles[0], ctx))


def test_a_schema_without_a_view_is_an_error_at_start() -> None:
    schemas = {**tile_schemas(), **schemas_in([ticker_schema_module()])}
    with pytest.raises(RuntimeError, match="tile types without a view: ticker"):
        check_pairs(tile_views(), schemas)


def test_a_type_declared_twice_is_refused() -> None:
    with pytest.raises(RuntimeError, match="declared twice"):
        schemas_in([ticker_schema_module(), ticker_schema_module()])
    with pytest.raises(RuntimeError, match="has two views"):
        views_in([ticker_view_module(), ticker_view_module()])


def test_modules_without_a_tile_type_are_ignored() -> None:
    assert schemas_in([pytypes.ModuleType("helpers")]) == {}
    assert views_in([pytypes.ModuleType("helpers")]) == {}


def test_layout_is_called_with_the_validated_tile(tmp_path: Path) -> None:
    config = parse_config(BASE, "w.yaml", tmp_path, environ={})
    ctx = TileContext(config=config, translate=wall_translator("zh-CN"))
    clock = config.tiles[0]
    assert "北京时间" in str(tile_views()["clock"].render(clock, ctx))


def test_a_view_refuses_another_types_tile(tmp_path: Path) -> None:
    config = parse_config(BASE, "w.yaml", tmp_path, environ={})
    ctx = TileContext(config=config, translate=wall_translator("zh-CN"))
    with pytest.raises(TypeError, match="not text"):
        tile_views()["text"].render(config.tiles[0], ctx)  # a clock


def test_views_bring_their_labels_in_every_locale_without_clashes() -> None:
    shared = set(messages("zh-CN"))
    for view in tile_views().values():
        keys = {locale: set(view.strings.get(locale, {})) for locale in LOCALES}
        assert keys["zh-CN"] == keys["en"], f"{view.name}: locales differ"
        assert not keys["zh-CN"] & shared, f"{view.name}: labels also in wall/locales"
        assert all(key.split(".")[0] == view.name for key in keys["zh-CN"]), view.name


def test_every_renderer_a_view_names_is_shipped() -> None:
    from wall.paths import ASSETS_DIR

    for view in tile_views().values():
        if view.renderer is not None:
            script = (ASSETS_DIR / view.renderer).read_text(encoding="utf-8")
            assert f"renderers.{view.name} = " in script, view.renderer
