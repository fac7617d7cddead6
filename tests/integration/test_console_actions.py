"""What a console click does, against a real Redis: the callbacks only dispatch to
``ConsoleActions``, so its answers are what the operator reads in the console."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask, g

from core.localhost import free_port
from layouts.console_callbacks import ConsoleActions
from testkit.citywall import shipped_config_copy
from wall.auth.gate import Identity
from wall.config import load_config
from wall.control import WallControl
from wall.control.snapshots import SnapshotStore
from wall.tile_view import TileContext
from wall.tile_views import wall_translator

FORM: dict[str, Any] = {
    "selected": {"tile": "junctions", "cell": 1}, "search": "", "tour": None,
    "tour_name": None, "dwell": 10, "preset": None, "preset_name": None, "case_id": None,
    "version": 0,
}  # fmt: skip


@pytest.fixture
def actions(tmp_path: Path, redis_client: redis.Redis) -> ConsoleActions:
    os.environ["RELAY_PORT"] = str(free_port())  # nothing listens there: the relay is down
    try:
        config = load_config(shipped_config_copy(tmp_path / "wall_config.yaml"))
    finally:
        del os.environ["RELAY_PORT"]
    control = WallControl(redis_client, config)
    ctx = TileContext(config=config, translate=wall_translator("zh-CN"), control=control)
    return ConsoleActions(ctx, SnapshotStore(redis_client, config, tmp_path / "snapshots"))


def run(actions: ConsoleActions, trigger: Any, **form: Any) -> tuple[str, Any]:
    with Flask(__name__).test_request_context():
        g.identity = Identity("zhang", "operator")
        return actions.run(trigger, {**FORM, **form})


def test_a_pick_fills_the_selected_cell_and_selects_the_next(actions: ConsoleActions) -> None:
    message, selected = run(actions, "console-pick", pick="XY-020")
    assert "XY-020" in message
    assert selected == {"tile": "junctions", "cell": 2}
    assert actions.control is not None
    assert actions.control.view("junctions").cameras == ("XY-001", "XY-020", "XY-003", "XY-004")
    assert actions.control.view("junctions").by == "zhang"


def test_a_multi_view_keeps_the_cameras_and_fills_from_the_search(
    actions: ConsoleActions,
) -> None:
    run(actions, {"console": "layout", "n": 9}, search="湘阴大道")
    assert actions.control is not None
    cameras = actions.control.view("junctions").cameras
    assert cameras[:4] == ("XY-001", "XY-002", "XY-003", "XY-004") and len(set(cameras)) == 9
    run(actions, {"console": "layout", "n": 1})
    assert actions.control.view("junctions").cameras == ("XY-001",)


def test_refusals_are_said_in_words_not_raised(actions: ConsoleActions) -> None:
    message, _ = run(actions, "console-tour-start", tour="no such tour")
    assert message.startswith("✗") and "no such tour" in message
    message, _ = run(actions, "console-tour-save", tour_name="快巡", dwell=1, search="XY-00")
    assert message.startswith("✗") and "3" in message
    message, _ = run(actions, "console-tour-save", tour_name="", search="XY-00")
    assert message == "✗ 请输入巡逻名称"


def test_a_snapshot_with_the_relay_down_says_so(actions: ConsoleActions) -> None:
    message, _ = run(actions, "console-snapshot", case_id="CASE-1")
    assert message.startswith("✗") and "relay" in message.lower()
    message, _ = run(actions, "console-snapshot", case_id="../../etc")
    assert message.startswith("✗")


def test_during_an_alarm_the_console_works_on_the_camera_the_wall_shows(
    actions: ConsoleActions,
) -> None:
    from wall.control import Alarm

    control = actions.control
    assert control is not None
    now = control.now_ms()
    alarm = Alarm("URG-9", "urgent", "main-junction", 28.68, 112.87, now, now + 60_000,
                  camera_id="XY-030", distance_m=40.0)  # fmt: skip
    control.raise_alarm(alarm)
    assert control.showing("main-junction").cameras == ("XY-030",)  # snapshots take this one
    assert control.showing("junctions").cameras == ("XY-001", "XY-002", "XY-003", "XY-004")
    # the operator acknowledges what they saw; a newer alarm in between is not dismissed
    newer = Alarm("URG-10", "video", "main-junction", 28.68, 112.87, now, now + 60_000)
    control.raise_alarm(newer)
    message, _ = run(actions, "console-alarm-ack", alarm_case="URG-9")
    assert message.startswith("✗") and "URG-10" in message
    assert control.alarm() is not None
    message, _ = run(actions, "console-alarm-ack", alarm_case="URG-10")
    assert not message.startswith("✗") and control.alarm() is None


def test_a_snapshot_that_cannot_be_stored_says_so(
    tmp_path: Path, redis_client: redis.Redis, actions: ConsoleActions
) -> None:
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (320, 180), (40, 90, 160)).save(picture, "JPEG")
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the snapshots should go", "utf-8")
    config = actions.ctx.config
    store = SnapshotStore(redis_client, config, blocked, fetch=lambda _camera: picture.getvalue())
    message, _ = run(ConsoleActions(actions.ctx, store), "console-snapshot")
    assert message.startswith("✗ cannot store the snapshot")
    assert store.latest(5) == []  # nothing half-registered


def test_snapshots_kept_under_a_relative_directory_are_found_again(
    tmp_path: Path, redis_client: redis.Redis, actions: ConsoleActions, monkeypatch: Any
) -> None:
    """`citywall demo` keeps them in ./snapshots: the file must be found by its absolute
    path, not read against the web framework's package folder."""
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (320, 180), (40, 90, 160)).save(picture, "JPEG")
    monkeypatch.chdir(tmp_path)
    store = SnapshotStore(
        redis_client, actions.ctx.config, Path("snapshots"), fetch=lambda _c: picture.getvalue()
    )
    snapshot = store.take("XY-001", "zhang", "CASE-2")
    path = store.path_of(snapshot.id)
    assert path is not None and path.is_absolute() and path.is_file()
    assert path.parent.parent == tmp_path / "snapshots"
