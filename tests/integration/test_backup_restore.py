"""Backup and restore as docs/backup.md says (deploy/backup/backup.sh, restore.sh),
once, with real parts: a Redis fed by the aggregator, the audit log and snapshot
files; restored into a fresh Redis, the web tier reads the same KPIs, the audit log
is intact and every snapshot is back."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

import redis
from PIL import Image

from core.keys import Keys
from data_feeds.kpis import KpiReader
from data_feeds.redis_server import EmbeddedRedis
from testkit.citywall import ROOT, shipped_config_copy
from tests.integration.test_aggregator import DAY, all_events, feed, the_day
from wall.auth.audit import AuditLog
from wall.config import load_config
from wall.control.snapshots import SnapshotStore

SCRIPTS = ROOT / "deploy" / "backup"


def _kpis(client: redis.Redis) -> dict[str, float]:
    summary = KpiReader(client).summary(*DAY)
    return {k: v for k, v in summary["value"].items() if v == v}  # NaN: no value either side


def _run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_backup_restored_into_a_fresh_redis_gives_the_same_wall(tmp_path: Path) -> None:
    config = load_config(shipped_config_copy(tmp_path / "wall_config.yaml"))
    picture = io.BytesIO()
    Image.new("RGB", (320, 180), (40, 90, 160)).save(picture, "JPEG")
    snapshots = tmp_path / "snapshots"
    with EmbeddedRedis(data_dir=tmp_path / "live") as live:
        client = redis.Redis.from_url(live.url)
        feed(client, all_events(the_day()))
        AuditLog(client).record("zhang", "preset.recall", None, {"name": "日常值守"})
        store = SnapshotStore(client, config, snapshots, fetch=lambda _c: picture.getvalue())
        taken = [store.take("XY-001", "zhang", "CASE-1"), store.take("XY-002", "li")]
        kpis, audit = _kpis(client), AuditLog(client).latest(100)
        streams = {name: client.xlen(name) for name in (Keys().stream("cases"), Keys().snapshots)}
        _run(SCRIPTS / "backup.sh", live.url, snapshots, tmp_path / "backup")
    assert kpis["dispatched"] > 0 and len(audit) == 3  # two snapshots and the preset

    restored = tmp_path / "restored"
    new_snapshots = tmp_path / "new-snapshots"
    _run(SCRIPTS / "restore.sh", tmp_path / "backup", restored, new_snapshots)
    # Once with appendonly no (it loads dump.rdb), then the append-only file turned on.
    with EmbeddedRedis(data_dir=restored, appendonly=False) as loading:
        client = redis.Redis.from_url(loading.url)
        client.config_set("appendonly", "yes")
        deadline = time.monotonic() + 60
        while (
            client.info("persistence")["aof_rewrite_in_progress"]
            or not client.info("persistence")["aof_enabled"]
        ):
            assert time.monotonic() < deadline, "the append-only file was never written"
            time.sleep(0.1)
    with EmbeddedRedis(data_dir=restored) as fresh:  # a normal start: from its AOF
        client = redis.Redis.from_url(fresh.url)
        assert _kpis(client) == kpis
        assert AuditLog(client).latest(100) == audit
        assert {name: client.xlen(name) for name in streams} == streams
        back = SnapshotStore(client, config, new_snapshots)
        assert [s.id for s in back.latest(10)] == [s.id for s in reversed(taken)]
        for snapshot in taken:
            path = back.path_of(snapshot.id)
            assert path is not None and path.read_bytes()[:2] == b"\xff\xd8"
