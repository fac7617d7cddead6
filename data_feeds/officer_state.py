"""An officer's state: the JSON the aggregator keeps per officer in ``Keys.officers``,
written by the apply script (``apply_batch.lua``, which receives these names from
``data_feeds.aggregator.script``) and read by ``data_feeds.kpis``, declared here once.

``{"status": catalog.OfficerStatus, "st_t": ms of that status, "grid": the grid of
the latest event, "name": ..., "checkin": ms of the latest check-in}``; ``name`` and
``checkin`` only once known. An officer with no state yet is offline. (The last
position is not here: it is ``Keys.positions``, ``"lat,lon,ms,grid"``.)
"""

from __future__ import annotations

from typing import Final

from data_feeds.catalog import OfficerStatus

FIELD_STATUS: Final = "status"
FIELD_STATUS_T: Final = "st_t"
FIELD_GRID: Final = "grid"
FIELD_NAME: Final = "name"
FIELD_CHECKIN: Final = "checkin"
FIELDS: Final = (FIELD_STATUS, FIELD_STATUS_T, FIELD_GRID, FIELD_NAME, FIELD_CHECKIN)
OFFLINE: Final[OfficerStatus] = "offline"  # the one status that is not online
