"""The public case pages (公示): a citizen reads a case's stages and whether it was
resolved, searches by number, and reads the approvals published in the last 30 days,
without signing in — and never sees the reporter, an officer, a department, the
address, the description, photos or coordinates (a case fed with all of them, read
through the real aggregator, appears in the HTML and JSON without any). Rate-limited."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from data_feeds.events import ApprovalEvent
from testkit.citywall import shipped_config_copy
from tests.case_story import SHANGHAI, CaseStory
from tests.integration.test_aggregator import feed
from wall.app import create_app
from wall.config import load_config
from wall.services import Services

PERSONAL = {
    "reporter": "张三丰 13912345678",
    "address": "湘阴县文星镇洞庭北路88号",
    "description": "门店老板李四把货摆到人行道上",
    "photos_before": ["http://10.20.0.5:8080/p/PUB-1.jpg"],
}
OFFICERS = ("P0042", "P0077")
DEPT = "城管执法大队第三中队"
LAT, LON = 28.691234, 112.894321


def public_story(now: datetime, case_id: str = "PUB-0001") -> CaseStory:
    story = CaseStory(case_id, now - timedelta(hours=3), lat=LAT, lon=LON)
    story.at(0, "reported", v="2", channel="12319", officer=OFFICERS[0], **PERSONAL)
    story.at(5, "filed").at(10, "dispatched", dept=DEPT, deadline=now + timedelta(hours=2))
    story.at(40, "handled", officer=OFFICERS[1]).at(50, "verified", officer=OFFICERS[0])
    return story.at(55, "closed")


@pytest.fixture
def citizen(tmp_path: Path, redis_client: redis.Redis) -> tuple[FlaskClient, Any]:
    config_text = shipped_config_copy(tmp_path / "wall_config.yaml")
    config = load_config(config_text)
    app = create_app(config, Services(secret="test-secret", client=redis_client))
    return app.server.test_client(), config


def test_a_citizen_reads_a_cases_stages_and_nothing_personal(
    citizen: tuple[FlaskClient, Any], redis_client: redis.Redis
) -> None:
    client, _ = citizen
    now = datetime.now(SHANGHAI)
    feed(redis_client, public_story(now).events)
    page = client.get("/public/cases/PUB-0001")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for stage in ("受理", "立案", "派遣", "处置", "核查", "结案", "已办结", "街面秩序/乱挂乱晒"):
        assert stage in html, stage
    answer = client.get("/public/cases/PUB-0001.json").get_json()
    assert [s["status"] for s in answer["stages"]] == [
        "reported", "filed", "dispatched", "handled", "verified", "closed",
    ]  # fmt: skip
    assert answer["resolved"] is True and answer["grid"] == "430624-0101"
    text = page.get_data(as_text=True) + client.get("/public/cases/PUB-0001.json").get_data(
        as_text=True
    )
    leaks = [*PERSONAL["reporter"].split(), "张三丰", "13912345678", PERSONAL["address"],
             "洞庭北路", "李四", PERSONAL["description"], "10.20.0.5", *OFFICERS, DEPT,
             "城管执法大队", "28.691", "112.894", "12319"]  # fmt: skip
    assert [leak for leak in leaks if leak in text] == []
    assert set(answer) == {"case_id", "kind", "category", "status", "resolved", "grid",
                           "grid_label", "stages"}  # fmt: skip
    assert all(set(stage) == {"status", "name", "time"} for stage in answer["stages"])


def test_search_by_number_and_unknown_cases(
    citizen: tuple[FlaskClient, Any], redis_client: redis.Redis
) -> None:
    client, _ = citizen
    feed(redis_client, public_story(datetime.now(SHANGHAI), "PUB-0002").events)
    form = client.get("/public/cases")
    assert form.status_code == 200 and 'name="number"' in form.get_data(as_text=True)
    found = client.get("/public/cases?number=PUB-0002")
    assert found.status_code == 302 and found.headers["Location"].endswith("/public/cases/PUB-0002")
    missing = client.get("/public/cases/NOPE-1")
    assert missing.status_code == 404 and "NOPE-1" in missing.get_data(as_text=True)
    assert client.get("/public/cases/NOPE-1.json").status_code == 404
    hostile = client.get("/public/cases/%3Cscript%3E")
    assert hostile.status_code == 404 and "<script>" not in hostile.get_data(as_text=True)


def test_approvals_published_in_the_last_30_days(
    citizen: tuple[FlaskClient, Any], redis_client: redis.Redis
) -> None:
    client, _ = citizen
    now = datetime.now(SHANGHAI)

    def approval(n: int, days_ago: float, status: str) -> ApprovalEvent:
        return ApprovalEvent(event_id=f"ap-{n}-{status}", time=now - timedelta(days=days_ago),
                             application_id=f"SQ-{n:04d}", service="storefront",
                             status=status)  # type: ignore[arg-type]  # fmt: skip

    feed(redis_client, [approval(1, 2, "submitted"), approval(1, 1, "published"),
                        approval(2, 40, "published"), approval(3, 29, "published"),
                        approval(4, 3, "approved")])  # fmt: skip
    listed = client.get("/public/approvals.json").get_json()["approvals"]
    assert [a["application_id"] for a in listed] == ["SQ-0001", "SQ-0003"]  # newest first
    page = client.get("/public/approvals").get_data(as_text=True)
    assert "SQ-0001" in page and "SQ-0003" in page and "SQ-0002" not in page


def test_the_public_pages_are_rate_limited_per_address(
    citizen: tuple[FlaskClient, Any],
) -> None:
    client, config = citizen
    limit = int(config.web.public_rate_limit.split("/")[0])
    elsewhere = {"REMOTE_ADDR": "10.9.8.7"}
    answers = [client.get("/public/cases/ANY-1").status_code for _ in range(limit + 1)]
    assert answers[:limit] == [404] * limit and answers[limit] == 429
    assert client.get("/public/cases/ANY-1", environ_base=elsewhere).status_code == 404
