"""Snapshots are kept snapshots.retention_days, those linked to a case for good; a
disk below snapshots.min_free_mb refuses a new snapshot clearly and keeps nothing
half-made. Real Redis, real files."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import pytest
import redis
from PIL import Image

from core.keys import Keys
from layouts.console_callbacks import ConsoleActions
from testkit.citywall import shipped_config_copy
from tests.integration.test_console_actions import run
from wall.config import WallConfig, load_config
from wall.control import WallControl
from wall.control.retention import sweep_snapshots
from wall.control.snapshots import SnapshotError, SnapshotStore
from wall.tile_view import TileContext
from wall.tile_views import wall_translator

DAY_S = 86400.0


def _jpeg() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (320, 180), (40, 90, 160)).save(picture, "JPEG")
    return picture.getvalue()


def _config(tmp_path: Path, snapshots_yaml: str) -> WallConfig:
    path = shipped_config_copy(tmp_path / "wall_config.yaml")
    path.write_text(path.read_text(encoding="utf-8") + snapshots_yaml, encoding="utf-8")
    return load_config(path)


def _store(client: redis.Redis, config: WallConfig, directory: Path, at: float) -> SnapshotStore:
    picture = _jpeg()
    return SnapshotStore(client, config, directory, fetch=lambda _c: picture, clock=lambda: at)


def test_expired_snapshots_go_and_case_evidence_stays(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    config = _config(tmp_path, "snapshots:\n  retention_days: 30\n")
    directory = tmp_path / "snapshots"
    now = time.time()
    old = _store(redis_client, config, directory, now - 40 * DAY_S)
    expired = old.take("XY-001", "zhang")
    evidence = old.take("XY-002", "zhang", case_id="CASE-7")
    recent = _store(redis_client, config, directory, now - 2 * DAY_S).take("XY-003", "li")

    result = sweep_snapshots(redis_client, config, directory, now=now)
    assert result is not None and (result.removed, result.kept_for_cases) == (1, 1)
    store = _store(redis_client, config, directory, now)
    assert {s.id for s in store.latest(10)} == {evidence.id, recent.id}
    assert store.path_of(expired.id) is None
    assert not (directory / expired.path).exists()
    assert store.path_of(evidence.id) is not None and store.path_of(recent.id) is not None
    # Another web process in the same hour: the lock makes it a no-op.
    assert sweep_snapshots(redis_client, config, directory, now=now) is None


def test_retention_zero_keeps_everything(tmp_path: Path, redis_client: redis.Redis) -> None:
    config = _config(tmp_path, "snapshots:\n  retention_days: 0\n")
    old = _store(redis_client, config, tmp_path / "s", time.time() - 3650 * DAY_S)
    kept = old.take("XY-001", "zhang")
    assert sweep_snapshots(redis_client, config, tmp_path / "s") is None
    assert old.path_of(kept.id) is not None


def test_a_full_disk_refuses_the_snapshot_and_keeps_nothing(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    free_mb = shutil.disk_usage(tmp_path).free >> 20
    config = _config(tmp_path, f"snapshots:\n  min_free_mb: {free_mb + 1024}\n")
    directory = tmp_path / "snapshots"
    store = _store(redis_client, config, directory, time.time())
    with pytest.raises(SnapshotError) as refused:
        store.take("XY-001", "zhang")
    assert refused.value.status == 507
    assert "the disk is full" in str(refused.value) and "磁盘空间不足" in str(refused.value)
    assert store.latest(5) == [] and redis_client.xlen(Keys().audit) == 0
    assert not directory.exists() or not any(directory.rglob("*"))
    # What the operator reads in the console.
    control = WallControl(redis_client, config)
    ctx = TileContext(config=config, translate=wall_translator("zh-CN"), control=control)
    message, _ = run(ConsoleActions(ctx, store), "console-snapshot")
    assert "磁盘空间不足" in message
