"""What operators do to the wall, kept in Redis so every screen, browser and web worker
agrees: which cameras each camera tile shows, tours, presets, the alarm pop-up.

Nothing here knows of Dash. Pages and tiles read the state; the console writes it
through ``WallControl``; each write is one ``wall`` entry on ``citywall:updates``,
which every web process's live hub pushes to its screens.
"""

from wall.control.store import ControlError, WallControl
from wall.control.views import Alarm, TileState, TourRun

__all__ = ["Alarm", "ControlError", "TileState", "TourRun", "WallControl"]
