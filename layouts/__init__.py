"""Pages of the wall. ``render`` picks the page for a path; each page is its own module."""

from layouts.router import Pages, render

__all__ = ["Pages", "render"]
