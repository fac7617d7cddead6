"""Building blocks the tile views and the pages share (Dash components and labels).
Public on purpose: a page uses these, never a tile's own module."""
