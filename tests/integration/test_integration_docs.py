"""Every example of docs/integration.md, run as written against a real wall: the CLI
lines, the curl commands, the JSON answer and the Python client."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.keys import Keys
from testkit.citywall import ROOT, citywall_command, shipped_config_copy
from testkit.ingest import create_key
from tests.live_stack import LiveStack
from wall.api.models import IngestAnswer

DOC = ROOT / "docs" / "integration.md"


def blocks(language: str) -> list[str]:
    """The fenced blocks of one language ("" for the plain ones), in order."""
    found, current, inside = [], [], None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if inside is None:
                inside, current = line[3:].strip(), []
            else:
                if inside == language:
                    found.append("\n".join(current) + "\n")
                inside = None
        elif inside is not None:
            current.append(line)
    assert found, f"no {language or 'plain'} example"
    return found


def commands(block: str) -> list[str]:
    """The lines of a block, continuations joined, comments dropped."""
    joined = block.replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]


def run_bash(script: str, env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, (script, done.stderr)
    return done.stdout


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    logs = tmp_path_factory.mktemp("docs")
    live = LiveStack(shipped_config_copy(logs / "wall_config.yaml"), logs).start()
    yield live
    live.stop()


def test_the_cli_examples_run(stack: LiveStack) -> None:
    made: dict[str, str] = {}
    for line in [c for block in blocks("") for c in commands(block)]:
        args = shlex.split(line)
        assert args[0] == "citywall", line
        if args[2] == "revoke":  # the documented id is an example: revoke one just made
            args[3] = made[args[1]]
        done = subprocess.run([citywall_command(), *args[1:], "--config", str(stack.config),
                               "--redis-url", stack.redis.url], capture_output=True, text=True,
                              timeout=60)  # fmt: skip
        assert done.returncode == 0, (line, done.stderr)
        ident = re.search(r"^(?:key|terminal) (\w+)", done.stdout, re.M)
        if ident:
            made[args[1]] = ident.group(1)
    assert set(made) == {"apikey", "terminal"}


def test_the_curl_and_python_examples_push_what_they_say(stack: LiveStack, tmp_path: Path) -> None:
    key = create_key(stack.config, stack.redis.url, "szcg-business", "cases,hotline")[1]
    terminal = subprocess.run(
        [citywall_command(), "terminal", "add", "--device", "868120301", "--officer", "ZF009",
         "--name", "李娜", "--grid", "430624-0101", "--base-url", stack.url,
         "--config", str(stack.config), "--redis-url", stack.redis.url],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    url = re.search(r"^url:\s+(\S+)$", terminal, re.M)
    assert url
    env = {**os.environ, "CITYWALL_URL": stack.url, "CITYWALL_KEY": key,
           "TERMINAL_URL": url.group(1)}  # fmt: skip
    push, openapi, phone = blocks("bash")
    answer = run_bash(push, env)
    assert json.loads(answer)["accepted"] == 2
    run_bash(openapi, env, cwd=tmp_path)
    assert "/api/v1/events" in json.loads((tmp_path / "openapi.json").read_text())["paths"]
    codes = run_bash(phone, env)
    assert codes.split() == ["200", "200", "200"]
    (sample,) = blocks("json")
    IngestAnswer.model_validate_json(sample)
    (client,) = blocks("python")
    ran = subprocess.run([sys.executable, "-c", client], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert ran.returncode == 0 and "accepted" in ran.stdout, ran.stderr
    redis_client = stack.client()
    assert redis_client.exists(Keys().ingest_seen("cases", "szcg-0002-5"))
    assert redis_client.exists(Keys().ingest_seen("hotline", "call-20260302-0007"))
    # The phone's fixes reached the officers' live state (the stream itself is trimmed
    # once applied, so its length says nothing).
    deadline = time.monotonic() + 30
    while not redis_client.hexists(Keys().positions, "ZF009"):
        assert time.monotonic() < deadline, "the phone's position never reached the state"
        time.sleep(0.1)
