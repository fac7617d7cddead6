"""Tile types of the wall. Each module here declares one: its config model, layout and callbacks."""
