"""Web workers that share one build (issue 14): two hubs on one Redis elect one builder;
the other follows its frames and shows the same values without building; when the
builder stops without a word, the follower takes over within the lease and the screens
keep getting updates."""

from __future__ import annotations

import time
from datetime import timedelta

import redis

from core.keys import Keys
from tests.case_story import CaseStory
from tests.integration.test_live_hub import applied, now, tiles, wait_until
from tests.integration.test_live_hub import config as config  # the fixture
from wall.config import WallConfig
from wall.live.hub import HubSettings, LiveHub
from wall.live.shared import LEASE_MS, SharedBuild, build_group
from wall.tile_views import wall_translator


def worker(client: redis.Redis, config: WallConfig, name: str) -> LiveHub:
    live = tiles()
    group = build_group(
        ((t.tile_id, p.name, p.topics) for t in live for p in t.parts), config.wall.locale
    )
    shared = SharedBuild(client, Keys(), group, name)
    translate = wall_translator(config.wall.locale)
    return LiveHub(client, config, live, translate, HubSettings(block_ms=50), shared)


def dispatched(hub: LiveHub) -> str:
    """The dispatched count this worker's screens show ("" before the first frame)."""
    values = hub.state("today").get("values", {})
    return str(values.get("dispatched", {}).get("text", ""))


def test_one_worker_builds_the_other_follows_and_takes_over(
    redis_client: redis.Redis, redis_server: object, config: WallConfig
) -> None:
    applied(redis_client, CaseStory("SH-1", now() - timedelta(minutes=5)).through_dispatch().events)
    one = worker(redis.Redis.from_url(redis_server.url), config, "w1")  # type: ignore[attr-defined]
    one.start()
    wait_until(lambda: one.is_builder and dispatched(one) == "1")
    two = worker(redis.Redis.from_url(redis_server.url), config, "w2")  # type: ignore[attr-defined]
    two.start()
    try:
        # The follower loads the builder's state without building anything itself.
        wait_until(lambda: dispatched(two) == "1")
        assert not two.is_builder and two.builds == 0

        # A new case: built once (by w1), shown by both.
        builds = one.builds
        applied(
            redis_client, CaseStory("SH-2", now() - timedelta(minutes=4)).through_dispatch().events
        )
        wait_until(lambda: dispatched(one) == "2" and dispatched(two) == "2")
        assert one.builds > builds and two.builds == 0
        assert two.state("cases")["latest"] == one.state("cases")["latest"]

        # The builder dies without resigning (its thread stops; its lease runs out).
        one._shared = None
        one.stop()
        stopped = time.monotonic()
        wait_until(lambda: two.is_builder, timeout=LEASE_MS / 1000 + 10)
        applied(
            redis_client, CaseStory("SH-3", now() - timedelta(minutes=3)).through_dispatch().events
        )
        wait_until(lambda: dispatched(two) == "3")
        took = time.monotonic() - stopped
        print(f"\nbuilder gone -> the follower built a new case after {took:.1f} s")
    finally:
        one.stop()
        two.stop()
