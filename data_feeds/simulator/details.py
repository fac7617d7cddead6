"""A simulated case's details (schema v2): the reporter's channel, the address and the
problem's description. No photos: a photo needs an absolute URL the wall's viewers can
load, and the simulator knows no such origin (see docs/simulator.md).

Each case draws from its own generator, seeded by (seed, "details", case id): the
details are reproducible under the seed and take nothing from the period plan's
generator, so the calibrated plan (times, fates, categories) is the same with or
without them, and whatever places the settings name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from data_feeds.catalog import CaseChannel, CaseSource
from data_feeds.simulator.problems import describe
from data_feeds.simulator.randomness import rng_for, weighted
from data_feeds.simulator.settings import CitySettings
from data_feeds.simulator.streets import address, streets_for

# How each source reaches the hall: a referral (上级交办) is a letter or a web message
# passed down by the county.
CHANNELS: Final[dict[CaseSource, tuple[tuple[CaseChannel, float], ...]]] = {
    "hotline": (("12319", 1.0),),
    "wechat": (("wechat", 1.0),),
    "patrol": (("officer", 1.0),),
    "video": (("camera", 1.0),),
    "referral": (("letter", 0.6), ("web", 0.4)),
}


@dataclass(frozen=True)
class CaseDetails:
    address: str
    description: str
    channel: CaseChannel


def case_details(
    settings: CitySettings,
    case_id: str,
    code: tuple[str, str],
    source: CaseSource,
    place: tuple[float, float],
) -> CaseDetails:
    """The details of one case: the same for every event of it."""
    rng = rng_for(settings.seed, "details", case_id)
    channel = weighted(rng, CHANNELS[source])
    kind, category = code
    description = describe(rng, kind, category, channel)
    lat, lon = place
    return CaseDetails(address(streets_for(settings), lat, lon, rng), description, channel)
