"""``ingest.osmand_port``: the terminals' reports on a port of their own (as Traccar's
server takes them on 5055), and nothing else there."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from core.keys import Keys
from core.localhost import free_port
from testkit.citywall import write_config
from testkit.ingest import citywall
from tests.live_stack import LiveStack

TILES = "  - {id: emap, type: map, x: 0, y: 0, w: 3, h: 3}\n"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[LiveStack, int]]:
    port = free_port()
    config = write_config(tmp_path / "wall.yaml", TILES)
    config.write_text(config.read_text(encoding="utf-8") + f"ingest:\n  osmand_port: {port}\n",
                      encoding="utf-8")  # fmt: skip
    live = LiveStack(config, tmp_path).start()
    yield live, port
    live.stop()


def test_reports_are_taken_on_their_own_port_and_nothing_else_is(
    stack: tuple[LiveStack, int],
) -> None:
    live, port = stack
    out = citywall(live.config, live.redis.url, "terminal", "add", "--device", "77", "--officer",
                   "ZF077", "--name", "王强", "--grid", "430624-0101")  # fmt: skip
    found = re.search(r"/api/osmand/(\S+)$", out, re.M)
    assert found
    base = f"http://127.0.0.1:{port}"
    fix = {"id": "77", "lat": "28.69", "lon": "112.88", "timestamp": str(int(time.time()))}
    deadline = time.monotonic() + 30
    while True:  # the second listener starts with the web server
        try:
            answer = requests.get(f"{base}/api/osmand/{found.group(1)}", params=fix, timeout=5)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "nothing listens on the OsmAnd port"
            time.sleep(0.2)
    assert answer.status_code == 200
    assert requests.get(f"{base}/api/osmand/nope.nope", params=fix, timeout=5).status_code == 401
    for path in ("/wall", "/login", "/api/v1/openapi.json", "/healthz"):
        assert requests.get(base + path, timeout=5).status_code == 404, path
    client = live.client()
    while not client.hexists(Keys().positions, "ZF077"):
        assert time.monotonic() < deadline + 30, "the report never reached the state"
        time.sleep(0.1)
    assert urlsplit(live.url).port != port
