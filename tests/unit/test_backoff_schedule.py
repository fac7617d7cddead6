"""The relay's reconnect schedule: 1 s five times, then 5 s, 10 s, then every 60 s."""

from __future__ import annotations

import pytest

from streams.relay.reconnect import reconnect_delay


def test_schedule_first_attempts() -> None:
    assert [reconnect_delay(n) for n in range(1, 10)] == [1, 1, 1, 1, 1, 5, 10, 60, 60]


def test_schedule_stays_at_a_minute() -> None:
    assert {reconnect_delay(n) for n in range(8, 10_000)} == {60.0}


def test_schedule_counts_from_one() -> None:
    with pytest.raises(ValueError):
        reconnect_delay(0)
