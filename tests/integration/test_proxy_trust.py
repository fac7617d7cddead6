"""Forwarded headers are believed only from web.trusted_proxies: from anyone else a
forged X-Forwarded-For changes nothing (the sign-in limit counts the socket address),
from the proxy each forwarded client is counted on its own."""

from __future__ import annotations

from pathlib import Path

from testkit.citywall import write_config
from wall.app import create_app
from wall.config import load_config

PROXY = "10.20.0.5"


def _app(tmp_path: Path) -> object:
    config = write_config(tmp_path / "wall_config.yaml", "  - {id: clock, type: clock, x: 0, y: 0}")
    config.write_text(config.read_text() + f"web:\n  trusted_proxies: [{PROXY}]\n")
    return create_app(load_config(config)).server


def _wrong_sign_ins(server: object, remote: str, forwarded: list[str]) -> list[int]:
    client = server.test_client()  # type: ignore[attr-defined]
    codes = []
    for address in forwarded:
        answer = client.post(
            "/login", data={"name": "viewer", "password": "wrong"},
            headers={"Origin": "http://localhost", "X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": remote},
        )  # fmt: skip
        codes.append(answer.status_code)
    return codes


def test_a_direct_client_is_judged_by_its_socket_address(tmp_path: Path) -> None:
    forged = [f"198.51.100.{n}" for n in range(7)]
    assert _wrong_sign_ins(_app(tmp_path), "192.0.2.9", forged) == [401] * 5 + [429] * 2


def test_behind_the_trusted_proxy_each_client_counts_on_its_own(tmp_path: Path) -> None:
    clients = [f"198.51.100.{n}" for n in range(7)]
    server = _app(tmp_path)
    assert _wrong_sign_ins(server, PROXY, clients) == [401] * 7
    assert _wrong_sign_ins(server, PROXY, ["198.51.100.0"] * 5) == [401] * 4 + [429]


def test_https_through_the_proxy_makes_the_cookie_secure(tmp_path: Path) -> None:
    server = _app(tmp_path)
    for remote, secure in ((PROXY, True), ("192.0.2.9", False)):
        answer = server.test_client().post(  # type: ignore[attr-defined]
            "/login", data={"name": "viewer", "password": "viewer-pass-1"},
            headers={"Origin": "https://wall.example" if secure else "http://localhost",
                     "X-Forwarded-Proto": "https", "X-Forwarded-Host": "wall.example"},
            environ_base={"REMOTE_ADDR": remote},
        )  # fmt: skip
        assert answer.status_code == 302
        assert ("; Secure" in answer.headers["Set-Cookie"]) is secure
        assert ("Strict-Transport-Security" in answer.headers) is secure
