"""This relay as one node of several (core.relay_nodes): it beats in Redis every
``BEAT_EVERY_S``, reads the others' beats, and so knows which cameras it owns. A
request for a camera another live node owns is refused with 421 naming the owner (the
web tier sends players to the owner in the first place). Without Redis, or before the
first read, a node owns everything: one relay alone behaves as before."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace

import redis.asyncio

from core.outage import OUTAGE_ERRORS
from core.relay_nodes import BEAT_EVERY_S, NodeView, RelayNode, now_ms, owner_of

log = logging.getLogger(__name__)


class NodeMembership:
    def __init__(self, client: redis.asyncio.Redis, key: str, me: RelayNode) -> None:
        self._client = client
        self._key = key
        self.me = me
        self.view = NodeView(read=dict)  # filled by run(); never read from here
        self._task: asyncio.Task[None] | None = None

    def owner_elsewhere(self, camera_id: str) -> str | None:
        """The public URL of the live node that owns ``camera_id`` if it is not this one."""
        nodes = self.view.known()
        if all(node.id != self.me.id for node in nodes):
            return None  # no view yet (or we are not in it): serve rather than refuse
        owner = owner_of(camera_id, nodes)
        return None if owner is None or owner.id == self.me.id else owner.public_url

    async def beat(self) -> None:
        """Write this node's beat and read everyone's."""
        mine = replace(self.me, t=now_ms())
        pipe = self._client.pipeline(transaction=False)
        pipe.hset(self._key, self.me.id, mine.to_json())
        pipe.hgetall(self._key)
        _, beats = await pipe.execute()
        self.view.update(beats)

    async def run(self) -> None:
        failing = False
        while True:
            try:
                await self.beat()
                if failing:
                    log.warning("relay node %s: Redis is back, beating again", self.me.id)
                failing = False
            except OUTAGE_ERRORS as exc:
                if not failing:
                    log.warning(
                        "relay node %s: cannot beat (%s); keeping the last view", self.me.id, exc
                    )
                failing = True
            await asyncio.sleep(BEAT_EVERY_S)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="relay-node-beat")

    async def stop(self) -> None:
        """Stop beating and leave: the others take this node's cameras at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(*OUTAGE_ERRORS):
            await self._client.hdel(self._key, self.me.id)
        await self._client.aclose()
