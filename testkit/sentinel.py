"""Redis high availability for the tests: a master, a replica and three Sentinels,
all real ``redis-server`` processes on free loopback ports, stopped by their PIDs.

``with SentinelCluster(tmp_path) as ha: ha.url`` gives the
``redis+sentinel://…/citywall`` URL every citywall part takes; ``ha.kill_master()``
kills the master as a crash would and ``ha.wait_for_failover(old)`` waits until the
Sentinels name the replica.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Final

import redis

from core.localhost import free_port, stop_process
from data_feeds.redis_server import EmbeddedRedis, find_redis_server

SERVICE: Final = "citywall"
DOWN_AFTER_MS: Final = 1000  # a dead master is noticed within a second
FAILOVER_TIMEOUT_MS: Final = 5000


class SentinelCluster:
    def __init__(self, root: Path, sentinels: int = 3, replicas: int = 1) -> None:
        self.root = root
        self.replicas = replicas
        master_port = free_port()
        self.servers = {
            master_port: EmbeddedRedis(master_port, root / "redis-a"),
        }
        for index in range(replicas):
            port = free_port()
            self.servers[port] = EmbeddedRedis(
                port,
                root / f"redis-r{index}",
                extra_args=("--replicaof", f"127.0.0.1 {master_port}"),
            )
        self.first_master = master_port
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self._sentinels: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def start(self, timeout: float = 30.0) -> None:
        for server in self.servers.values():
            server.start()
        for port in self.sentinel_ports:
            self._sentinels.append(self._start_sentinel(port))
        self._wait(
            lambda: self._sentinels_agree(replicas=1), "the Sentinels to see everyone", timeout
        )
        self.wait_for_replicas(1, timeout)

    def master_port(self) -> int:
        """The master's port, as the first Sentinel that answers says."""
        for port in self.sentinel_ports:
            try:
                host_port = _sentinel(port).sentinel_get_master_addr_by_name(SERVICE)
            except redis.RedisError:
                continue
            if isinstance(host_port, tuple | list):
                return int(host_port[1])
        raise RuntimeError("no Sentinel answers")

    def kill_master(self) -> int:
        """SIGKILL the current master; its port."""
        port = self.master_port()
        self.servers[port].kill()
        return port

    def restart(self, port: int) -> None:
        """Start a killed server again (from its append-only file); the Sentinels turn a
        former master into a replica of the new one."""
        self.servers[port].start()

    def wait_for_failover(self, old_master: int, timeout: float = 30.0) -> int:
        def promoted() -> bool:
            try:
                return self.master_port() != old_master
            except RuntimeError:
                return False

        self._wait(promoted, "a replica promoted", timeout)
        return self.master_port()

    def wait_for_replicas(self, count: int, timeout: float = 60.0) -> None:
        """Until the master has ``count`` replicas in sync with it."""

        def synced() -> bool:
            try:
                info = redis.Redis(port=self.master_port(), socket_timeout=1).info("replication")
            except (redis.RedisError, RuntimeError):
                return False
            online = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)]
            return sum(1 for r in online if r.get("state") == "online") >= count

        self._wait(synced, f"{count} replica(s) in sync", timeout)

    def close(self) -> None:
        for process in self._sentinels:
            stop_process(process, 10.0)
        self._sentinels.clear()
        for server in self.servers.values():
            server.close()

    def _start_sentinel(self, port: int) -> subprocess.Popen[bytes]:
        workdir = self.root / f"sentinel-{port}"
        workdir.mkdir(parents=True, exist_ok=True)
        conf = workdir / "sentinel.conf"  # Sentinel rewrites it: it must be its own file
        conf.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {workdir}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.first_master} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
            f"sentinel parallel-syncs {SERVICE} 1\n",
            encoding="utf-8",
        )
        log = (workdir / "sentinel.log").open("ab")
        process = subprocess.Popen(
            [find_redis_server(), str(conf), "--sentinel"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return process

    def _sentinels_agree(self, replicas: int) -> bool:
        others = len(self.sentinel_ports) - 1
        for port in self.sentinel_ports:
            try:
                client = _sentinel(port)
                replica_list = client.sentinel_slaves(SERVICE)
                sentinel_list = client.sentinel_sentinels(SERVICE)
                if not isinstance(replica_list, list) or len(replica_list) < replicas:
                    return False
                if not isinstance(sentinel_list, list) or len(sentinel_list) < others:
                    return False
            except redis.RedisError:
                return False
        return True

    def _wait(self, condition: object, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self._sentinels:
                if process.poll() is not None:
                    raise RuntimeError(f"a Sentinel exited: {self._logs()}")
            if callable(condition) and condition():
                return
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}: {self._logs()}")

    def _logs(self) -> str:
        tails = []
        for port in self.sentinel_ports:
            log = self.root / f"sentinel-{port}" / "sentinel.log"
            if log.exists():
                tails.append(f"--- sentinel {port}\n" + log.read_text(errors="replace")[-1500:])
        return "\n".join(tails)

    def __enter__(self) -> SentinelCluster:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _sentinel(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)
