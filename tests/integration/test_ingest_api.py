"""The ingest API over real HTTP against a real wall (Redis, aggregator, web server as
processes): a business system's case lifecycle, keys and scopes, repeats, limits,
and a fuzz of malformed items."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
import requests
from openapi_spec_validator import validate

from core.keys import Keys
from data_feeds.events import CaseEvent, Event, HotlineEvent
from testkit.citywall import shipped_config_copy
from testkit.ingest import citywall, create_key, item, post
from testkit.signin import http_session
from tests.case_story import SHANGHAI, CaseStory
from tests.live_stack import LiveStack

INGEST = """
ingest:
  max_items: 600
  max_body_kb: 512
  rate_limit: 20/second;100/minute
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    logs = tmp_path_factory.mktemp("ingest")
    config = shipped_config_copy(logs / "wall_config.yaml")
    config.write_text(config.read_text(encoding="utf-8") + INGEST, encoding="utf-8")
    live = LiveStack(config, logs).start()
    yield live
    live.stop()


@pytest.fixture
def key_of(stack: LiveStack) -> Callable[[str], str]:
    def make(scopes: str) -> str:
        return create_key(stack.config, stack.redis.url, "biz", scopes)[1]

    return make


def today_start() -> datetime:
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    return max(now - timedelta(minutes=30), now.replace(hour=0, minute=0, second=0))


def lifecycle(case_id: str, start: datetime) -> list[CaseEvent]:
    story = CaseStory(case_id, start).through_dispatch()
    return story.at(12, "handled").at(14, "verified").at(15, "closed").events


def call(call_id: str, at: datetime, outcome: str = "consultation") -> HotlineEvent:
    return HotlineEvent(event_id=f"call-{call_id}", time=at, call_id=call_id, seat=3,
                        outcome=outcome, case_id=None)  # type: ignore[arg-type]  # fmt: skip


def kpis_seen(stack: LiveStack, want: dict[str, str], timeout: float = 30) -> dict[str, str]:
    """The today tile's numbers as a screen receives them, once they equal ``want``."""
    session = http_session(stack.url)
    shown: dict[str, str] = {}
    with session.get(f"{stack.url}/live/events?tiles=today", stream=True, timeout=timeout) as r:
        for line in r.iter_lines():
            if not line.startswith(b"data: "):
                continue
            tiles = json.loads(line[6:]).get("tiles") or {}
            for name, value in tiles.get("today", {}).get("values", {}).items():
                if value is not None:
                    shown[name] = str(value.get("text"))
            if all(shown.get(k) == v for k, v in want.items()):
                return shown
    raise AssertionError(f"the wall shows {shown}, not {want}")


def test_a_case_lifecycle_in_batches_drives_the_kpis_exactly_and_a_repeat_is_applied_once(
    stack: LiveStack, key_of: Callable[[str], str]
) -> None:
    key = key_of("cases,hotline")
    start = today_start()
    events: list[Event] = [e for n in range(6) for e in lifecycle(f"BIZ-{n}", start)]
    events += [call(f"C{n}", start + timedelta(minutes=n)) for n in range(4)]
    batches = [events[i : i + 7] for i in range(0, len(events), 7)]
    for batch in batches:
        answer = post(stack.url, key, [item(e) for e in batch])
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == len(batch)
    again = post(stack.url, key, [item(e) for e in batches[0]])
    assert again.json()["duplicates"] == len(batches[0]) and again.json()["accepted"] == 0
    assert {r["status"] for r in again.json()["results"]} == {"duplicate"}
    kpis_seen(stack, {"dispatched": "6", "closed": "6", "hotline_calls": "4"})


def test_a_wrong_key_a_missing_scope_and_a_revoked_key_are_refused(
    stack: LiveStack, key_of: Callable[[str], str]
) -> None:
    case = lifecycle("SCOPE-1", today_start())[:1]
    assert post(stack.url, "00000000.nope", [item(case[0])]).status_code == 401
    answer = requests.post(f"{stack.url}/api/v1/events", json={"events": []}, timeout=10)
    assert answer.status_code == 401 and "Bearer" in answer.headers["WWW-Authenticate"]
    hotline_only = key_of("hotline")
    refused = post(stack.url, hotline_only, [item(case[0])])
    assert refused.status_code == 403 and "cases" in refused.json()["error"]
    key = key_of("cases")
    assert post(stack.url, key, [item(case[0])]).status_code == 200
    citywall(stack.config, stack.redis.url, "apikey", "revoke", key.partition(".")[0])
    assert post(stack.url, key, [item(lifecycle("SCOPE-2", today_start())[0])]).status_code == 401
    listed = citywall(stack.config, stack.redis.url, "apikey", "list")
    assert f"{key.partition('.')[0]}  revoked" in listed
    actions = [fields[b"action"] for _, fields in stack.client().xrange(Keys().audit)]
    assert {b"apikey.create", b"apikey.revoke", b"apikey.list"} <= set(actions)


def test_too_large_too_many_and_too_fast_get_clear_errors(
    stack: LiveStack, key_of: Callable[[str], str]
) -> None:
    key = key_of("hotline")
    at = today_start()
    too_many = [item(call(f"M{n}", at)) for n in range(601)]
    answer = post(stack.url, key, too_many)
    assert answer.status_code == 413 and "600" in answer.json()["error"]
    huge = [{"stream": "hotline", "pad": "x" * 600_000}]
    answer = post(stack.url, key, huge)
    assert answer.status_code == 413 and "512 KiB" in answer.json()["error"]
    statuses = []
    for n in range(201):  # 100/minute: the 101st of a minute at the latest is refused
        answer = post(stack.url, key, [item(call(f"R{n}", at))], patience_s=0)
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert "rate limit" in answer.json()["error"] and answer.headers["Retry-After"]
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    assert stack.client().exists(Keys().ingest_seen("hotline", "call-M0")) == 0  # none written


def test_the_openapi_document_validates_and_needs_a_key(
    stack: LiveStack, key_of: Callable[[str], str]
) -> None:
    url = f"{stack.url}/api/v1/openapi.json"
    assert requests.get(url, timeout=10).status_code == 401
    answer = requests.get(url, headers={"Authorization": f"Bearer {key_of('cases')}"}, timeout=10)
    document: dict[str, Any] = answer.json()
    validate(document)
    post_events = document["paths"]["/api/v1/events"]["post"]
    assert "requestBody" in post_events and "413" in post_events["responses"]
    schemas = json.dumps(document["components"]["schemas"])
    assert "CaseItem" in schemas and "dept" in schemas  # the event models themselves


def _applied(client: redis.Redis, case_ids: list[str]) -> bool:
    pipe = client.pipeline(transaction=False)
    for case_id in case_ids:
        pipe.exists(Keys().case(case_id))
    return all(pipe.execute())


def test_the_deadletter_keeps_what_was_refused(
    stack: LiveStack, key_of: Callable[[str], str]
) -> None:
    key = key_of("cases")
    before = stack.client().xlen(Keys().deadletter)
    answer = post(stack.url, key, [{"stream": "cases", "event_id": "x y"}, 7])
    assert answer.json()["refused"] == 2
    reasons = [r["reason"] for r in answer.json()["results"]]
    assert all(reasons) and "JSON object" in reasons[1]
    entries = stack.client().xrange(Keys().deadletter)[before:]
    assert [fields[b"source"] for _, fields in entries] == [b"api:biz", b"api:biz"]
    assert entries[0][1][b"payload.event_id"] == b"x y" and entries[1][1][b"payload"] == b"7"
