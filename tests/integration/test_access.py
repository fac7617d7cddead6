"""Nobody gets in without signing in: every route and every Dash callback the app itself
declares is refused without a session (the list is read from the app, not written
here); cross-site requests are refused with one; a device token works until revoked.
The metrics answer by address instead: this machine, and 404 to any other, session or
not."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from testkit.citywall import shipped_config_copy
from testkit.signin import PASSWORDS
from wall.app import create_app
from wall.auth.audit import AuditLog
from wall.auth.devices import DeviceTokens
from wall.auth.gate import guards_itself, is_public
from wall.config import load_config
from wall.services import Services

HOST = "http://localhost"
ELSEWHERE = {"REMOTE_ADDR": "10.1.2.3"}  # a screen, an operator, the internet behind a NAT


@pytest.fixture
def app_and_devices(tmp_path: Path, redis_client: redis.Redis) -> tuple[Any, DeviceTokens]:
    config = load_config(shipped_config_copy(tmp_path / "wall_config.yaml"))
    devices = DeviceTokens(redis_client)
    return create_app(config, Services(secret="test-secret", devices=devices)), devices


def concrete(rule: str) -> str:
    """A URL for a route pattern: each <variable> filled with a plausible value."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "x", rule)


def every_route(app: Any) -> list[tuple[str, str]]:
    routes = []
    for rule in app.server.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, concrete(rule.rule)))
    return routes


def sign_in(client: FlaskClient, role: str) -> None:
    answer = client.post(
        "/login", data={"name": role, "password": PASSWORDS[role]}, headers={"Origin": HOST}
    )
    assert answer.status_code == 302


def test_every_route_but_the_public_ones_needs_a_session(app_and_devices: Any) -> None:
    app, _ = app_and_devices
    client = app.server.test_client()
    routes = every_route(app)
    own_rule = [(m, path) for m, path in routes if guards_itself(path)]
    protected = [(m, path) for m, path in routes if not (is_public(path) or guards_itself(path))]
    assert len(protected) >= 6  # the router, callbacks, layout, live events, logout…
    public = sorted((m, path) for m, path in routes if is_public(path))
    # The only routes anyone may open without signing in: sign-in, health, static files,
    # and the deliberately public case pages (公示, tests/integration/test_public_pages.py).
    assert public == [
        ("GET", "/_dash-component-suites/x/x"), ("GET", "/_favicon.ico"), ("GET", "/assets/x"),
        ("GET", "/healthz"), ("GET", "/login"), ("GET", "/login/device"),
        ("GET", "/public/approvals"), ("GET", "/public/approvals.json"),
        ("GET", "/public/cases"), ("GET", "/public/cases/x"), ("GET", "/public/cases/x.json"),
        ("POST", "/login"),
    ]  # fmt: skip
    api = [(m, path) for m, path in own_rule if path.startswith("/api/")]
    assert sorted(api) == [("GET", "/api/osmand"), ("GET", "/api/osmand/x"),
                           ("GET", "/api/v1/openapi.json"), ("POST", "/api/osmand"),
                           ("POST", "/api/osmand/x"), ("POST", "/api/v1/events")]  # fmt: skip
    sign_in(client, "admin")  # a session opens none of them: a key or a terminal's token
    for method, path in api:
        answer = client.open(path, method=method, headers={"Origin": HOST})
        assert answer.status_code == 401, (method, path, answer.status_code)
    client.post("/logout", headers={"Origin": HOST})
    own_rule = [(m, path) for m, path in own_rule if (m, path) not in api]
    assert own_rule == [("GET", "/metrics")]
    for method, path in own_rule:  # by address, before any session is asked for
        headers = {"Origin": HOST, "Accept": "text/html"}
        assert client.open(path, method=method, headers=headers).status_code == 200
        answer = client.open(path, method=method, headers=headers, environ_base=ELSEWHERE)
        assert answer.status_code == 404, (method, path, answer.status_code)
    for method, path in protected:
        answer = client.open(path, method=method, headers={"Origin": HOST, "Accept": "text/html"})
        if method == "GET" and answer.status_code == 302:
            assert answer.headers["Location"].startswith("/login?next="), path
        else:
            assert answer.status_code == 401, (method, path, answer.status_code)


def test_every_dash_callback_is_refused_without_a_session(app_and_devices: Any) -> None:
    app, _ = app_and_devices
    client = app.server.test_client()
    callbacks = list(app.callback_map)
    assert callbacks, "the app declares callbacks"
    for output in callbacks:
        body = {"output": output, "outputs": [], "inputs": [], "changedPropIds": []}
        answer = client.post("/_dash-update-component", json=body, headers={"Origin": HOST})
        assert answer.status_code == 401, output
    sign_in(client, "viewer")
    router = {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": "/wall"}],
        "changedPropIds": ["url.pathname"],
    }
    assert (
        client.post("/_dash-update-component", json=router, headers={"Origin": HOST}).status_code
        == 200
    )


def test_cross_site_and_wrong_passwords_are_refused(app_and_devices: Any) -> None:
    app, _ = app_and_devices
    client = app.server.test_client()
    login = {"name": "viewer", "password": PASSWORDS["viewer"]}
    assert client.post("/login", data=login).status_code == 403  # no Origin: refused
    evil = {"Origin": "http://evil.example"}
    assert client.post("/login", data=login, headers=evil).status_code == 403
    wrong = {"name": "viewer", "password": "guess-guess"}
    assert client.post("/login", data=wrong, headers={"Origin": HOST}).status_code == 401
    sign_in(client, "viewer")
    assert client.get("/wall").status_code == 200
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 404  # session or not
    answer = client.post("/_dash-update-component", json={}, headers=evil)
    assert answer.status_code == 403  # a signed-in browser tricked by another site
    next_elsewhere = client.post(
        "/login", data={**login, "next": "//evil.example/x"}, headers={"Origin": HOST}
    )
    assert next_elsewhere.headers["Location"] == "/wall"  # no open redirect


def test_login_is_rate_limited(app_and_devices: Any) -> None:
    app, _ = app_and_devices
    client = app.server.test_client()
    wrong = {"name": "admin", "password": "guess-guess"}
    codes = [
        client.post("/login", data=wrong, headers={"Origin": HOST}).status_code for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    right = {"name": "admin", "password": PASSWORDS["admin"]}
    limited = client.post("/login", data=right, headers={"Origin": HOST})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_a_revoked_device_token_stops_at_its_next_request(app_and_devices: Any) -> None:
    app, devices = app_and_devices
    device, token = devices.create(screen=7)
    wall_pc = app.server.test_client()
    answer = wall_pc.get(f"/login/device?token={token}")
    assert answer.status_code == 302 and answer.headers["Location"] == "/wall/screen/7"
    assert wall_pc.get("/wall/screen/7").status_code == 200
    assert wall_pc.get("/live/events?tiles=today").status_code == 200
    devices.revoke(device.id)
    assert wall_pc.get("/wall/screen/7", headers={"Accept": "text/html"}).status_code == 302
    assert wall_pc.get("/live/events?tiles=today").status_code == 401
    assert app.server.test_client().get(f"/login/device?token={token}").status_code == 401


def console_callbacks(app: Any) -> list[str]:
    """The operator's callbacks, as the app declares them (every console id's prefix)."""
    return [output for output in app.callback_map if "console" in output]


def refresh_body() -> dict[str, Any]:
    """A well-formed request of the console's refresh callback, as Chromium sends it."""
    outputs = [
        "console-audit.children",
        "console-snapshots.children",
        "console-tour.options",
        "console-preset.options",
        "console-map-cameras.hideout",
        "console-status.children",
    ]
    return {
        "output": ".." + "...".join(outputs) + "..",
        "outputs": [dict(zip(("id", "property"), o.split("."), strict=True)) for o in outputs],
        "inputs": [
            {"id": "console-tick", "property": "n_intervals", "value": 1},
            {"id": "console-version", "property": "data", "value": 0},
        ],
        "state": [
            {"id": "console-tour", "property": "options", "value": []},
            {"id": "console-preset", "property": "options", "value": []},
            {"id": "console-map-cameras", "property": "hideout", "value": {}},
        ],
        "changedPropIds": ["console-tick.n_intervals"],
    }


def test_a_viewer_is_refused_the_console_and_every_operator_callback(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    from wall.control import WallControl

    config = load_config(shipped_config_copy(tmp_path / "wall_config.yaml"))
    control = WallControl(redis_client, config)
    app = create_app(config, Services(secret="test-secret", control=control))
    operator_callbacks = console_callbacks(app)
    assert len(operator_callbacks) >= 3  # act, refresh, search (and the browser-side ones)
    viewer = app.server.test_client()
    sign_in(viewer, "viewer")
    assert viewer.get("/console", headers={"Accept": "text/html"}).status_code == 403
    for output in operator_callbacks:
        body = {"output": output, "outputs": [], "inputs": [], "changedPropIds": []}
        answer = viewer.post("/_dash-update-component", json=body, headers={"Origin": HOST})
        assert answer.status_code == 403, output
    answer = viewer.post("/_dash-update-component", json=refresh_body(), headers={"Origin": HOST})
    assert answer.status_code == 403
    for path in ("/snapshots", "/snapshots/20261125-083000-000-abcdef.jpg"):
        assert viewer.get(path).status_code == 403, path
    assert (
        viewer.post("/snapshots", json={"camera": "XY-001"}, headers={"Origin": HOST}).status_code
        == 403
    )
    # the same request from an operator runs, and lists the wall's tours
    operator = app.server.test_client()
    sign_in(operator, "operator")
    assert operator.get("/console", headers={"Accept": "text/html"}).status_code == 200
    answer = operator.post("/_dash-update-component", json=refresh_body(), headers={"Origin": HOST})
    assert answer.status_code == 200
    tours = answer.get_json()["response"]["console-tour"]["options"]
    assert "重点路口巡逻" in [tour["value"] for tour in tours]


def admin_body(screen: int) -> dict[str, Any]:
    """The console's admin callback, as Chromium sends it for a click on 生成令牌."""
    outputs = ["admin-new-token.children", "admin-tokens-version.data"]
    return {
        "output": ".." + "...".join(outputs) + "..",
        "outputs": [dict(zip(("id", "property"), o.split("."), strict=True)) for o in outputs],
        "inputs": [{"id": "admin-create", "property": "n_clicks", "value": 1}, []],
        "state": [
            {"id": "admin-screen", "property": "value", "value": screen},
            {"id": "admin-name", "property": "value", "value": "east wall"},
        ],
        "changedPropIds": ["admin-create.n_clicks"],
    }


def test_only_an_admin_makes_device_tokens_from_the_console(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    config = load_config(shipped_config_copy(tmp_path / "wall_config.yaml"))
    devices = DeviceTokens(redis_client)
    app = create_app(config, Services(secret="test-secret", devices=devices))
    admin_callbacks = [output for output in app.callback_map if "admin" in output]
    assert admin_callbacks
    for role in ("viewer", "operator"):
        client = app.server.test_client()
        sign_in(client, role)
        for output in admin_callbacks:
            body = {"output": output, "outputs": [], "inputs": [], "changedPropIds": []}
            answer = client.post("/_dash-update-component", json=body, headers={"Origin": HOST})
            assert answer.status_code == 403, (role, output)
        answer = client.post(
            "/_dash-update-component", json=admin_body(7), headers={"Origin": HOST}
        )
        assert answer.status_code == 403, role
    assert devices.list() == []
    admin = app.server.test_client()
    sign_in(admin, "admin")
    answer = admin.post("/_dash-update-component", json=admin_body(7), headers={"Origin": HOST})
    assert answer.status_code == 200
    (device,) = devices.list()
    assert (device.screen, device.name) == (7, "east wall")
    text = json.dumps(answer.get_json())  # Dash escapes "/" in its JSON: read it decoded
    token = re.search(r"/login/device\?token=([\w.-]+)", text)
    assert token is not None and devices.verify(token.group(1)) == device
    created = [e for e in AuditLog(redis_client).latest(10) if e.action == "token.create"]
    assert created[0].who == "admin" and created[0].after["id"] == device.id
    assert token.group(1).split(".")[1] not in json.dumps([e.after for e in created])
