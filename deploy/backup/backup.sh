#!/bin/sh
# Back up one citywall hall: Redis (live state, KPIs, event streams, audit log,
# snapshot records) and the snapshot files. docs/backup.md says when and how.
#
#   backup.sh REDIS_URL SNAPSHOTS_DIR OUT_DIR
#
# Redis is read with `redis-cli --rdb` (a consistent point-in-time copy taken by the
# server, no stop needed); the snapshots are a tar of their directory. Writes
# OUT_DIR/redis.rdb and OUT_DIR/snapshots.tar.gz, then lists what it wrote.
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 REDIS_URL SNAPSHOTS_DIR OUT_DIR" >&2
  exit 2
fi
redis_url=$1 snapshots=$2 out=$3
mkdir -p "$out"
redis-cli -u "$redis_url" --rdb "$out/redis.rdb.partial" >/dev/null
mv "$out/redis.rdb.partial" "$out/redis.rdb"
if [ -d "$snapshots" ]; then
  tar -C "$snapshots" -czf "$out/snapshots.tar.gz.partial" .
else
  tar -czf "$out/snapshots.tar.gz.partial" --files-from /dev/null
fi
mv "$out/snapshots.tar.gz.partial" "$out/snapshots.tar.gz"
ls -l "$out/redis.rdb" "$out/snapshots.tar.gz"
