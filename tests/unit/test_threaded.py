"""Blocking producers iterated from asyncio: errors, slow consumers, cleanup on cancel."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator
from contextlib import aclosing

import pytest

from streams.packets import SourceError
from streams.sources.threaded import Producer, iterate_in_thread


def counting(closed: list[str]) -> Producer[int]:
    def produce(stop: threading.Event) -> Generator[int, None, None]:
        try:
            n = 0
            while not stop.wait(0.001):
                yield n
                n += 1
        finally:
            closed.append(threading.current_thread().name)

    return produce


def test_items_arrive_in_order_and_aclose_stops_the_thread_in_it() -> None:
    closed: list[str] = []

    async def scenario() -> list[int]:
        got = []
        async with aclosing(iterate_in_thread(counting(closed), "t-order")) as items:
            async for item in items:
                got.append(item)
                if len(got) == 20:
                    break
        assert closed == ["t-order"]  # closed in its own thread, before aclose returned
        return got

    assert asyncio.run(scenario()) == list(range(20))


def test_producer_errors_become_source_errors() -> None:
    def failing(stop: threading.Event) -> Generator[int, None, None]:
        yield 1
        raise ValueError("bad data")

    async def scenario() -> list[int]:
        return [i async for i in iterate_in_thread(failing, "t-fail")]

    with pytest.raises(SourceError, match="t-fail: ValueError: bad data") as caught:
        asyncio.run(scenario())
    assert isinstance(caught.value.__cause__, ValueError)


def test_a_consumer_that_falls_behind_ends_the_stream() -> None:
    def flood(stop: threading.Event) -> Generator[int, None, None]:
        n = 0
        while not stop.is_set():
            yield n
            n += 1

    async def scenario() -> None:
        async with aclosing(iterate_in_thread(flood, "t-flood", max_backlog=50)) as items:
            await asyncio.sleep(0.3)  # busy elsewhere while the producer floods
            async for _ in items:
                pass

    with pytest.raises(SourceError, match="fell 50 packets behind"):
        asyncio.run(scenario())
