"""The ingest API from outside, as another system uses it: keys made with the real
``citywall apikey`` command, events posted as JSON over real HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from data_feeds.events import Event, stream_of
from testkit.citywall import ROOT, citywall_command


def citywall(config: Path, redis_url: str, *args: str) -> str:
    """Run a citywall command against the stack's Redis; its standard output."""
    done = subprocess.run(
        [citywall_command(), *args, "--config", str(config), "--redis-url", redis_url],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ}, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def create_key(config: Path, redis_url: str, name: str, scopes: str) -> tuple[str, str]:
    """(key id, key) from ``citywall apikey create``."""
    out = citywall(config, redis_url, "apikey", "create", "--name", name, "--scope", scopes)
    found = re.search(r"^key:\s+(\S+)$", out, re.M)
    assert found, out
    key = found.group(1)
    return key.partition(".")[0], key


def item(event: Event) -> dict[str, Any]:
    """An event as the API takes it: its JSON plus the stream it goes to."""
    return {"stream": stream_of(event), **event.model_dump(mode="json", exclude_none=True)}


def post(base: str, key: str, items: Sequence[Any], patience_s: float = 60) -> requests.Response:
    """POST a batch; a 429 is waited out as a client should (its Retry-After)."""
    deadline = time.monotonic() + patience_s
    while True:
        answer = requests.post(f"{base}/api/v1/events", json={"events": list(items)},
                               headers={"Authorization": f"Bearer {key}"}, timeout=60)  # fmt: skip
        if answer.status_code != 429 or time.monotonic() > deadline:
            return answer
        time.sleep(float(answer.headers.get("Retry-After", "1")))
