"""Tile schemas: one module per tile type, its config model only (docs/architecture.md)."""
