"""Run a blocking packet producer (PyAV demux/encode) in its own thread, iterated from asyncio.

PyAV calls block (a read can wait for the network for seconds, an encode takes
milliseconds), so they never run on the event loop. Each iteration gets one
dedicated thread that pushes items into an ``asyncio.Queue`` through
``loop.call_soon_threadsafe``; stopping the iteration sets an event the producer
checks between items, and the thread's ``finally`` closes whatever it opened.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Generic, TypeVar

from streams.packets import SourceError

T = TypeVar("T")

# A generator, so that closing it runs its ``finally`` (closing containers) in the thread.
Producer = Callable[[threading.Event], Generator[T, None, None]]


class _End:
    """Queued last: the producer finished; ``error`` is why (None = it just ran out)."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _Overflow:
    """Queued when the consumer fell too far behind; nothing after it is delivered."""


class _Pump(Generic[T]):
    def __init__(self, produce: Producer[T], name: str, max_backlog: int) -> None:
        self.produce = produce
        self.name = name
        self.max_backlog = max_backlog
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[T | _End | _Overflow] = asyncio.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _deliver(self, item: T | _End) -> None:
        # Runs on the loop. A live source cannot wait for a slow consumer, and dropping
        # single packets would corrupt the H.264 stream, so falling too far behind ends it.
        if self.queue.qsize() >= self.max_backlog and not isinstance(item, _End):
            self.stop.set()
            self.queue.put_nowait(_Overflow())
            return
        self.queue.put_nowait(item)

    def _post(self, item: T | _End) -> bool:
        try:
            self.loop.call_soon_threadsafe(self._deliver, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.stop.set()
            return False
        return True

    def _run(self) -> None:
        error: BaseException | None = None
        items = self.produce(self.stop)
        try:
            for item in items:
                if self.stop.is_set() or not self._post(item):
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            error = exc
        finally:
            try:
                items.close()  # runs the producer's finally: containers, codecs
            except Exception as exc:
                error = error or exc
            self._post(_End(error))


async def iterate_in_thread(
    produce: Producer[T], name: str, max_backlog: int = 300, join_timeout: float = 5.0
) -> AsyncGenerator[T, None]:
    """Items of ``produce(stop)``, run in a new thread for this iteration only.

    Producer errors come out as ``SourceError`` (kept as is when they already are one).
    When the iteration ends, fails or is cancelled, the thread is told to stop and
    joined (up to ``join_timeout``; a producer blocked in a network read notices the
    stop after its read timeout).
    """
    pump = _Pump(produce, name, max_backlog)
    pump.thread.start()
    try:
        while True:
            item = await pump.queue.get()
            if isinstance(item, _Overflow):
                raise SourceError(f"{name}: consumer fell {max_backlog} packets behind; stopped")
            if isinstance(item, _End):
                if item.error is None:
                    return
                if isinstance(item.error, SourceError):
                    raise item.error
                err = item.error
                raise SourceError(f"{name}: {type(err).__name__}: {err}") from err
            yield item
    finally:
        pump.stop.set()
        # Joining blocks, so it waits in a worker thread. If this wait is cancelled too,
        # the thread still stops by itself and closes what it opened.
        await asyncio.to_thread(pump.thread.join, join_timeout)
