#!/bin/sh
# Restore a backup of backup.sh into a STOPPED, EMPTY Redis data directory and
# a snapshot directory. docs/backup.md has the whole procedure (stop citywall and
# Redis first; start Redis after, then citywall).
#
#   restore.sh BACKUP_DIR REDIS_DATA_DIR SNAPSHOTS_DIR
#
# Redis with appendonly yes loads its append-only file, not dump.rdb: after this
# script, start Redis ONCE with `--appendonly no` (it loads dump.rdb), then run
# `redis-cli CONFIG SET appendonly yes` (it writes a new append-only file from what
# it loaded) and put appendonly back to yes in its config for the next start.
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 BACKUP_DIR REDIS_DATA_DIR SNAPSHOTS_DIR" >&2
  exit 2
fi
backup=$1 data=$2 snapshots=$3
if [ -e "$data/dump.rdb" ] || [ -e "$data/appendonlydir" ]; then
  echo "$0: $data already holds Redis data: move it aside first (nothing changed)" >&2
  exit 1
fi
mkdir -p "$data" "$snapshots"
cp "$backup/redis.rdb" "$data/dump.rdb"
tar -C "$snapshots" -xzf "$backup/snapshots.tar.gz"
echo "restored into $data/dump.rdb and $snapshots"
