"""The relay's viewer tokens: one camera, one minute, signed with the shared key."""

from __future__ import annotations

from core.tokens import check_viewer_token, sign_viewer_token

KEY = "relay-key"


def test_a_token_opens_its_camera_for_a_minute() -> None:
    token = sign_viewer_token(KEY, "zhang", "XY-001", now=1000.0)
    assert check_viewer_token(KEY, token, "XY-001", now=1000.0)
    assert check_viewer_token(KEY, token, "XY-001", now=1060.0)
    assert not check_viewer_token(KEY, token, "XY-001", now=1061.0)  # expired
    assert check_viewer_token(KEY, token, "XY-001", allow_expired=True, now=9999.0)
    assert not check_viewer_token(KEY, token, "XY-002", now=1000.0)  # another camera
    assert not check_viewer_token("other-key", token, "XY-001", now=1000.0)


def test_a_changed_token_is_refused() -> None:
    token = sign_viewer_token(KEY, "zhang", "XY-001", now=1000.0)
    body, signature = token.split(".")
    assert not check_viewer_token(KEY, body + "." + signature[::-1], "XY-001", now=1000.0)
    longer = sign_viewer_token(KEY, "zhang", "XY-001", ttl_s=3600, now=1000.0).split(".")[0]
    assert not check_viewer_token(KEY, longer + "." + signature, "XY-001", now=1000.0)
    for junk in ("", ".", "nope", "a.b.c", "%%%.x"):
        assert not check_viewer_token(KEY, junk, "XY-001", now=1000.0)
