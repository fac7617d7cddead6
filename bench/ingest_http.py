"""The ingest API's row of ``bench.ingest`` (issue 15): events per second through
``POST /api/v1/events`` (a real ``citywall serve`` process, JSON over HTTP, batches of
1,000, per-item validation, duplicate check, dead letters, ``EventWriter``) against the
raw ``EventWriter.write`` of the same events in the same round."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import redis
import requests

from core.keys import STREAMS, Keys
from core.localhost import free_port
from data_feeds.events import Event, stream_of
from testkit.citywall import ROOT, start_wall
from testkit.signin import AUTH_YAML
from wall.api.credentials import api_keys

BATCH = 1000
INGEST = "\ningest:\n  max_items: 1000\n  max_body_kb: 4096\n  rate_limit: 10000/second\n"


@contextmanager
def api_server(redis_url: str) -> Iterator[str]:
    """``citywall serve`` on the shipped wall, its base URL; stopped after."""
    workdir = Path(tempfile.mkdtemp(prefix="citywall-ingest-"))
    try:
        text = (ROOT / "wall_config.yaml").read_text(encoding="utf-8")
        text = text.replace("inventory: cameras.csv", f"inventory: {ROOT / 'cameras.csv'}")
        text = text.replace("basemap: basemap.geojson", f"basemap: {ROOT / 'basemap.geojson'}")
        config = workdir / "wall.yaml"
        config.write_text(text + AUTH_YAML + INGEST, encoding="utf-8")
        port = free_port()
        args = ["serve", "--config", str(config), "--port", str(port)]
        env = {**os.environ, "REDIS_URL": redis_url}
        web = start_wall(args, workdir / "web.log", port, env=env)
        try:
            yield web.url
        finally:
            web.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def items(events: Sequence[Event]) -> list[dict[str, object]]:
    return [{"stream": stream_of(e), **e.model_dump(mode="json", exclude_none=True)}
            for e in events]  # fmt: skip


def post_all(base: str, client: redis.Redis, body: Sequence[dict[str, object]]) -> int:
    """Post every item in batches with a fresh key; the items accepted."""
    _, key = api_keys(client, Keys()).create("bench", {"scopes": list(STREAMS)})
    accepted = 0
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {key}"
        for start in range(0, len(body), BATCH):
            answer = http.post(f"{base}/api/v1/events", json={"events": body[start:start + BATCH]},
                               timeout=120)  # fmt: skip
            answer.raise_for_status()
            accepted += int(answer.json()["accepted"])
    return accepted
