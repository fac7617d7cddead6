"""citywall behind the shipped nginx site (deploy/nginx/citywall.conf) with TLS: one
HTTPS origin for the pages, the live updates (SSE), the video signalling (WHEP under
/relay/) and the callbacks. Real nginx, Redis, relay, aggregator, web server and
Chromium."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
import urllib3
from selenium.webdriver.support.ui import WebDriverWait

from core.keys import Keys
from core.localhost import free_port, stop_process
from data_feeds.redis_server import EmbeddedRedis
from data_feeds.writer import EventWriter
from testkit.chromium import Chromium, console_errors
from testkit.citywall import RunningWall, citywall_command, start_wall, write_config
from testkit.nginx import Nginx
from testkit.signin import PASSWORDS, sign_in
from tests.case_story import SHANGHAI, CaseStory

TILES = """\
  - {id: main, type: camera, x: 0, y: 0, cameras: [XY-001]}
  - {id: today, type: kpi, x: 1, y: 0, kpis: [dispatched]}
"""
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # our own throw-away CA


@dataclass
class Hall:
    nginx: Nginx
    web: RunningWall
    redis: EmbeddedRedis


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    config = write_config(tmp_path / "wall_config.yaml", TILES)
    text = config.read_text(encoding="utf-8").replace("relay:\n", "relay:\n  public_url: /relay\n")
    config.write_text(text + "web:\n  trusted_proxies: [127.0.0.1]\n", encoding="utf-8")
    redis_server = EmbeddedRedis(data_dir=tmp_path)
    redis_server.start()
    relay_port, web_port = free_port(), free_port()
    env = {**os.environ, "REDIS_URL": redis_server.url, "RELAY_PORT": str(relay_port)}
    started: list[RunningWall] = []
    aggregator = None
    nginx = None
    try:
        started.append(start_wall(["relay", "--config", str(config)], tmp_path / "relay.log",
                                  relay_port, env=env))  # fmt: skip
        with (tmp_path / "aggregate.log").open("wb") as out:
            aggregator = subprocess.Popen(
                [citywall_command(), "aggregate", "--config", str(config)],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        web = start_wall(["serve", "--config", str(config), "--port", str(web_port)],
                         tmp_path / "web.log", web_port, env=env)  # fmt: skip
        started.append(web)
        (tmp_path / "nginx").mkdir()
        nginx = Nginx(tmp_path / "nginx", web_port, relay_port)
        yield Hall(nginx, web, redis_server)
    finally:
        if nginx is not None:
            nginx.stop()
        for part in reversed(started):
            part.stop()
        if aggregator is not None:
            stop_process(aggregator, group=True)
        redis_server.close()


def _kpi(driver: Chromium) -> str:
    return str(driver.execute_script(
        "return document.querySelector('[data-kpi=\"dispatched\"] .cw-kpi__value')"
        "?.textContent || ''"))  # fmt: skip


def _camera(driver: Chromium) -> tuple[str, int]:
    state, frames = driver.execute_script(
        "const c = document.querySelector('#wall [data-camera-id]');"
        "return c ? [c.dataset.state || '', Number(c.dataset.frames || 0)] : ['', 0];"
    )
    return str(state), int(frames)


def test_the_wall_over_https_through_nginx(hall: Hall) -> None:
    base = hall.nginx.url
    driver = Chromium(1600, 900, flags=["--ignore-certificate-errors"])
    try:
        sign_in(driver, base, "operator", then="/wall")
        session = next(c for c in driver.get_cookies() if c["name"] == "citywall_session")
        assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Lax"
        # Live updates over SSE through the proxy: a case dispatched now shows.
        WebDriverWait(driver, 60).until(lambda d: _kpi(d) == "0", "no live KPI over HTTPS")
        start = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=5)
        client = redis.Redis.from_url(hall.redis.url)
        EventWriter(client).write(list(CaseStory("TLS-1", start).through_dispatch().events))
        WebDriverWait(driver, 60).until(lambda d: _kpi(d) == "1", "the case never showed")
        # The camera plays through /relay/ on the same origin: frames decoded.
        WebDriverWait(driver, 60).until(
            lambda d: _camera(d)[0] == "playing" and _camera(d)[1] > 10, "no video via /relay"
        )
        relay_calls = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => n.includes('/whep/'))"
        )
        assert relay_calls and all(url.startswith(f"{base}/relay/whep/") for url in relay_calls)
        assert console_errors(driver) == []
    finally:
        driver.quit()


def _signed_in(base: str) -> requests.Session:
    http = requests.Session()
    http.verify = False
    http.trust_env = False  # else $REQUESTS_CA_BUNDLE overrides verify=False
    http.headers["Origin"] = base
    answer = http.post(f"{base}/login", data={"name": "viewer", "password": PASSWORDS["viewer"]},
                       allow_redirects=False, timeout=30)  # fmt: skip
    assert answer.status_code == 302, answer.text
    return http


def test_every_response_carries_the_security_headers(hall: Hall) -> None:
    base = hall.nginx.url
    http = _signed_in(base)
    for path in ("/login", "/wall", "/assets/live.js", "/_dash-layout", "/_dash-dependencies"):
        response = http.get(base + path, timeout=30)
        assert response.status_code == 200, path
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self' 'sha256-" in csp, path
        assert response.headers["Strict-Transport-Security"].startswith("max-age="), path
    # Plain HTTP straight to the web server (loopback): no HSTS, cookies not Secure.
    direct = requests.post(f"{hall.web.url}/login", allow_redirects=False, timeout=30,
                           data={"name": "viewer", "password": PASSWORDS["viewer"]},
                           headers={"Origin": hall.web.url})  # fmt: skip
    assert "Strict-Transport-Security" not in direct.headers
    assert "Secure" not in direct.headers["Set-Cookie"]
    # Port 80 sends everyone to HTTPS.
    plain = requests.get(f"http://127.0.0.1:{hall.nginx.http_port}/wall", allow_redirects=False,
                         timeout=10)  # fmt: skip
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")


def test_a_forged_x_forwarded_for_does_not_escape_the_sign_in_limit(hall: Hall) -> None:
    base = hall.nginx.url
    codes = []
    for attempt in range(7):
        answer = requests.post(
            f"{base}/login", data={"name": "viewer", "password": "wrong"}, verify=False,
            headers={"Origin": base, "X-Forwarded-For": f"203.0.113.{attempt + 1}"},
            allow_redirects=False, timeout=30,
        )  # fmt: skip
        codes.append(answer.status_code)
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429], codes
    client = redis.Redis.from_url(hall.redis.url)
    entries = client.xrange(Keys().audit)
    refused = [fields for _id, fields in entries if fields[b"action"].startswith(b"sign_in_")]
    assert len(refused) == 7
    assert {fields[b"address"] for fields in refused} == {b"127.0.0.1"}  # nginx saw us there
