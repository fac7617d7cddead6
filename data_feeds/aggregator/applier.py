"""Runs the apply script, synchronously or overlapped: ``send`` a batch on a
connection of its own, do other work (validate the next batch), then ``finish``.
Redis applies one batch while this process validates the next, so the two cores
work at once instead of taking turns."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import redis
from redis.connection import Connection

from core.outage import OUTAGE_ERRORS
from data_feeds.aggregator.script import SCRIPT

log = logging.getLogger(__name__)


class ScriptApplier:
    """``keys`` and ``constants`` (script.py) are the same for every batch; each call
    passes them ahead of the batch's own arguments (``Batch.script_args``)."""

    def __init__(self, client: redis.Redis, keys: Sequence[str], constants: str) -> None:
        self._client = client
        self._script = client.register_script(SCRIPT)
        self._keys = list(keys)
        self._constants = constants
        self._pending: tuple[Connection, list[Any]] | None = None

    def apply(self, args: list[Any]) -> None:
        """Run the script and wait (it loads itself after a Redis restart)."""
        self._script(keys=self._keys, args=[self._constants, *args])

    def send(self, args: list[Any]) -> None:
        """Start the script without waiting for it."""
        assert self._pending is None, "finish() the batch in flight first"
        pool = self._client.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_command(  # type: ignore[no-untyped-call]
                "EVALSHA", self._script.sha, len(self._keys), *self._keys, self._constants, *args
            )
        except BaseException:
            connection.disconnect()  # type: ignore[no-untyped-call]
            pool.release(connection)
            raise
        self._pending = (connection, args)

    def finish(self) -> None:
        """Wait for the script sent last; raises what the script raised."""
        if self._pending is None:
            return
        (connection, args), self._pending = self._pending, None
        pool = self._client.connection_pool
        try:
            connection.read_response()
        except redis.exceptions.NoScriptError:
            # Redis restarted and forgot its scripts: run it again, loading it.
            self.apply(args)
        except OUTAGE_ERRORS:
            connection.disconnect()  # type: ignore[no-untyped-call]
            raise
        finally:
            pool.release(connection)

    def abandon(self) -> None:
        """Forget the batch in flight (after an outage: it is still pending on the server)."""
        if self._pending is not None:
            connection, _ = self._pending
            self._pending = None
            connection.disconnect()  # type: ignore[no-untyped-call]
            self._client.connection_pool.release(connection)
