"""10,000+ malformed items through the real ingest API, valid ones in between: every
malformed one is refused with a reason and kept in the dead-letter stream, every valid
one is applied, the server never fails."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from core.keys import Keys
from testkit.citywall import shipped_config_copy
from testkit.ingest import create_key, post
from tests.case_story import SHANGHAI
from tests.live_stack import LiveStack

BATCHES, PER_BATCH, VALID_EVERY = 21, 500, 25  # 21 x 480 = 10,080 malformed
_serial = itertools.count()

REQUIRED = ("event_id", "time", "case_id", "status", "kind", "category", "source", "lat",
            "lon", "grid")  # fmt: skip


def valid_case() -> dict[str, Any]:
    n = next(_serial)
    at = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=5)
    return {"stream": "cases", "v": "1", "event_id": f"fuzz-{n}", "time": at.isoformat(),
            "case_id": f"FUZZ-{n}", "status": "reported", "kind": "event", "category": "0503",
            "source": "patrol", "lat": 28.69, "lon": 112.89, "grid": "430624-0101"}  # fmt: skip


text = st.text(max_size=40)
not_a_number = text.filter(lambda t: not _is_number(t))


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _set(field: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return values.map(lambda value: {**valid_case(), field: value})


# Each mutation makes an item invalid by construction (never a value pydantic would take).
MALFORMED: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(REQUIRED).map(lambda f: {k: v for k, v in valid_case().items() if k != f}),
    _set("status", text.filter(lambda t: t not in {"reported", "filed", "dispatched", "handled",
                                                   "verified", "rework", "closed", "cancelled"})),
    _set("category", st.sampled_from(["9999", "05", "abcd", "", "05030"])),
    _set("lat", st.one_of(st.floats(min_value=90.001, max_value=1e9),
                          st.sampled_from(["NaN", "inf"]), not_a_number,
                          st.lists(st.integers(), max_size=2))),
    _set("time", st.one_of(not_a_number, st.just("2026-01-01T08:00:00"))),
    _set("event_id", st.sampled_from(["has space", "-dash", "", "x" * 65, "a/b"])),
    _set("v", st.sampled_from(["0", "3", None, "v2"])),
    _set("stream", st.one_of(text.filter(lambda t: t not in {"cases", "officers", "hotline",
                                                             "approvals", "cameras"}), st.none())),
    st.dictionaries(st.sampled_from(["unknown", "extra", "Case"]), text, min_size=1).map(
        lambda extra: {**valid_case(), **extra}
    ),
    st.one_of(st.integers(), text, st.none(), st.lists(st.integers(), max_size=3)),
    st.just({**valid_case(), "status": "dispatched"}),  # without dept and deadline
)  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    logs = tmp_path_factory.mktemp("fuzz")
    config = shipped_config_copy(logs / "wall_config.yaml")
    live = LiveStack(config, logs).start()
    yield live
    live.stop()


def test_10000_malformed_items_are_refused_with_reasons_and_the_valid_ones_applied(
    stack: LiveStack,
) -> None:
    key = create_key(stack.config, stack.redis.url, "fuzz", "cases")[1]
    client = stack.client()
    dead_before = client.xlen(Keys().deadletter)
    totals = {"malformed": 0, "valid": []}  # type: dict[str, Any]

    @settings(max_examples=BATCHES, deadline=None, phases=[Phase.generate], database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.lists(MALFORMED, min_size=PER_BATCH, max_size=PER_BATCH))
    def one_batch(malformed: list[Any]) -> None:
        items, valid_at = [], set()
        for index, bad in enumerate(malformed):
            if index % VALID_EVERY == 0:
                valid_at.add(len(items))
                items.append(valid_case())
            else:
                items.append(bad)
        answer = post(stack.url, key, items)
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert len(results) == len(items)
        for index, result in enumerate(results):
            if index in valid_at:
                assert result["status"] == "accepted", (items[index], result)
            else:
                assert result["status"] == "refused" and result["reason"], (items[index], result)
        totals["malformed"] += len(items) - len(valid_at)
        totals["valid"] += [items[i]["case_id"] for i in valid_at]

    one_batch()
    assert totals["malformed"] >= 10_000
    assert client.xlen(Keys().deadletter) - dead_before == totals["malformed"]
    _wait_applied(client, totals["valid"])
    health = stack.client().ping()
    assert health


def _wait_applied(client: redis.Redis, case_ids: list[str], timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while True:
        pipe = client.pipeline(transaction=False)
        for case_id in case_ids:
            pipe.exists(Keys().case(case_id))
        missing = [c for c, there in zip(case_ids, pipe.execute(), strict=True) if not there]
        if not missing:
            return
        assert time.monotonic() < deadline, f"{len(missing)} valid cases never applied"
        time.sleep(0.2)
