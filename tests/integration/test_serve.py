"""The real ``citywall`` process, over HTTP: pages, 404s, the Dash router, start-up errors."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from core.localhost import free_port
from testkit.citywall import SHIPPED_CONFIG, RunningWall, citywall_command, start_wall
from testkit.signin import http_session
from wall.config import load_config
from wall.geometry import tiles_on_screen

CONFIG = load_config(SHIPPED_CONFIG, environ={})


@pytest.mark.parametrize("path", ["/wall", "/wall/", "/wall/screen/1", "/wall/screen/18"])
def test_pages_are_served(shipped_wall: RunningWall, path: str) -> None:
    answer = http_session(shipped_wall.url).get(shipped_wall.url + path, timeout=10)
    assert answer.status_code == 200
    assert f"<title>{CONFIG.wall.title}</title>" in answer.text
    assert "cdn" not in answer.text.lower()  # a hall has no internet: every script is served here


@pytest.mark.parametrize(
    "path", ["/wall/screen/0", "/wall/screen/19", "/wall/screen/abc", "/walls", "/x"]
)
def test_other_paths_get_a_clear_404(shipped_wall: RunningWall, path: str) -> None:
    answer = http_session(shipped_wall.url).get(shipped_wall.url + path, timeout=10)
    assert answer.status_code == 404
    assert "页面不存在" in answer.text
    if path.startswith("/wall/screen"):
        assert "本墙共 18 块屏幕，编号 1–18" in answer.text


def test_root_redirects_to_the_wall(shipped_wall: RunningWall) -> None:
    session = http_session(shipped_wall.url)
    answer = session.get(shipped_wall.url + "/", timeout=10, allow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/wall")
    # signed out, a browser is sent to sign in first, and then comes back
    browser = {"Accept": "text/html"}
    answer = requests.get(shipped_wall.url + "/", headers=browser, allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"] == "/login?next=/"


def route(wall: RunningWall, pathname: str) -> dict[str, list[str]]:
    """Ask the server's router what a path shows, as the browser does."""
    body = {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": pathname}],
        "changedPropIds": ["url.pathname"],
    }
    answer = http_session(wall.url).post(
        f"{wall.url}/_dash-update-component", json=body, timeout=10
    )
    assert answer.status_code == 200
    found: dict[str, list[str]] = {"data-tile-id": [], "data-screen": []}
    collect(answer.json(), found)
    return found


def collect(node: Any, found: dict[str, list[str]]) -> None:
    """Every value of the attributes in ``found`` in a rendered Dash component tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in found and isinstance(value, str):
                found[key].append(value)
            else:
                collect(value, found)
    elif isinstance(node, list):
        for item in node:
            collect(item, found)


@pytest.mark.parametrize("number", [1, 7, 9])
def test_the_router_renders_only_the_tiles_of_a_screen(
    shipped_wall: RunningWall, number: int
) -> None:
    page = route(shipped_wall, f"/wall/screen/{number}")
    expected = {tile.id for tile in tiles_on_screen(CONFIG.wall, list(CONFIG.tiles), number)}
    assert set(page["data-tile-id"]) == expected
    assert page["data-screen"] == [str(number)]


def test_the_router_renders_every_tile_on_the_wall(shipped_wall: RunningWall) -> None:
    page = route(shipped_wall, "/wall")
    assert sorted(page["data-tile-id"]) == sorted(tile.id for tile in CONFIG.tiles)
    assert page["data-screen"] == [str(n) for n in range(1, 19)]


def test_a_bad_config_stops_serve_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "wall_config.yaml"
    bad.write_text(SHIPPED_CONFIG.read_text("utf-8").replace("type: clock", "type: clok"), "utf-8")
    for name in ("cameras.csv", "basemap.geojson"):
        (tmp_path / name).write_text((SHIPPED_CONFIG.parent / name).read_text("utf-8"), "utf-8")
    result = subprocess.run(
        [citywall_command(), "serve", "--config", str(bad), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert (
        f"{bad}:20: tiles -> 0 -> type: unknown tile type 'clok' "
        "(valid types: camera, cases, chart, clock, kpi, map, officers, text)" in result.stderr
    )


def test_demo_takes_a_free_port_when_its_own_is_busy(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        log = tmp_path / "demo.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [citywall_command(), "demo", "--port", str(taken)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            url = wait_for_url(log, process)
            assert f":{taken}/" not in url
            base = url.removesuffix("/wall")
            # The demo makes its own users and prints their passwords once.
            login = next(line for line in log.read_text("utf-8").splitlines() if "login:" in line)
            password = login.split("viewer / ")[1].split(",")[0].strip()
            session = requests.Session()
            session.headers["Origin"] = base
            signed = session.post(f"{base}/login", data={"name": "viewer", "password": password})
            assert signed.status_code == 200 and signed.url == url
            assert requests.get(url, timeout=10, allow_redirects=False).status_code == 401
        finally:
            process.terminate()
            process.wait(timeout=10)


def wait_for_url(log: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log.read_text("utf-8").splitlines():
            if line.strip().startswith("wall:"):
                url = line.split()[-1]
                try:
                    requests.get(url, timeout=1)
                    return url
                except requests.RequestException:
                    pass
        assert process.poll() is None, log.read_text("utf-8")
        time.sleep(0.2)
    raise AssertionError(f"demo printed no URL:\n{log.read_text('utf-8')}")


def test_server_stops_cleanly(wall_server: Callable[..., RunningWall]) -> None:
    wall = wall_server()
    wall.stop()
    assert wall.process.returncode is not None
    with pytest.raises(requests.ConnectionError):
        requests.get(wall.url + "/healthz", timeout=2)


def test_start_wall_reports_a_process_that_dies(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(RuntimeError, match="exited with 1"):
        start_wall(
            ["serve", "--port", str(port), "--config", str(tmp_path / "none.yaml")],
            tmp_path / "l",
            port,
        )


def test_an_admin_reloads_the_config_in_place(
    wall_server: Callable[..., RunningWall], tmp_path: Path
) -> None:
    from testkit.citywall import write_config

    config = write_config(
        tmp_path / "wall_config.yaml", "  - {id: clock, type: clock, x: 0, y: 0}\n"
    )
    wall = wall_server(config)
    pid = wall.process.pid
    viewer, admin = http_session(wall.url, "viewer"), http_session(wall.url, "admin")
    assert viewer.post(wall.url + "/admin/reload", timeout=10).status_code == 403
    # a broken file: refused with its lines, and the wall carries on as it was
    good = config.read_text("utf-8")
    config.write_text(
        good.replace("  title: 测试大屏\n", "  title: 测试大屏\n  colour: red\n"), "utf-8"
    )
    answer = admin.post(wall.url + "/admin/reload", timeout=10)
    assert answer.status_code == 400
    assert answer.json()["lines"] == [
        f"{config}:4: wall -> colour: unknown key "
        "(valid keys: columns, locale, rows, screen, timezone, title)"
    ]
    assert "<title>测试大屏</title>" in admin.get(wall.url + "/wall", timeout=10).text
    # a good one: 202, then the same process serves the new config
    config.write_text(good.replace("title: 测试大屏", "title: 新的大厅"), "utf-8")
    answer = admin.post(wall.url + "/admin/reload", timeout=10)
    assert answer.status_code == 202 and answer.json()["status"] == "reloading"
    deadline = time.monotonic() + 60
    title = ""
    while time.monotonic() < deadline and "新的大厅" not in title:
        time.sleep(0.5)
        try:
            title = http_session(wall.url, "admin").get(wall.url + "/wall", timeout=5).text
        except (requests.ConnectionError, RuntimeError):  # mid-restart: no answer, or no login
            continue
    assert "<title>新的大厅</title>" in title
    assert wall.process.pid == pid and wall.process.poll() is None
