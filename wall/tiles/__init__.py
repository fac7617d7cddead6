"""The tile views: one module per tile type, declaring ``VIEW = TileView(...)``
(wall/tile_view.py) for the schema of the same name in wall/config/tiles/. Modules
starting with ``_`` are one view's helpers. Only the registry (wall/tile_views.py)
imports these modules: pages and other views never do (import-linter checks it)."""
