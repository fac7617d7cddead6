# The front door: `make demo` starts the wall, `make test` runs every test.
# Both set up what they need first (scripts/bootstrap.sh).
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
export VENV

.PHONY: demo test lint typecheck unit integration browser docs screenshot clean

demo:
	@scripts/bootstrap.sh demo
	$(BIN)/citywall demo

test:
	@scripts/bootstrap.sh test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest tests/unit tests/integration tests/browser

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

unit integration browser:
	$(BIN)/pytest tests/$@

# Regenerate what is generated: the config reference and the camera inventory.
docs:
	$(BIN)/citywall config-schema --markdown > docs/config-reference.md
	$(BIN)/python scripts/make_camera_inventory.py > cameras.csv
	$(BIN)/python scripts/make_basemap.py > basemap.geojson

screenshot:
	@scripts/bootstrap.sh test
	$(BIN)/python scripts/screenshot.py docs/wall.png

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
